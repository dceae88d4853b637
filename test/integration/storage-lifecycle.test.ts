import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { compactPartition } from '../../lib/engine/ops/compaction.js';
import { runMaintenance } from '../../lib/engine/ops/maintenance.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { metaKeys } from '../../lib/engine/storage/keys.js';
import { delay, failNext } from '../support/faults.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let engine: Engine;
let server: TestServer;
let http: ReturnType<typeof api>;
const GRACE = 60_000;
let clockShift = 0;

// Each test gets its own tables, bucket and clock, so object counts are its own.
beforeEach(async () => {
  clockShift = 0;
  engine = await createTestEngine();
  engine.now = () => Date.now() + clockShift;
  server = await startTestServer(engine);
  http = api(server.url);
});
afterEach(async () => {
  await server?.close();
});

async function storedObjects(): Promise<{ keys: string[]; bytes: number }> {
  const res = await engine.clients.s3.send(
    new ListObjectsV2Command({ Bucket: engine.config.bucket, Prefix: 'segments/' }),
  );
  const contents = res.Contents ?? [];
  return {
    keys: contents.map((o) => o.Key as string),
    bytes: contents.reduce((n, o) => n + (o.Size ?? 0), 0),
  };
}

async function produce(topic: string, records: unknown[]) {
  const res = await http.post(`/v1/topics/${topic}/records`, { records });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.offsets;
}

const maintain = (compaction: false | { smallBytes: number; targetBytes: number } = false) =>
  runMaintenance(engine, { graceMs: GRACE, sweepUnreferenced: true, compaction });

/** Moves the engine's clock past the grace period for what happens next. */
async function afterGrace<T>(fn: () => Promise<T>): Promise<T> {
  clockShift += GRACE + 1000;
  return fn();
}

describe('retention', () => {
  it('drops data past retention.ms and retention.bytes: log start advances, reads below it fail, storage shrinks', async () => {
    await http.post('/v1/topics', { name: 'ret-ms', partitions: 1, config: { 'retention.ms': 60_000 } });
    await http.post('/v1/topics', { name: 'ret-bytes', partitions: 1, config: { 'retention.bytes': 2500 } });
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 5; i++) await produce('ret-ms', [{ value: `old-${i}`, timestamp: old + i }]);
    await produce('ret-ms', [{ value: 'fresh' }]);
    for (let i = 0; i < 6; i++) await produce('ret-bytes', [{ value: `${i}`.repeat(1000) }]);
    const before = await storedObjects();

    const report = await maintain();
    expect(report.partitionsTrimmed).toBe(2);

    const ms = await http.get('/v1/topics/ret-ms');
    expect(ms.body.partitions[0]).toMatchObject({ earliestOffset: '5', latestOffset: '6' });
    const below = await http.get('/v1/topics/ret-ms/partitions/0/records?offset=0');
    expect(below.status).toBe(416);
    expect(below.body.error).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      logStartOffset: '5',
      highWatermark: '6',
    });
    const kept = await http.get('/v1/topics/ret-ms/partitions/0/records?offset=5');
    expect(kept.body.records.map((r: { value: string }) => r.value)).toEqual(['fresh']);
    expect((await http.get('/v1/topics/ret-ms/partitions/0/offsets?at=earliest')).body.offset).toBe('5');

    // ~1.1 KB per batch and 2,500 bytes allowed: the two newest batches stay.
    const bytes = await http.get('/v1/topics/ret-bytes');
    expect(bytes.body.partitions[0]).toMatchObject({ earliestOffset: '4', latestOffset: '6' });

    // The unreferenced objects go once the grace period has passed, not before.
    expect((await storedObjects()).keys).toHaveLength(before.keys.length);
    const gc = await afterGrace(() => maintain());
    expect(gc.objectsDeleted).toBe(9);
    const after = await storedObjects();
    expect(after.keys).toHaveLength(before.keys.length - 9);
    expect(after.bytes).toBeLessThan(before.bytes);
    // Still readable from the new log start.
    expect((await http.get('/v1/topics/ret-bytes/partitions/0/records?offset=4')).body.records).toHaveLength(
      2,
    );
  });

  it('DeleteRecords advances the log start at once; maintenance then removes what lies below', async () => {
    await http.post('/v1/topics', { name: 'ret-del', partitions: 2 });
    for (let i = 0; i < 4; i++) await produce('ret-del', [{ value: `v${i}`, partition: 1 }]);
    const res = await http.request('DELETE', '/v1/topics/ret-del/records', {
      partition: 1,
      beforeOffset: '3',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ partition: 1, lowWatermark: '3' });
    expect((await http.get('/v1/topics/ret-del/partitions/1/records?offset=2')).status).toBe(416);
    expect((await http.get('/v1/topics/ret-del/partitions/1/records?offset=3')).body.records[0].value).toBe(
      'v3',
    );
    const topic = await getTopic(engine, 'ret-del');
    expect((await engine.metadata.queryIndex(topic, 1, 0, 100)).entries).toHaveLength(1);
    // Past the high watermark: rejected, nothing moves.
    const past = await http.request('DELETE', '/v1/topics/ret-del/records', {
      partition: 1,
      beforeOffset: '9',
    });
    expect(past.status).toBe(416);
    // -1 means the high watermark, as in Kafka.
    const all = await http.request('DELETE', '/v1/topics/ret-del/records', {
      partition: 1,
      beforeOffset: -1,
    });
    expect(all.body.lowWatermark).toBe('4');
  });
});

