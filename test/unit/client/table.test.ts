/**
 * The table view (issue 14) against a sparse in-memory log: offsets with gaps as compaction
 * leaves them, both data paths, tombstones, later offsets winning, and updates after catching up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { logLevel, Strata, TABLE_EVENTS, type TableUpdate, type TableView } from '../../../index.js';
import {
  BATCH_FETCH_HEADERS,
  encodeUncompressedBatch,
  RECORD_BATCH_CONTENT_TYPE,
} from '../../../lib/contract/record-batch.js';
import { patchBaseOffsets } from '../../../lib/engine/codec/record-batch.js';

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

/** A log whose offsets need not be dense: compact() keeps the last record of each key. */
class SparseLog {
  readonly partitions: { records: Rec[]; hw: number }[];
  readonly fetches: string[] = [];
  private waiters: (() => void)[] = [];
  logStart = 0;

  constructor(count: number) {
    this.partitions = Array.from({ length: count }, () => ({ records: [], hw: 0 }));
  }

  append(partition: number, key: string | null, value: string | null): void {
    const p = this.partitions[partition] as { records: Rec[]; hw: number };
    p.records.push({ offset: p.hw++, key, value });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Kafka's compaction: the last record of every key stays, with its offset (tombstones too). */
  compact(partition: number, dropTombstones = false): void {
    const p = this.partitions[partition] as { records: Rec[]; hw: number };
    const last = new Map<string | null, number>();
    for (const r of p.records) last.set(r.key, r.offset);
    p.records = p.records.filter(
      (r) => last.get(r.key) === r.offset && !(dropTombstones && r.value === null),
    );
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length === 3) {
      return json(200, {
        name: parts[2],
        config: {},
        partitions: this.partitions.map((p, partition) => ({
          partition,
          earliestOffset: String(this.logStart),
          latestOffset: String(p.hw),
        })),
      });
    }
    const p = this.partitions[Number(parts[4])] as { records: Rec[]; hw: number };
    const offset = Number(url.searchParams.get('offset'));
    const waitMs = Number(url.searchParams.get('waitMs') ?? '0');
    this.fetches.push(`${parts[5]} ${parts[4]}@${offset}`);
    if (offset >= p.hw && waitMs > 0) {
      // The long poll ends on the signals a server's does: an append, or the caller giving up.
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        init?.signal?.addEventListener('abort', () => resolve());
      });
    }
    // A fetch at a removed offset answers with the next remaining record; at most 3 per answer.
    const records = p.records.filter((r) => r.offset >= offset).slice(0, 3);
    const last = records[records.length - 1];
    const nextOffset = String(last ? last.offset + 1 : Math.max(offset, p.hw));
    if (parts[5] === 'batches') {
      // One batch per record, so that base offsets carry the gaps.
      const batches = records.map((r) => {
        const bytes = encodeUncompressedBatch([
          { key: bytesOf(r.key), value: bytesOf(r.value), headers: [], timestamp: 1 },
        ]);
        patchBaseOffsets(bytes, r.offset);
        return bytes;
      });
      const body = new Uint8Array(batches.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of batches) {
        body.set(b, at);
        at += b.length;
      }
      return new Response(body as BodyInit, {
        status: 200,
        headers: {
          'content-type': RECORD_BATCH_CONTENT_TYPE,
          [BATCH_FETCH_HEADERS.highWatermark]: String(p.hw),
          [BATCH_FETCH_HEADERS.logStartOffset]: String(this.logStart),
          [BATCH_FETCH_HEADERS.nextOffset]: nextOffset,
        },
      });
    }
    const b64 = (v: string | null) => (v === null ? null : Buffer.from(v).toString('base64'));
    return json(200, {
      records: records.map((r) => ({
        offset: String(r.offset),
        timestamp: '1',
        key: b64(r.key),
        value: b64(r.value),
        headers: {},
      })),
      nextOffset,
      highWatermark: String(p.hw),
      logStartOffset: String(this.logStart),
    });
  };
}

const bytesOf = (t: string | null) => (t === null ? null : new TextEncoder().encode(t));

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const tables: TableView<unknown>[] = [];
afterEach(async () => {
  await Promise.all(tables.splice(0).map((t) => t.stop()));
});

