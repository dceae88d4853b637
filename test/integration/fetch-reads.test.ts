/**
 * How fetches read (issue 12, reads): a multi-partition fetch reads every head in one consistent
 * BatchGetItem, and index entries that lie back to back in one segment object come in one ranged
 * GET, split per entry, each cached on its own. Requests are counted at the SDK middleware stack of
 * the real clients (DynamoDB Local and s3rver); faults they cannot produce are injected there too.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBatches, patchBaseOffsets } from '../../lib/engine/codec/record-batch.js';
import type { Engine } from '../../lib/engine/engine.js';
import { KafkaStorageError } from '../../lib/engine/errors.js';
import { compactPartition } from '../../lib/engine/ops/compaction.js';
import { fetchRecords } from '../../lib/engine/ops/fetch.js';
import { fetchBatches, type PartitionFetchResult } from '../../lib/engine/ops/fetch-batches.js';
import { produce } from '../../lib/engine/ops/produce.js';
import { createTopic } from '../../lib/engine/ops/topics.js';
import type { Topic } from '../../lib/engine/types.js';
import { type Fault, failNext, unprocessedKeysNext } from '../support/faults.js';
import { countRequests, headKeysOf, isHeadGet, type RequestCounts } from '../support/request-counts.js';
import { createTestEngine } from '../support/stack.js';

let engine: Engine;
let dynamo: RequestCounts;
let s3: RequestCounts;
const faults: Fault[] = [];

beforeEach(async () => {
  engine = await createTestEngine();
  dynamo = countRequests(engine.clients.dynamodb);
  s3 = countRequests(engine.clients.s3);
});
afterEach(() => {
  for (const f of faults.splice(0)) f.remove();
  dynamo.remove();
  s3.remove();
});

const bytes = (s: string) => new TextEncoder().encode(s);

/** One produce request: `count` records on each of `partitions`, one segment object. */
async function produceAcross(topic: string, partitions: number[], count: number, size = 10) {
  await produce(
    engine,
    topic,
    partitions.flatMap((partition) =>
      Array.from({ length: count }, (_, i) => ({
        key: bytes(`k${partition}-${i}`),
        value: bytes(`p${partition}-${i}-`.padEnd(size, 'x')),
        headers: [],
        partition,
      })),
    ),
  );
}

/**
 * What a fetch from offset 0 must return, read independently of the code under test: each index
 * entry's bytes cut from a whole-object GET (no cache), with its committed base offset patched in.
 */
