import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { compactPartitionByKey, KEY_COMPACTION_OPTIONS } from '../../lib/engine/ops/key-compaction.js';
import { runMaintenance } from '../../lib/engine/ops/maintenance.js';
import { allIndexEntries, applyRetention } from '../../lib/engine/ops/retention.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { ambiguousNext, failNext, timeoutError } from '../support/faults.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let engine: Engine;
let server: TestServer;
let http: ReturnType<typeof api>;
let clockShift = 0;
const GRACE = 60_000;
const DAY = 86_400_000;

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

interface Rec {
  offset: string;
  key: string | null;
  value: string | null;
}

async function createCompacted(name: string) {
  const res = await http.post('/v1/topics', { name, partitions: 1, config: { 'cleanup.policy': 'compact' } });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

async function produce(topic: string, records: { key: string; value: string | null }[]) {
  const res = await http.post(`/v1/topics/${topic}/records`, { records });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.offsets;
}

/** Reads the partition from `from` to the high watermark, following nextOffset. */
async function readAll(topic: string, from = 0): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = from;
  for (;;) {
    const res = await http.get(`/v1/topics/${topic}/partitions/0/records?offset=${offset}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.records);
    const next = Number(res.body.nextOffset);
    if (next >= Number(res.body.highWatermark)) return out;
    expect(next).toBeGreaterThan(offset);
    offset = next;
  }
}

/** N keys x K updates, one request per update round; key k<deleted gets a tombstone at the end. */
async function fill(topic: string, n: number, k: number, deleted = 0) {
  const latest = new Map<string, { value: string | null; offset: number }>();
  for (let u = 0; u < k; u++) {
    const records = Array.from({ length: n }, (_, i) => ({ key: `key-${i}`, value: `v${u}-${i}` }));
    const offsets = await produce(topic, records);
    records.forEach((r, i) => {
      latest.set(r.key, { value: r.value, offset: Number(offsets[i].offset ?? offsets[i]) });
    });
  }
  if (deleted > 0) {
    const records = Array.from({ length: deleted }, (_, i) => ({ key: `key-${i}`, value: null }));
    const offsets = await produce(topic, records);
    records.forEach((r, i) => {
      latest.set(r.key, { value: null, offset: Number(offsets[i].offset ?? offsets[i]) });
    });
  }
  return latest;
}

function expectTable(read: Rec[], latest: Map<string, { value: string | null; offset: number }>) {
  const offsets = read.map((r) => Number(r.offset));
  expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  expect(new Set(offsets).size).toBe(offsets.length);
  const table = new Map<string, string | null>();
  for (const r of read) table.set(r.key as string, r.value);
  for (const [key, w] of latest) {
    expect(table.get(key) ?? null).toBe(w.value);
    if (w.value !== null)
      expect(read.find((r) => r.key === key && Number(r.offset) === w.offset)).toBeDefined();
  }
}

const compact = async (topic: string, force = false) =>
  compactPartitionByKey(engine, await getTopic(engine, topic), 0, { ...KEY_COMPACTION_OPTIONS, force });

describe('compaction by key', () => {
  it('compacts N keys x K updates to N live records with their original offsets; gaps read through', async () => {
    await createCompacted('table');
    const latest = await fill('table', 50, 10, 5);
    const before = await readAll('table');
    expect(before).toHaveLength(505);

    const report = await runMaintenance(engine, {
      graceMs: GRACE,
      sweepUnreferenced: true,
      compaction: false,
    });
    expect(report.partitionsCleanedByKey).toBe(1);
    expect(report.recordsRemovedByKey).toBe(455);

    const after = await readAll('table');
    expect(after).toHaveLength(50); // 45 live values and 5 tombstones, kept for delete.retention.ms
    expect(after.filter((r) => r.value === null)).toHaveLength(5);
    expectTable(after, latest);
    // Every survivor is exactly what was written at its offset.
    const byOffset = new Map(before.map((r) => [r.offset, r]));
    for (const r of after) expect(byOffset.get(r.offset)).toEqual(r);

    // A fetch at a removed offset returns the next record that remains.
    const res = await http.get('/v1/topics/table/partitions/0/records?offset=3&maxRecords=1');
    expect(res.body.records[0].offset).toBe(after[0]?.offset);
    expect(res.body.nextOffset).toBe(String(Number(after[0]?.offset) + 1));

    // The head and log start are unchanged.
    const meta = await http.get('/v1/topics/table');
    expect(meta.body.partitions[0]).toMatchObject({ earliestOffset: '0', latestOffset: '505' });

    // ListOffsets by timestamp still finds a remaining record.
    const at = await http.get('/v1/topics/table/partitions/0/offsets?at=0');
    expect(Number(at.body.offset)).toBe(Number(after[0]?.offset));
  });

  it('drops a tombstone after delete.retention.ms, once it was cleaned, and never resurrects its key', async () => {
    await createCompacted('tomb');
    await fill('tomb', 5, 3, 2);
    await compact('tomb');
    expect((await readAll('tomb')).filter((r) => r.value === null)).toHaveLength(2);
    const latest = await fill('tomb', 5, 0);
    await produce('tomb', [{ key: 'key-4', value: 'newest' }]);
    clockShift = DAY + 60_000;
    await compact('tomb', true);
    const read = await readAll('tomb');
    expect(read.filter((r) => r.value === null)).toHaveLength(0);
    expect(read.filter((r) => r.key === 'key-0' || r.key === 'key-1')).toHaveLength(0);
    expect(read.find((r) => r.key === 'key-4')?.value).toBe('newest');
    expect(latest.size).toBe(0);
    expect(read).toHaveLength(3);
  });

  it('a quiet partition is cleaned again when a tombstone it kept expires', async () => {
    await createCompacted('quiet');
    await fill('quiet', 4, 2, 2);
    const options = { graceMs: GRACE, sweepUnreferenced: true, compaction: false } as const;
    expect((await runMaintenance(engine, options)).partitionsCleanedByKey).toBe(1);
    // Nothing dirty, no tombstone expired: no pass.
    expect((await runMaintenance(engine, options)).partitionsCleanedByKey).toBe(0);
    expect((await readAll('quiet')).filter((r) => r.value === null)).toHaveLength(2);
    clockShift = DAY + 60_000;
    const report = await runMaintenance(engine, options);
    expect(report.partitionsCleanedByKey).toBe(1);
    expect(report.recordsRemovedByKey).toBe(2);
    const read = await readAll('quiet');
    expect(read.map((r) => r.key)).toEqual(['key-2', 'key-3']);
    expect((await runMaintenance(engine, options)).partitionsCleanedByKey).toBe(0);
  });

  it('a second pass with nothing new keeps everything; a new update supersedes the compacted value', async () => {
    await createCompacted('again');
    await fill('again', 10, 4);
    await compact('again');
    const once = await readAll('again');
    await compact('again', true);
    expect(await readAll('again')).toEqual(once);
    await produce('again', [{ key: 'key-3', value: 'later' }]);
    await compact('again', true);
    const twice = await readAll('again');
    expect(twice).toHaveLength(10);
    expect(twice.find((r) => r.key === 'key-3')).toMatchObject({ value: 'later', offset: '40' });
  });

  it('compaction concurrent with produce and a second compactor loses nothing', async () => {
    await createCompacted('race');
    const latest = await fill('race', 20, 5);
    const producing = (async () => {
      for (let u = 0; u < 5; u++) {
        const records = Array.from({ length: 20 }, (_, i) => ({ key: `key-${i}`, value: `late${u}-${i}` }));
        const offsets = await produce('race', records);
        records.forEach((r, i) => {
          latest.set(r.key, { value: r.value, offset: Number(offsets[i].offset ?? offsets[i]) });
        });
      }
    })();
    await Promise.all([producing, compact('race', true), compact('race', true), compact('race', true)]);
    expectTable(await readAll('race'), latest);
    await compact('race', true);
    const read = await readAll('race');
    expectTable(read, latest);
    expect(read).toHaveLength(20);
  });

  it('compact alone keeps old records past retention.ms; compact,delete with retention racing two compactors', async () => {
    await createCompacted('keep');
    const old = Date.now() - 3_600_000;
    await http.post('/v1/topics/keep/records', {
      records: [
        { key: 'a', value: 'old', timestamp: old },
        { key: 'a', value: 'older', timestamp: old - 1 },
      ],
    });
    const topic = await getTopic(engine, 'keep');
    expect(
      (
        await applyRetention(
          engine,
          { ...topic, config: { ...topic.config, 'retention.ms': 60_000 } },
          engine.now(),
        )
      ).partitionsTrimmed,
    ).toBe(0);

    await createCompacted('both');
    const records = (u: number, timestamp?: number) =>
      Array.from({ length: 10 }, (_, i) => ({
        key: `key-${i}`,
        value: `v${u}-${i}`,
        ...(timestamp ? { timestamp } : {}),
      }));
    for (let u = 0; u < 5; u++) await http.post('/v1/topics/both/records', { records: records(u, old) });
    const latest = new Map<string, { value: string | null; offset: number }>();
    for (let u = 5; u < 10; u++) {
      const offsets = await produce('both', records(u));
      records(u).forEach((r, i) => {
        latest.set(r.key, { value: r.value, offset: Number(offsets[i].offset ?? offsets[i]) });
      });
    }
    const base = await getTopic(engine, 'both');
    const both = {
      ...base,
      config: { ...base.config, 'cleanup.policy': 'compact,delete' as never, 'retention.ms': 1_800_000 },
    };
    const pass = () =>
      compactPartitionByKey(engine, both, 0, { ...KEY_COMPACTION_OPTIONS, force: true, runBytes: 1 });
    await Promise.all([applyRetention(engine, both, engine.now()), pass(), pass()]);
    await applyRetention(engine, both, engine.now());
    await pass();
    const meta = await http.get('/v1/topics/both');
    const start = Number(meta.body.partitions[0].earliestOffset);
    expect(start).toBeGreaterThanOrEqual(50);
    const read = await readAll('both', start);
    expectTable(read, latest);
    expect(read).toHaveLength(10);
  });

  it('a lost response on the swap transaction, and a crash between upload and swap, lose nothing and leave only orphans', async () => {
    await createCompacted('faults');
    const latest = await fill('faults', 10, 6);
    const isSwap = (input: Record<string, unknown>) => JSON.stringify(input).includes('"compacted":true');

    // Crash between upload and swap: the swap is never sent.
    const crash = failNext(engine.clients.dynamodb, 'TransactWriteItems', () => new Error('injected crash'), {
      when: isSwap,
    });
    await expect(compact('faults', true)).rejects.toThrow('injected crash');
    crash.remove();
    expectTable(await readAll('faults'), latest);
    expect(await readAll('faults')).toHaveLength(60);

    // The swap lands, but its response is lost.
    const lost = ambiguousNext(engine.clients.dynamodb, 'TransactWriteItems', { when: isSwap });
    await expect(compact('faults', true)).rejects.toThrow(timeoutError('TransactWriteItems').message);
    lost.remove();
    expect(lost.injected).toBe(1);
    expectTable(await readAll('faults'), latest);

    // A later pass completes; after the grace period GC keeps exactly the referenced objects.
    await compact('faults', true);
    const read = await readAll('faults');
    expectTable(read, latest);
    expect(read).toHaveLength(10);
    clockShift = GRACE + 1000;
    await runMaintenance(engine, { graceMs: GRACE, sweepUnreferenced: true, compaction: false });
    clockShift = 2 * (GRACE + 1000);
    await runMaintenance(engine, { graceMs: GRACE, sweepUnreferenced: true, compaction: false });
    const entries = await allIndexEntries(engine, await getTopic(engine, 'faults'), 0);
    const referenced = new Set(entries.map((e) => e.objectKey));
    const listed = await engine.clients.s3.send(
      new ListObjectsV2Command({ Bucket: engine.config.bucket, Prefix: 'segments/' }),
    );
    expect(new Set((listed.Contents ?? []).map((o) => o.Key))).toEqual(referenced);
    expectTable(await readAll('faults'), latest);
  });
});
