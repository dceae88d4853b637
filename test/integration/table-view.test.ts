/**
 * The table view (issue 14) against the real handlers over HTTP: strata.table() holds the latest
 * value per key (tombstones delete), picks up a record produced after it caught up, reads both
 * data paths; `strata consume --table` prints the same rows; and the orders example's
 * "latest order state per order id" over the compacted `order-states` topic.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  countByStatus,
  ensureStateTopic,
  orderStateTable,
  publishState,
  STATE_TOPIC,
} from '../../examples/orders/order-states.js';
import { logLevel, Strata, type TableView } from '../../index.js';
import { strataRun } from '../support/cli.js';
import { useTestServer } from '../support/stack.js';

const ctx = useTestServer();
const tables: TableView<unknown>[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => t.stop()));
});

const client = (dataPath?: 'binary' | 'json') =>
  new Strata({
    endpoint: ctx.server.url,
    logLevel: logLevel.NOTHING,
    ...(dataPath ? { dataPath } : {}),
  });

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

/** Keyed updates over HTTP: 30 keys times 5 updates over 3 partitions, and every 7th key deleted. */
async function seed(topic: string): Promise<Record<string, string>> {
  const created = await ctx.http.post('/v1/topics', {
    name: topic,
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
  });
  expect(created.status).toBe(201);
  const expected: Record<string, string> = {};
  for (let round = 0; round < 5; round++) {
    const records = Array.from({ length: 30 }, (_, k) => ({ key: `k${k}`, value: `v${k}.${round}` }));
    const res = await ctx.http.post(`/v1/topics/${topic}/records`, { records });
    expect(res.status).toBe(200);
  }
  const tombstones = Array.from({ length: 30 }, (_, k) => k)
    .filter((k) => k % 7 === 0)
    .map((k) => ({ key: `k${k}`, value: null }));
  expect((await ctx.http.post(`/v1/topics/${topic}/records`, { records: tombstones })).status).toBe(200);
  for (let k = 0; k < 30; k++) if (k % 7 !== 0) expected[`k${k}`] = `v${k}.4`;
  return expected;
}

describe('table view', () => {
  it.each(['binary', 'json'] as const)(
    'holds the latest value per key and picks up later records (%s)',
    async (dataPath) => {
      const topic = `prices-${dataPath}`;
      const expected = await seed(topic);
      const table = client(dataPath).table({
        topic,
        valueDecoder: (v) => v.toString(),
        maxWaitTimeInMs: 500,
      });
      tables.push(table as TableView<unknown>);
      await table.ready();
      expect(Object.fromEntries(table.map)).toEqual(expected);

      await ctx.http.post(`/v1/topics/${topic}/records`, {
        records: [
          { key: 'k1', value: 'after' },
          { key: 'new', value: 'n' },
          { key: 'k2', value: null },
        ],
      });
      await until(() => table.get('k1') === 'after' && table.get('new') === 'n' && !table.has('k2'));
      await table.stop();
    },
  );

  it('strata consume --table prints one line per key; --json one object per key', async () => {
    const expected = await seed('prices-cli');
    const run = await strataRun(ctx.server.url, ['consume', 'prices-cli', '--table']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toEqual(
      Object.keys(expected)
        .sort()
        .map((k) => `${k}\t${expected[k]}`),
    );
    const json = await strataRun(ctx.server.url, ['consume', 'prices-cli', '--table', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const rows = json.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value]))).toEqual(expected);
    expect(rows.every((r) => r.topic === 'prices-cli' && typeof r.offset === 'string')).toBe(true);
    const onePartition = await strataRun(ctx.server.url, ['consume', 'prices-cli', '--table', '-p', '1']);
    expect(onePartition.code, onePartition.stderr).toBe(0);
    const some = onePartition.stdout.split('\n').filter((l) => l !== '');
    expect(some.length).toBeGreaterThan(0);
    expect(some.length).toBeLessThan(lines.length);
    const bad = await strataRun(ctx.server.url, ['consume', 'prices-cli', '--table', '-o', 'end']);
    expect(bad.code).not.toBe(0);
  });

  it('the orders example: latest order state per order id', async () => {
    const strata = client();
    await ensureStateTopic(strata);
    const producer = strata.producer();
    await producer.connect();
    const state = (orderId: string, status: 'created' | 'paid' | 'shipped' | 'delivered') => ({
      orderId,
      customerId: 'c-1',
      status,
      updatedAt: new Date().toISOString(),
    });
    await publishState(producer, 'o-1', state('o-1', 'created'));
    await publishState(producer, 'o-2', state('o-2', 'created'));
    await publishState(producer, 'o-1', state('o-1', 'paid'));
    await publishState(producer, 'o-3', state('o-3', 'created'));
    await publishState(producer, 'o-2', null);
    await publishState(producer, 'o-1', state('o-1', 'shipped'));
    const table = orderStateTable(strata, 500);
    tables.push(table as TableView<unknown>);
    await table.ready();
    expect([...table.keys()].sort()).toEqual(['o-1', 'o-3']);
    expect(table.get('o-1')?.status).toBe('shipped');
    expect(countByStatus(table)).toEqual({ created: 1, paid: 0, shipped: 1, delivered: 0 });
    await publishState(producer, 'o-3', state('o-3', 'paid'));
    await until(() => table.get('o-3')?.status === 'paid');
    await producer.disconnect();
    const described = await ctx.http.get(`/v1/topics/${STATE_TOPIC}`);
    expect(described.body.config['cleanup.policy']).toBe('compact');
    await table.stop();
  });
});