async function storedBytes(topic: Topic, partition: number): Promise<Uint8Array> {
  const { entries } = await engine.metadata.queryIndex(topic, partition, 0, 1000);
  const objects = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    let object = objects.get(e.objectKey);
    if (!object) {
      object = await engine.segments.getObject(e.objectKey);
      objects.set(e.objectKey, object);
    }
    const part = object.slice(e.byteOffset, e.byteOffset + e.byteLength);
    patchBaseOffsets(part, e.baseOffset);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

const fetchAll = (
  topic: Topic,
  partitions: number[],
  extra: { maxWaitMs?: number; minBytes?: number } = {},
) =>
  fetchBatches(
    engine,
    partitions.map((partition) => ({ topic, partition, offset: 0, maxBytes: 1 << 20 })),
    { maxWaitMs: extra.maxWaitMs ?? 0, minBytes: extra.minBytes ?? 0, maxBytes: 8 << 20 },
  );

const recordsOf = (r: PartitionFetchResult) =>
  decodeBatches(r.records, 0).map((rec) => new TextDecoder().decode(rec.value ?? new Uint8Array()));

/** What reached the services since the counters were reset, by kind. */
function reads() {
  return {
    headGets: dynamo.count('GetItem', isHeadGet),
    headBatchGets: dynamo.count('BatchGetItem', (i) => headKeysOf(i) > 0),
    queries: dynamo.count('Query'),
    segmentGets: s3.count('GetObject'),
  };
}

function reset() {
  engine.segments.cache.clear();
  dynamo.reset();
  s3.reset();
}

describe('a fetch over several partitions', () => {
  it('reads the 8 heads with one consistent BatchGetItem, and 8 entries of one object with one GET', async () => {
    const topic = await createTopic(engine, { name: 'eight', partitions: 8 });
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    await produceAcross('eight', all, 3);
    const expected = await Promise.all(all.map((p) => storedBytes(topic, p)));

    reset();
    const results = await fetchAll(topic, all);
    expect(reads()).toEqual({ headGets: 0, headBatchGets: 1, queries: 8, segmentGets: 1 });
    const batchGet = dynamo.sent.find((r) => r.command === 'BatchGetItem')?.input;
    expect(headKeysOf(batchGet ?? {})).toBe(8);
    expect(batchGet?.RequestItems).toEqual({
      [engine.config.metaTable]: expect.objectContaining({ ConsistentRead: true }),
    });
    expect(results.map((r) => r.error)).toEqual(all.map(() => undefined));
    expect(results.map((r) => r.highWatermark)).toEqual(all.map(() => 3));
    // Byte for byte what is stored, each batch at its committed base offset.
    expect(results.map((r) => Buffer.from(r.records))).toEqual(expected.map((b) => Buffer.from(b)));
    expect(recordsOf(results[5] as PartitionFetchResult)).toEqual(['p5-0-xxxxx', 'p5-1-xxxxx', 'p5-2-xxxxx']);

    // Warm: every entry comes from the segment cache, one per entry, under getRange's keys.
    dynamo.reset();
    s3.reset();
    const again = await fetchAll(topic, all);
    expect(reads()).toEqual({ headGets: 0, headBatchGets: 1, queries: 8, segmentGets: 0 });
    expect(again.map((r) => Buffer.from(r.records))).toEqual(expected.map((b) => Buffer.from(b)));
    const { entries } = await engine.metadata.queryIndex(topic, 3, 0, 10);
    const e = entries[0];
    if (!e) throw new Error('no entry');
    const cached = await engine.segments.getRange(e.objectKey, e.byteOffset, e.byteLength);
    expect(s3.count('GetObject')).toBe(0);
    expect(cached.byteLength).toBe(e.byteLength);
    expect(cached.buffer.byteLength).toBe(e.byteLength); // its own copy, not a view of the shared read
  });

  it('reads consecutive entries of several objects with one GET per object, the results unchanged', async () => {
    const topic = await createTopic(engine, { name: 'objects', partitions: 6 });
    const all = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < 3; i++) await produceAcross('objects', all, 2 + i);
    await produceAcross('objects', [1, 4], 1);
    const expected = await Promise.all(all.map((p) => storedBytes(topic, p)));

    reset();
    const results = await fetchAll(topic, all);
    // 4 objects, 6 x 3 + 2 = 20 entries.
    expect(reads()).toEqual({ headGets: 0, headBatchGets: 1, queries: 6, segmentGets: 4 });
    expect(results.map((r) => Buffer.from(r.records))).toEqual(expected.map((b) => Buffer.from(b)));
    expect(results.map((r) => r.highWatermark)).toEqual([9, 10, 9, 9, 10, 9]);
  });

  it('reads across a small gap between wanted entries, and not across a large one', async () => {
    const topic = await createTopic(engine, { name: 'gaps', partitions: 3 });
    // Partition 1's batch lies between 0's and 2's: 1 KiB here (under the 64 KiB gap limit)...
    await produceAcross('gaps', [0, 1, 2], 1, 1024);
    reset();
    const small = await fetchAll(topic, [0, 2]);
    expect(reads().segmentGets).toBe(1);
    expect(small.map((r) => Buffer.from(r.records))).toEqual([
      Buffer.from(await storedBytes(topic, 0)),
      Buffer.from(await storedBytes(topic, 2)),
    ]);

    // ...and 100 KiB here, past it.
    const wide = await createTopic(engine, { name: 'wide-gap', partitions: 3 });
    await produce(engine, 'wide-gap', [
      { key: null, value: bytes('a'), headers: [], partition: 0 },
      // Random bytes do not compress (the batch is stored uncompressed anyway): a real 100 KiB gap.
      { key: null, value: new Uint8Array(randomBytes(100 * 1024)), headers: [], partition: 1 },
      { key: null, value: bytes('c'), headers: [], partition: 2 },
    ]);
    reset();
    const apart = await fetchAll(wide, [0, 2]);
    expect(reads().segmentGets).toBe(2);
    expect(apart.map(recordsOf)).toEqual([['a'], ['c']]);
  });

  it('asks again for the heads DynamoDB left unprocessed, with the same consistency', async () => {
    const topic = await createTopic(engine, { name: 'unprocessed', partitions: 8 });
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    await produceAcross('unprocessed', all, 2);
    await produceAcross('unprocessed', [2, 6], 1);
    const expected = await Promise.all(all.map((p) => storedBytes(topic, p)));

    // The first call processes 3 keys and leaves 5 unprocessed; the retry asks for those 5.
    const fault = unprocessedKeysNext(engine.clients.dynamodb, { keep: 3 });
    faults.push(fault);
    reset();
    const results = await fetchAll(topic, all);
    expect(fault.injected).toBe(1);
    const calls = () => dynamo.sent.filter((r) => r.command === 'BatchGetItem');
    expect(calls().map((c) => headKeysOf(c.input))).toEqual([3, 5]);
    for (const c of calls())
      expect(c.input.RequestItems).toEqual({
        [engine.config.metaTable]: expect.objectContaining({ ConsistentRead: true }),
      });
    expect(results.map((r) => r.error)).toEqual(all.map(() => undefined));
    expect(results.map((r) => r.highWatermark)).toEqual([2, 2, 3, 2, 2, 2, 3, 2]);
    expect(results.map((r) => Buffer.from(r.records))).toEqual(expected.map((b) => Buffer.from(b)));

    // Twice nothing processed (those calls never reach DynamoDB), then all 8 at once.
    const twice = unprocessedKeysNext(engine.clients.dynamodb, { keep: 0, times: 2 });
    faults.push(twice);
    reset();
    const again = await fetchAll(topic, all);
    expect(twice.injected).toBe(2);
    expect(calls().map((c) => headKeysOf(c.input))).toEqual([8]);
    expect(again.map((r) => Buffer.from(r.records))).toEqual(expected.map((b) => Buffer.from(b)));
  });

  it('gives up on heads DynamoDB keeps leaving unprocessed with a retriable storage error', async () => {
    const topic = await createTopic(engine, { name: 'throttled', partitions: 4 });
    await produceAcross('throttled', [0, 1, 2, 3], 1);
    faults.push(unprocessedKeysNext(engine.clients.dynamodb, { keep: 0, times: 1000 }));
    const results = await fetchAll(topic, [0, 1, 2, 3]);
    for (const r of results) {
      expect(r.error).toBeInstanceOf(KafkaStorageError);
      expect(r.records.length).toBe(0);
      expect(r.highWatermark).toBe(-1);
    }
  });

  it('fails only the partitions whose shared GET failed, and caches nothing of it', async () => {
    const topic = await createTopic(engine, { name: 'failed-get', partitions: 4 });
    await produceAcross('failed-get', [0, 1], 2);
    await produceAcross('failed-get', [2, 3], 2);
    const { entries } = await engine.metadata.queryIndex(topic, 0, 0, 10);
    const failedKey = entries[0]?.objectKey;
    const boom = new Error('injected: GET failed');
    faults.push(failNext(engine.clients.s3, 'GetObject', () => boom, { when: (i) => i.Key === failedKey }));
    reset();
    const results = await fetchAll(topic, [0, 1, 2, 3]);
    expect(results.map((r) => r.error)).toEqual([boom, boom, undefined, undefined]);
    expect(results.map((r) => r.highWatermark)).toEqual([2, 2, 2, 2]);
    expect(recordsOf(results[3] as PartitionFetchResult)).toEqual(['p3-0-xxxxx', 'p3-1-xxxxx']);

    s3.reset();
    const retried = await fetchAll(topic, [0, 1, 2, 3]);
    expect(s3.count('GetObject')).toBe(1); // the failed object only: the other one is cached
    expect(retried.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(retried.map((r) => Buffer.from(r.records))).toEqual(
      await Promise.all([0, 1, 2, 3].map(async (p) => Buffer.from(await storedBytes(topic, p)))),
    );
  });

  it('long-polls empty partitions with one BatchGetItem per poll, never a GetItem per head', async () => {
    const topic = await createTopic(engine, { name: 'poll', partitions: 3 });
    reset();
    const results = await fetchAll(topic, [0, 1, 2], { maxWaitMs: 400, minBytes: 1 });
    expect(results.map((r) => r.records.length)).toEqual([0, 0, 0]);
    const { headGets, headBatchGets } = reads();
    expect(headGets).toBe(0);
    expect(headBatchGets).toBeGreaterThan(1);
    for (const c of dynamo.sent.filter((r) => r.command === 'BatchGetItem'))
      expect(headKeysOf(c.input)).toBe(3);
  });

  it('keeps one GetItem for a single partition, in Kafka Fetch and HTTP fetch alike', async () => {
    const topic = await createTopic(engine, { name: 'single', partitions: 2 });
    await produceAcross('single', [0, 1], 2);
    reset();
    const [kafka] = await fetchAll(topic, [1]);
    expect(reads()).toEqual({ headGets: 1, headBatchGets: 0, queries: 1, segmentGets: 1 });
    expect(Buffer.from(kafka?.records ?? [])).toEqual(Buffer.from(await storedBytes(topic, 1)));

    reset();
    const http = await fetchRecords(engine, 'single', 0, {
      offset: 0,
      maxRecords: 100,
      maxBytes: 1 << 20,
      waitMs: 0,
    });
    expect(reads()).toEqual({ headGets: 1, headBatchGets: 0, queries: 1, segmentGets: 1 });
    expect(http.records.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array()))).toEqual([
      'p0-0-xxxxx',
      'p0-1-xxxxx',
    ]);
  });
});

