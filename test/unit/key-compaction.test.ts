import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionType } from '../../lib/engine/codec/compression.js';
import { decodeBatches, encodeBatch, patchBaseOffsets } from '../../lib/engine/codec/record-batch.js';
import {
  addToKeyMap,
  cleanableEnd,
  isCompacted,
  type KeyCompactionConfig,
  keepRecord,
  keyCompactionConfig,
  rewriteBatch,
  rewriteRanges,
  worthCleaning,
} from '../../lib/engine/key-compaction.js';
import type { LogRecord } from '../../lib/engine/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** An in-memory partition: index entries as the store keeps them, with their bytes. */
interface Range {
  baseOffset: number;
  lastOffset: number;
  bytes: Uint8Array;
  sparse: boolean;
  maxTimestamp: number;
  byteLength: number;
}

interface Written {
  offset: number;
  key: string;
  value: string | null;
  timestamp: number;
}

interface Plan {
  runs: { old: Range[]; next: Range }[];
  end: number;
}

class SimLog {
  ranges: Range[] = [];
  next = 0;
  cleanedUpTo = 0;
  constructor(
    readonly config: KeyCompactionConfig,
    readonly compression: number,
    readonly runSize: number,
  ) {}

  write(records: { key: string; value: string | null }[], now: number): Written[] {
    const batch = encodeBatch(
      records.map((r) => ({
        key: enc.encode(r.key),
        value: r.value === null ? null : enc.encode(r.value),
        headers: [],
        timestamp: now,
      })),
      this.compression,
    );
    const base = this.next;
    this.ranges.push({
      baseOffset: base,
      lastOffset: base + records.length - 1,
      bytes: batch.bytes,
      sparse: false,
      maxTimestamp: now,
      byteLength: batch.bytes.length,
    });
    this.next += records.length;
    return records.map((r, i) => ({ offset: base + i, ...r, timestamp: now }));
  }

  /** One pass, as lib/engine/ops/key-compaction.ts does it on the store. */
  compact(now: number, force: boolean): void {
    const plan = this.plan(now, force);
    if (plan) this.apply(plan);
  }

  /** A pass's reads and rewrites, from the log as it is now; `apply` swaps them in later. */
  plan(now: number, force: boolean): Plan | undefined {
    const hw = this.next;
    const end = cleanableEnd(this.ranges, hw, now, this.config);
    if (!force && !worthCleaning(this.ranges, this.cleanedUpTo, end, now, this.config)) return undefined;
    const latest = new Map<string, number>();
    for (const r of this.ranges) {
      if (r.lastOffset >= end) break;
      if (r.lastOffset < this.cleanedUpTo) continue;
      addToKeyMap(latest, decodeBatches(r.bytes, r.baseOffset, r.sparse));
    }
    const policy = { now, config: this.config, cleanedUpTo: this.cleanedUpTo, latest };
    const inRange = this.ranges.filter((r) => r.lastOffset < end);
    const runs: Plan['runs'] = [];
    for (let i = 0; i < inRange.length; i += this.runSize) {
      const run = inRange.slice(i, i + this.runSize);
      const rewritten = rewriteRanges(run, (rec) => keepRecord(rec, policy));
      runs.push({
        old: run,
        next: {
          baseOffset: (run[0] as Range).baseOffset,
          lastOffset: (run.at(-1) as Range).lastOffset,
          bytes: rewritten.bytes,
          sparse: true,
          maxTimestamp: Math.max(...run.map((r) => r.maxTimestamp)),
          byteLength: rewritten.bytes.length,
        },
      });
    }
    return { runs, end };
  }

  /** Each run swapped only if its old entries are all still there (swapCompactedRun's conditions). */
  apply(plan: Plan): void {
    let complete = true;
    for (const { old, next } of plan.runs) {
      const at = this.ranges.indexOf(old[0] as Range);
      if (at < 0 || old.some((r, i) => this.ranges[at + i] !== r)) {
        complete = false;
        continue;
      }
      this.ranges.splice(at, old.length, next);
    }
    if (complete) this.cleanedUpTo = Math.max(this.cleanedUpTo, plan.end);
  }