describe('storage lifecycle', () => {
  it('deletes orphans of failed commits and objects no segment record claims, after the grace period', async () => {
    await http.post('/v1/topics', { name: 'orphaned', partitions: 1 });
    const before = await storedObjects();
    const fault = failNext(engine.clients.dynamodb, 'TransactWriteItems', () =>
      Object.assign(new Error('injected'), { name: 'AccessDeniedException' }),
    );
    const failed = await http.post('/v1/topics/orphaned/records', { records: [{ value: 'lost' }] });
    fault.remove();
    expect(failed.status).toBe(500);
    // A crash between upload and commit leaves no orphan record: hold a commit and drop it.
    const stuck = delay(engine.clients.dynamodb, 'TransactWriteItems', 60_000, { times: 1 });
    const crashed = http
      .post('/v1/topics/orphaned/records', { records: [{ value: 'crashed' }] })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const orphans = (await storedObjects()).keys.filter((k) => !before.keys.includes(k));
    expect(orphans).toHaveLength(2);

    const early = await maintain();
    expect(early.orphansDeleted + early.unreferencedDeleted).toBe(0);
    const late = await afterGrace(() => maintain());
    expect(late.orphansDeleted).toBe(1);
    expect(late.unreferencedDeleted).toBe(1);
    expect((await storedObjects()).keys).toEqual(before.keys);
    stuck.remove();
    void crashed;
  });

  it("deletes a deleted topic's heads, index and objects after the grace period", async () => {
    await http.post('/v1/topics', { name: 'doomed-topic', partitions: 2 });
    const before = await storedObjects();
    for (let i = 0; i < 3; i++)
      await produce('doomed-topic', [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 1 },
      ]);
    const topic = await getTopic(engine, 'doomed-topic');
    expect((await storedObjects()).keys.length).toBe(before.keys.length + 3);
    expect((await http.delete('/v1/topics/doomed-topic')).status).toBe(204);

    const first = await maintain();
    expect(first.deletedTopicsCleaned).toBe(1);
    expect((await engine.metadata.queryIndex(topic, 0, 0, 100)).entries).toEqual([]);
    expect(await engine.metadata.getMetaItem(metaKeys.head(topic.topicId, 0))).toBeUndefined();
    const second = await afterGrace(() => maintain());
    expect(second.objectsDeleted).toBe(3);
    expect((await storedObjects()).keys).toEqual(before.keys);
  });
});

describe('compaction', () => {
  it('merges small objects into per-partition ranges: fetches byte-identical, fewer GETs per MiB', async () => {
    await http.post('/v1/topics', { name: 'compact-me', partitions: 2 });
    const base = Date.now() - 60_000;
    for (let i = 0; i < 24; i++) {
      await produce('compact-me', [
        {
          key: `k${i}`,
          value: `zero-${i}-${'x'.repeat(2000)}`,
          headers: { i: String(i) },
          partition: 0,
          timestamp: base + i,
        },
        { value: `one-${i}`, partition: 1 },
        { value: `one-${i}-bis`, partition: 1 },
      ]);
    }
    const topic = await getTopic(engine, 'compact-me');
    const readAll = async () => {
      engine.segments.cache.clear();
      const gets = delay(engine.clients.s3, 'GetObject', 0);
      const bodies: unknown[] = [];
      let bytes = 0;
      for (const [p, count] of [
        [0, 24],
        [1, 48],
      ] as const) {
        for (let from = 0; from < count; from += 5) {
          const res = await http.get(
            `/v1/topics/compact-me/partitions/${p}/records?offset=${from}&maxRecords=7&encoding=base64`,
          );
          bodies.push(res.body);
        }
        engine.segments.cache.clear();
        const whole = await http.get(
          `/v1/topics/compact-me/partitions/${p}/records?offset=0&maxRecords=1000`,
        );
        bytes += JSON.stringify(whole.body).length;
      }
      gets.remove();
      return { bodies, getsPerMiB: gets.calls / (bytes / 1024 / 1024) };
    };
    const before = await readAll();
    const entriesBefore = (await engine.metadata.queryIndex(topic, 0, 0, 100)).entries.length;

    const result = await compactPartition(engine, topic, 0, {
      smallBytes: 1024 * 1024,
      targetBytes: 8 * 1024 * 1024,
    });
    await compactPartition(engine, topic, 1, { smallBytes: 1024 * 1024, targetBytes: 8 * 1024 * 1024 });
    expect(result.entriesMerged).toBe(24);
    const entriesAfter = (await engine.metadata.queryIndex(topic, 0, 0, 100)).entries.length;
    expect(entriesAfter).toBeLessThan(entriesBefore);

    const after = await readAll();
    expect(after.bodies[0]).toEqual(before.bodies[0]);
    expect(after.bodies).toEqual(before.bodies);
    expect(after.getsPerMiB).toBeLessThan(before.getsPerMiB / 4);
    console.log(
      `compaction: GETs per MiB read ${before.getsPerMiB.toFixed(1)} -> ${after.getsPerMiB.toFixed(1)}`,
    );

    // The old multi-partition objects retire through GC once nothing references them.
    const objectsBefore = (await storedObjects()).keys.length;
    const gc = await afterGrace(() => maintain());
    expect(gc.objectsDeleted).toBe(24);
    expect((await storedObjects()).keys.length).toBe(objectsBefore - 24);
    expect((await readAll()).bodies).toEqual(before.bodies);
  });
});
