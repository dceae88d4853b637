import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../lib/contract/partitioner.js';
import { supportedCompressions } from '../../lib/engine/codec/compression.js';
import type { Engine } from '../../lib/engine/engine.js';
import { produce as produceRecords } from '../../lib/engine/ops/produce.js';
import { deleteRecords } from '../../lib/engine/ops/retention.js';
import { delay, hold } from '../support/faults.js';
import { api, createTestEngine, longPollWaiting, startTestServer, useTestServer } from '../support/stack.js';

const ctx = useTestServer();

async function createTopic(name: string, partitions = 1, config?: Record<string, unknown>) {
  const res = await ctx.http.post('/v1/topics', { name, partitions, ...(config ? { config } : {}) });
  expect(res.status).toBe(201);
}

async function produce(topic: string, records: unknown[], extra: Record<string, unknown> = {}) {
  const res = await ctx.http.post(`/v1/topics/${topic}/records`, { records, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.offsets as { partition: number; offset: string }[];
}

describe('topics', () => {
  it('creates, lists, describes, grows and deletes a topic', async () => {
    await createTopic('t-admin', 3, { 'retention.ms': '1000', 'cleanup.policy': 'delete' });
    const dup = await ctx.http.post('/v1/topics', { name: 't-admin', partitions: 1 });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('TOPIC_ALREADY_EXISTS');

    const list = await ctx.http.get('/v1/topics');
    expect(list.body.topics).toContainEqual({ name: 't-admin', partitions: 3 });

    await produce('t-admin', [{ value: 'a', partition: 1 }]);
    const described = await ctx.http.get('/v1/topics/t-admin');
    expect(described.body).toMatchObject({
      name: 't-admin',
      config: {
        'retention.ms': '1000',
        'retention.bytes': '-1',
        'cleanup.policy': 'delete',
        'max.message.bytes': '1048576',
      },
      partitions: [
        { partition: 0, earliestOffset: '0', latestOffset: '0' },
        { partition: 1, earliestOffset: '0', latestOffset: '1' },
        { partition: 2, earliestOffset: '0', latestOffset: '0' },
      ],
    });

    const grown = await ctx.http.post('/v1/topics/t-admin/partitions', { count: 5 });
    expect(grown.status).toBe(200);
    expect((await ctx.http.get('/v1/topics/t-admin')).body.partitions).toHaveLength(5);
    const shrink = await ctx.http.post('/v1/topics/t-admin/partitions', { count: 2 });
    expect(shrink.status).toBe(400);
    expect(shrink.body.error.code).toBe('INVALID_PARTITIONS');

    expect((await ctx.http.delete('/v1/topics/t-admin')).status).toBe(204);
    const gone = await ctx.http.get('/v1/topics/t-admin/partitions/1/records?offset=0');
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');

    // A re-created topic of the same name starts empty: the old data is unreachable.
    await createTopic('t-admin', 3);
    const fresh = await ctx.http.get('/v1/topics/t-admin/partitions/1/records?offset=0');
    expect(fresh.body).toMatchObject({ records: [], highWatermark: '0' });
  });
});

describe('produce and fetch', () => {
  it('round-trips keys, values, headers, tombstones and timestamps', async () => {
    await createTopic('t-rt');
    const offsets = await produce('t-rt', [
      { key: 'k1', value: 'hello', headers: { trace: 'abc', empty: '' }, timestamp: 1700000000000 },
      { key: 'k2', value: null, timestamp: '1700000000001' },
      { value: 'no key' },
    ]);
    expect(offsets).toEqual([
      { partition: 0, offset: '0' },
      { partition: 0, offset: '1' },
      { partition: 0, offset: '2' },
    ]);
    const res = await ctx.http.get('/v1/topics/t-rt/partitions/0/records?offset=0');
    expect(res.body).toMatchObject({ nextOffset: '3', highWatermark: '3', logStartOffset: '0' });
    expect(res.body.records[0]).toEqual({
      offset: '0',
      timestamp: '1700000000000',
      key: 'k1',
      value: 'hello',
      headers: { trace: 'abc', empty: '' },
    });
    expect(res.body.records[1]).toMatchObject({
      offset: '1',
      key: 'k2',
      value: null,
      timestamp: '1700000000001',
    });
    expect(res.body.records[2]).toMatchObject({ offset: '2', key: null, value: 'no key' });
    expect(Math.abs(Number(res.body.records[2].timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('round-trips arbitrary bytes with base64, and gzip-compressed batches', async () => {
    await createTopic('t-b64');
    const raw = Buffer.from([0, 255, 128, 10, 13, 0xc3]);
    await produce(
      't-b64',
      [
        {
          key: raw.toString('base64'),
          value: raw.toString('base64'),
          headers: { h: raw.toString('base64') },
        },
      ],
      {
        encoding: 'base64',
        compression: 'gzip',
      },
    );
    const res = await ctx.http.get('/v1/topics/t-b64/partitions/0/records?offset=0&encoding=base64');
    expect(res.body.records[0]).toMatchObject({
      key: raw.toString('base64'),
      value: raw.toString('base64'),
      headers: { h: raw.toString('base64') },
    });
  });

  it.each(supportedCompressions())('writes and reads back batches compressed with %s', async (codec) => {
    const topic = `t-codec-${codec}`;
    await createTopic(topic);
    const records = Array.from({ length: 50 }, (_, i) => ({
      key: `k${i}`,
      value: `{"n":${i},"text":"${'abc'.repeat(i)}"}`,
      headers: { h: `${i}` },
    }));
    await produce(topic, records, { compression: codec });
    const res = await ctx.http.get(`/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(res.body.records).toMatchObject(records);
  });

  it('places keyed records with murmur2 and unkeyed ones on one partition per request', async () => {
    await createTopic('t-keys', 8);
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const offsets = await produce(
      't-keys',
      keys.map((key) => ({ key, value: key })),
    );
    offsets.forEach((o, i) => {
      expect(o.partition).toBe(partitionForKey(new TextEncoder().encode(keys[i]), 8));
    });
    const unkeyed = await produce(
      't-keys',
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    );
    expect(new Set(unkeyed.map((o) => o.partition)).size).toBe(1);
    // Offsets within a partition follow request order.
    const byPartition = new Map<number, number[]>();
    for (const o of offsets)
      byPartition.set(o.partition, [...(byPartition.get(o.partition) ?? []), Number(o.offset)]);
    for (const list of byPartition.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
  });

  it('fetches from every offset inside a batch, bounded by maxRecords and maxBytes', async () => {
    await createTopic('t-mid');
    await produce(
      't-mid',
      Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })),
    );
    await produce(
      't-mid',
      Array.from({ length: 5 }, (_, i) => ({ value: `s${i}` })),
    );
    const all = [
      ...Array.from({ length: 10 }, (_, i) => `r${i}`),
      ...Array.from({ length: 5 }, (_, i) => `s${i}`),
    ];
    for (let from = 0; from < 15; from++) {
      const res = await ctx.http.get(`/v1/topics/t-mid/partitions/0/records?offset=${from}`);
      expect(res.body.records.map((r: { value: string }) => r.value)).toEqual(all.slice(from));
      expect(res.body.records.map((r: { offset: string }) => Number(r.offset))).toEqual(
        Array.from({ length: 15 - from }, (_, i) => from + i),
      );
      expect(res.body.nextOffset).toBe('15');
    }
    const limited = await ctx.http.get('/v1/topics/t-mid/partitions/0/records?offset=8&maxRecords=3');
    expect(limited.body.records.map((r: { value: string }) => r.value)).toEqual(['r8', 'r9', 's0']);
    expect(limited.body.nextOffset).toBe('11');
    // maxBytes is soft: at least one record comes back so a consumer always progresses.
    const tiny = await ctx.http.get('/v1/topics/t-mid/partitions/0/records?offset=3&maxBytes=1');
    expect(tiny.body.records.map((r: { value: string }) => r.value)).toEqual(['r3']);
    expect(tiny.body.nextOffset).toBe('4');
  });

  it('returns nothing at the high watermark and OFFSET_OUT_OF_RANGE past it', async () => {
    await createTopic('t-range');
    await produce('t-range', [{ value: 'a' }, { value: 'b' }]);
    const atEnd = await ctx.http.get('/v1/topics/t-range/partitions/0/records?offset=2');
    expect(atEnd.body).toMatchObject({ records: [], nextOffset: '2', highWatermark: '2' });
    const past = await ctx.http.get('/v1/topics/t-range/partitions/0/records?offset=3');
    expect(past.status).toBe(416);
    expect(past.body.error).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      logStartOffset: '0',
      highWatermark: '2',
    });
  });

  it('long-polls until data arrives, and gives up empty at waitMs', async () => {
    await createTopic('t-poll');
    const started = Date.now();
    const empty = await ctx.http.get('/v1/topics/t-poll/partitions/0/records?offset=0&waitMs=300');
    expect(empty.body.records).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const waiting = ctx.http.get('/v1/topics/t-poll/partitions/0/records?offset=0&waitMs=15000');
    // Produce only once the fetch is in its long poll, so the records are what wakes it.
    await longPollWaiting(ctx.engine, 't-poll');
    await produce('t-poll', [{ value: 'wake up' }]);
    const res = await waiting;
    expect(res.body.records.map((r: { value: string }) => r.value)).toEqual(['wake up']);
    expect(res.body.highWatermark).toBe('1');
  });

  it('long-polls across processes: a commit by another ctx.engine wakes the fetch by polling', async () => {
    await createTopic('t-poll2');
    const other = await createTestEngine({
      metaTable: ctx.engine.config.metaTable,
      indexTable: ctx.engine.config.indexTable,
      bucket: ctx.engine.config.bucket,
    });
    const otherServer = await startTestServer(other);
    try {
      const waiting = ctx.http.get('/v1/topics/t-poll2/partitions/0/records?offset=0&waitMs=15000');
      await longPollWaiting(ctx.engine, 't-poll2');
      const res = await api(otherServer.url).post('/v1/topics/t-poll2/records', {
        records: [{ value: 'elsewhere' }],
      });
      expect(res.status).toBe(200);
      expect((await waiting).body.records.map((r: { value: string }) => r.value)).toEqual(['elsewhere']);
    } finally {
      await otherServer.close();
    }
  });
});

describe('long-poll and the log start', () => {
  it('answers OFFSET_OUT_OF_RANGE when DeleteRecords moved the log start past the offset during the wait', async () => {
    await createTopic('t-poll-trim');
    const other = await createTestEngine({ ...ctx.engine.config });
    const waiting = ctx.http.get('/v1/topics/t-poll-trim/partitions/0/records?offset=0&waitMs=10000');
    // Once the fetch waits, hold its next head read, so that the other engine's produce and
    // DeleteRecords both land before it looks again.
    await longPollWaiting(ctx.engine, 't-poll-trim');
    const held = hold(ctx.engine.clients.dynamodb, 'GetItem', { when: isHeadRead });
    await produceWith(other, 't-poll-trim', 3);
    await deleteRecords(other, 't-poll-trim', 0, 2);
    held.release();
    const res = await waiting;
    held.remove();
    expect(held.injected).toBe(1);
    expect(res.status).toBe(416);
    expect(res.body.error).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      logStartOffset: '2',
      highWatermark: '3',
    });
  });
});

describe('segment cache', () => {
  it('serves a warm re-read without fetching the same bytes from S3 again', async () => {
    await createTopic('t-cache');
    await produce('t-cache', [{ value: 'a' }]);
    await produce('t-cache', [{ value: 'b' }]);
    const gets = delay(ctx.engine.clients.s3, 'GetObject', 0);
    const first = await ctx.http.get('/v1/topics/t-cache/partitions/0/records?offset=0');
    expect(gets.calls).toBe(2);
    const second = await ctx.http.get('/v1/topics/t-cache/partitions/0/records?offset=0');
    expect(second.body).toEqual(first.body);
    expect(gets.calls).toBe(2);
    gets.remove();
  });
});

describe('list offsets', () => {
  it('answers earliest, latest and the first offset at or after a timestamp', async () => {
    await createTopic('t-ts');
    await produce('t-ts', [
      { value: 'a', timestamp: 1000 },
      { value: 'b', timestamp: 3000 },
    ]);
    await produce('t-ts', [
      { value: 'c', timestamp: 2000 },
      { value: 'd', timestamp: 5000 },
    ]);
    const at = async (q: string) =>
      (await ctx.http.get(`/v1/topics/t-ts/partitions/0/offsets?at=${q}`)).body.offset;
    expect(await at('earliest')).toBe('0');
    expect(await at('latest')).toBe('4');
    expect(await at('0')).toBe('0');
    expect(await at('1001')).toBe('1');
    expect(await at('3000')).toBe('1');
    expect(await at('3001')).toBe('3');
    expect(await at('9999')).toBe('4');
  });
});

/** A GetItem of a partition head (the document client's input: keys are still plain strings). */
function isHeadRead(input: Record<string, unknown>): boolean {
  return String((input.Key as { pk?: unknown } | undefined)?.pk ?? '').startsWith('head#');
}

async function produceWith(engine: Engine, topic: string, count: number) {
  const value = new TextEncoder().encode('v');
  await produceRecords(
    engine,
    topic,
    Array.from({ length: count }, () => ({ key: null, value, headers: [] })),
  );
}