function open(log: SparseLog, dataPath: 'binary' | 'json' = 'binary') {
  const strata = new Strata({
    endpoint: 'http://fake',
    fetch: log.fetch,
    logLevel: logLevel.NOTHING,
    dataPath,
  });
  const table = strata.table({
    topic: 'orders',
    valueDecoder: (v) => v.toString(),
    maxWaitTimeInMs: 1000,
  });
  tables.push(table as TableView<unknown>);
  return table;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe.each(['binary', 'json'] as const)('table view (%s)', (dataPath) => {
  it('holds the latest value per key: later offsets win, tombstones delete, null keys are skipped', async () => {
    const log = new SparseLog(2);
    log.append(0, 'a', 'a1');
    log.append(0, 'b', 'b1');
    log.append(1, 'c', 'c1');
    log.append(0, 'a', 'a2');
    log.append(0, 'b', null);
    log.append(1, null, 'no key');
    log.append(1, 'c', 'c2');
    log.append(0, 'd', 'd1');
    log.append(0, 'a', 'a3');
    const table = open(log, dataPath);
    await table.ready();
    expect(Object.fromEntries(table.map)).toEqual({ a: 'a3', c: 'c2', d: 'd1' });
    expect(table.get('b')).toBeUndefined();
    expect(table.size).toBe(3);
    expect(log.fetches.every((f) => f.startsWith(dataPath === 'binary' ? 'batches' : 'records'))).toBe(true);
  });

  it('reads a compacted log: gaps in offsets, a removed tail, the same table as before compaction', async () => {
    const log = new SparseLog(1);
    for (let i = 0; i < 20; i++) log.append(0, `k${i % 4}`, `v${i}`);
    log.append(0, 'k1', null);
    log.append(0, 'gone', 'x');
    log.append(0, 'gone', null);
    const before = open(log, dataPath);
    await before.ready();
    log.compact(0, true);
    expect(log.partitions[0]?.records.map((r) => r.offset)).toEqual([16, 18, 19]);
    const after = open(log, dataPath);
    await after.ready();
    expect(Object.fromEntries(after.map)).toEqual({ k0: 'v16', k2: 'v18', k3: 'v19' });
    expect(after.snapshot()).toEqual(before.snapshot());
    expect(after.positions()).toEqual([{ partition: 0, offset: '23' }]);
  });

  it('keeps current after catching up, with an update event per change', async () => {
    const log = new SparseLog(2);
    log.append(0, 'a', 'a1');
    const table = open(log, dataPath);
    const updates: TableUpdate<string>[] = [];
    table.on<TableUpdate<string>>(TABLE_EVENTS.UPDATE, (e) => updates.push(e.payload));
    let caughtUp = 0;
    table.on(TABLE_EVENTS.CAUGHT_UP, () => caughtUp++);
    await table.ready();
    expect(caughtUp).toBe(1);
    log.append(1, 'b', 'b1');
    log.append(0, 'a', 'a2');
    await until(() => table.get('b') === 'b1' && table.get('a') === 'a2');
    log.append(0, 'a', null);
    await until(() => !table.has('a'));
    expect(updates.map((u) => [u.key, u.value ?? null, u.deleted, u.offset])).toEqual(
      expect.arrayContaining([
        ['a', 'a1', false, '0'],
        ['b', 'b1', false, '0'],
        ['a', 'a2', false, '1'],
        ['a', null, true, '2'],
      ]),
    );
    expect(updates.find((u) => u.deleted)?.previous).toBe('a2');
    expect(caughtUp).toBe(1);
  });
});

describe('table view', () => {
  it('an empty topic is caught up at once; keyOf names the rows', async () => {
    const log = new SparseLog(3);
    const strata = new Strata({ endpoint: 'http://fake', fetch: log.fetch, logLevel: logLevel.NOTHING });
    const table = strata.table({ topic: 't', keyOf: (k) => `id:${k.toString()}`, maxWaitTimeInMs: 1000 });
    tables.push(table as TableView<unknown>);
    await table.ready();
    expect(table.size).toBe(0);
    log.append(2, 'x', 'y');
    await until(() => table.has('id:x'));
    expect(table.get('id:x')?.toString()).toBe('y');
  });

  it('stops: no fetch after stop() resolves', async () => {
    const log = new SparseLog(1);
    const table = open(log);
    await table.ready();
    await table.stop();
    const n = log.fetches.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(log.fetches.length).toBe(n);
  });

  it('needs a topic', () => {
    const strata = new Strata({ endpoint: 'http://fake' });
    expect(() => strata.table({ topic: '' })).toThrow(/topic/);
  });
});