describe('a fetch of one partition', () => {
  it('reads N entries of N objects with N GETs, one GET once compaction merged them, byte for byte the same', async () => {
    const topic = await createTopic(engine, { name: 'compacted', partitions: 1 });
    for (let i = 0; i < 5; i++) await produceAcross('compacted', [0], 2);
    const before = await storedBytes(topic, 0);

    reset();
    const cold = await fetchAll(topic, [0]);
    expect(reads().segmentGets).toBe(5);
    const http = await fetchRecords(engine, 'compacted', 0, {
      offset: 0,
      maxRecords: 100,
      maxBytes: 1 << 20,
      waitMs: 0,
    });

    const merged = await compactPartition(engine, topic, 0, { smallBytes: 1 << 20, targetBytes: 8 << 20 });
    expect(merged.entriesMerged).toBe(5);
    reset();
    const after = await fetchAll(topic, [0]);
    expect(reads().segmentGets).toBe(1);
    expect(Buffer.from(after[0]?.records ?? [])).toEqual(Buffer.from(before));
    expect(Buffer.from(cold[0]?.records ?? [])).toEqual(Buffer.from(before));
    const httpAfter = await fetchRecords(engine, 'compacted', 0, {
      offset: 0,
      maxRecords: 100,
      maxBytes: 1 << 20,
      waitMs: 0,
    });
    expect(httpAfter).toEqual(http);
    s3.reset();
    await fetchAll(topic, [0]);
    expect(s3.count('GetObject')).toBe(0);
  });
});