  readAll(): LogRecord[] {
    return this.ranges.flatMap((r) => decodeBatches(r.bytes, r.baseOffset, r.sparse));
  }

  /** As Kafka Fetch serves it: each range patched (dense) or left (sparse), then decoded as sparse. */
  readAsKafka(): LogRecord[] {
    return this.ranges.flatMap((r) => {
      const copy = r.bytes.slice();
      const span = patchBaseOffsets(copy, r.baseOffset, r.sparse);
      expect(r.baseOffset + span - 1).toBe(r.lastOffset);
      return decodeBatches(copy, r.baseOffset, true);
    });
  }
}

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      records: fc.array(
        fc.record({
          key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
          value: fc.option(fc.string(), { freq: 4 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('clock' as const), ms: fc.integer({ min: 1, max: 400 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), force: fc.boolean() }) },
  // A second compactor: plans now, swaps later, after other writes and passes.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('plan' as const), force: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('apply' as const) }) },
);

describe('compaction by key against a model', () => {
  it('keeps the latest value per key, the offsets, young records and live tombstones', () => {
    fc.assert(
      fc.property(
        fc.record({
          deleteRetentionMs: fc.integer({ min: 0, max: 1000 }),
          minCompactionLagMs: fc.integer({ min: 0, max: 500 }),
          maxCompactionLagMs: fc.integer({ min: 0, max: 2000 }),
          minCleanableDirtyRatio: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        fc.constantFrom(CompressionType.none, CompressionType.gzip, CompressionType.lz4),
        fc.integer({ min: 1, max: 4 }),
        fc.array(op, { maxLength: 60 }),
        (config, compression, runSize, ops) => {
          const log = new SimLog(config, compression, runSize);
          const written = new Map<number, Written>();
          const latest = new Map<string, Written>();
          let now = 1_000_000;
          const pending: Plan[] = [];
          for (const o of ops) {
            if (o.kind === 'write') {
              for (const w of log.write(o.records, now)) {
                written.set(w.offset, w);
                latest.set(w.key, w);
              }
            } else if (o.kind === 'clock') {
              now += o.ms;
            } else if (o.kind === 'compact') {
              log.compact(now, o.force);
            } else if (o.kind === 'plan') {
              const plan = log.plan(now, o.force);
              if (plan) pending.push(plan);
            } else {
              const plan = pending.shift();
              if (plan) log.apply(plan);
            }
            for (const read of [log.readAll(), log.readAsKafka()]) {
              // Offsets strictly increase, and each survivor is the record written there.
              let prev = -1;
              const seen = new Set<number>();
              for (const r of read) {
                expect(r.offset).toBeGreaterThan(prev);
                prev = r.offset;
                seen.add(r.offset);
                const w = written.get(r.offset) as Written;
                expect(dec.decode(r.key ?? new Uint8Array())).toBe(w.key);
                expect(r.value === null ? null : dec.decode(r.value)).toBe(w.value);
                expect(r.timestamp).toBe(w.timestamp);
              }
              // No record younger than the lag is gone.
              for (const w of written.values()) {
                if (w.timestamp > now - config.minCompactionLagMs) expect(seen.has(w.offset)).toBe(true);
              }
              // The reader's table: the latest value of every key; a deleted key is never resurrected.
              const table = new Map<string, string | null>();
              for (const r of read)
                table.set(dec.decode(r.key ?? new Uint8Array()), r.value && dec.decode(r.value));
              for (const [key, w] of latest) {
                if (w.value !== null) {
                  expect(seen.has(w.offset)).toBe(true);
                  expect(table.get(key)).toBe(w.value);
                } else {
                  expect(table.get(key) ?? null).toBeNull();
                  // A tombstone lasts at least delete.retention.ms.
                  if (now - w.timestamp <= config.deleteRetentionMs) expect(seen.has(w.offset)).toBe(true);
                }
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('compacts N keys x K updates to about N records, offsets kept', () => {
    const config = keyCompactionConfig({});
    const log = new SimLog(config, CompressionType.none, 30);
    for (let k = 0; k < 10; k++) {
      log.write(
        Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${k}` })),
        1000,
      );
    }
    log.compact(2000, false);
    const read = log.readAll();
    expect(read).toHaveLength(20);
    expect(read.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => 180 + i));
    expect(new Set(read.map((r) => dec.decode(r.value ?? new Uint8Array())))).toEqual(new Set(['v9']));
  });
});

describe('a stale compactor', () => {
  it('cannot resurrect a deleted key: a tombstone goes only once a completed pass cleaned past it', () => {
    const config = { ...keyCompactionConfig({}), deleteRetentionMs: 100 };
    const log = new SimLog(config, CompressionType.none, 1);
    log.write([{ key: 'a', value: 'v1' }], 1000);
    log.write([{ key: 'b', value: 'x' }], 1000);
    const stale = log.plan(1000, true) as Plan; // keeps a=v1: the latest it sees
    log.write([{ key: 'a', value: null }], 1000);
    const fresh = log.plan(2000, true) as Plan; // the tombstone has expired by now
    log.apply(stale); // wins the runs of offsets 0 and 1, so the fresh pass loses them
    log.apply(fresh); // swaps only the run of the tombstone
    const table = new Map(log.readAll().map((r) => [dec.decode(r.key ?? new Uint8Array()), r.value]));
    expect(table.get('a') ?? null).toBeNull();
  });
});

describe('rewriteBatch', () => {
  const records = ['a', 'b', 'c'].map((k, i) => ({
    key: enc.encode(k),
    value: enc.encode(`value ${k}`),
    headers: [{ key: 'h', value: enc.encode('x') }],
    timestamp: 500 + i,
  }));

  for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.snappy]) {
    it(`keeps offsets, headers, producer info and the codec (${compression})`, () => {
      const batch = encodeBatch(records, compression, { producerId: 7, producerEpoch: 2, baseSequence: 40 });
      const out = rewriteBatch(batch.bytes, 100, (r) => r.offset !== 101);
      if (!out) throw new Error('expected a batch');
      expect(out.recordCount).toBe(2);
      const view = new DataView(out.bytes.buffer);
      expect(Number(view.getBigInt64(0))).toBe(100);
      expect(view.getInt32(23)).toBe(2); // lastOffsetDelta as it was
      expect(view.getInt16(21) & 7).toBe(compression);
      expect(Number(view.getBigInt64(43))).toBe(7);
      expect(view.getInt32(53)).toBe(40);
      const got = decodeBatches(out.bytes, 0, true);
      expect(got.map((r) => r.offset)).toEqual([100, 102]);
      expect(got.map((r) => r.timestamp)).toEqual([500, 502]);
      expect(got[1]?.headers[0]?.key).toBe('h');
    });
  }

  it('drops an emptied batch, or keeps it empty when asked', () => {
    const batch = encodeBatch(records, CompressionType.gzip);
    expect(rewriteBatch(batch.bytes, 10, () => false)).toBeUndefined();
    const empty = rewriteBatch(batch.bytes, 10, () => false, true);
    if (!empty) throw new Error('expected an empty batch');
    expect(empty.recordCount).toBe(0);
    expect(decodeBatches(empty.bytes, 0, true)).toEqual([]);
    expect(patchBaseOffsets(empty.bytes.slice(), 10, true)).toBe(3);
  });
});

describe('config', () => {
  it('falls back on Kafka defaults and reads set values', () => {
    expect(keyCompactionConfig(undefined).deleteRetentionMs).toBe(86_400_000);
    expect(keyCompactionConfig({ 'min.cleanable.dirty.ratio': '0.1' }).minCleanableDirtyRatio).toBe(0.1);
    expect(isCompacted({ 'cleanup.policy': 'compact,delete' })).toBe(true);
    expect(isCompacted({ 'cleanup.policy': 'delete' })).toBe(false);
  });
});
