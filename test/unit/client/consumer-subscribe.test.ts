import { describe, expect, it } from 'vitest';
import { logLevel, Strata, subscriptionToWire } from '../../../index.js';

describe('subscriptionToWire', () => {
  it('sends names as topics, one RegExp as its source', () => {
    expect(subscriptionToWire(['a', 'b', 'a'])).toEqual({ topics: ['a', 'b'] });
    expect(subscriptionToWire([/^orders\./])).toEqual({ topicPattern: '^orders\\.' });
  });

  it('folds names and RegExps into one pattern that matches exactly the names and the regexes', () => {
    const { topicPattern } = subscriptionToWire(['a.b', 'x', /^orders-(eu|us)$/, /audit/]);
    expect(topicPattern).toBeDefined();
    // The coordinator tests patterns with RegExp.test, unanchored.
    const re = new RegExp(topicPattern as string);
    for (const yes of ['a.b', 'x', 'orders-eu', 'orders-us', 'audit', 'the-audit-log'])
      expect(re.test(yes), yes).toBe(true);
    for (const no of ['aXb', 'xx', 'a.bc', 'orders-de', 'y']) expect(re.test(no), no).toBe(false);
  });
});

describe('consumer arguments', () => {
  const strata = new Strata({
    endpoint: 'http://unused.test',
    logLevel: logLevel.NOTHING,
    fetch: async () => new Response('{}'),
  });

  it('needs a groupId', () => {
    expect(() => strata.consumer({} as { groupId: string })).toThrow(/groupId/);
  });

  it('refuses RegExp flags that cannot travel, and empty subscriptions', async () => {
    const c = strata.consumer({ groupId: 'g' });
    await expect(c.subscribe({ topics: [/orders/i] })).rejects.toThrow(/flags/);
    await expect(c.subscribe({ topics: [] })).rejects.toThrow(/no topics/);
    await c.subscribe({ topic: /orders/g, fromBeginning: true });
    await c.subscribe({ topics: ['audit'] });
    expect(c.subscriptionFields()).toEqual({ topicPattern: '^audit$|(?:orders)' });
  });

  it('run needs a subscription and a handler', async () => {
    const c = strata.consumer({ groupId: 'g' });
    await expect(c.run({ eachMessage: async () => {} })).rejects.toThrow(/subscribe/);
    await c.subscribe({ topics: ['t'] });
    await expect(c.run({})).rejects.toThrow(/eachMessage or eachBatch/);
  });

  it('seek and commitOffsets refuse offsets that are not non-negative integers', async () => {
    const c = strata.consumer({ groupId: 'g' });
    expect(() => c.seek({ topic: 't', partition: 0, offset: '-1' })).toThrow(/invalid offset/);
    expect(() => c.seek({ topic: 't', partition: 0, offset: 'x' })).toThrow(/invalid offset/);
    await expect(c.commitOffsets([{ topic: 't', partition: 0, offset: '1.5' }])).rejects.toThrow(
      /invalid offset/,
    );
  });

  it('pause and resume whole topics and single partitions', () => {
    const c = strata.consumer({ groupId: 'g' });
    c.pause([{ topic: 'a' }, { topic: 'b', partitions: [2, 0] }]);
    expect(c.paused()).toEqual([
      { topic: 'b', partitions: [0, 2] },
      { topic: 'a', partitions: [] },
    ]);
    c.resume([{ topic: 'b', partitions: [0] }, { topic: 'a' }]);
    expect(c.paused()).toEqual([{ topic: 'b', partitions: [2] }]);
    c.resume([{ topic: 'b' }]);
    expect(c.paused()).toEqual([]);
  });

  it('run rejects once joining failed retry.retries times', async () => {
    const down = new Strata({
      endpoint: 'http://down.test',
      logLevel: logLevel.NOTHING,
      fetch: () => Promise.reject(new TypeError('connection refused')),
      retry: { retries: 2, initialRetryTime: 1, maxRetryTime: 5 },
    });
    const c = down.consumer({ groupId: 'g' });
    await c.subscribe({ topics: ['t'] });
    await expect(c.run({ eachMessage: async () => {} })).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
  });
});
