import { isCompactPolicy } from '../contract/limits.js';
import { BATCH_CRC_START, BATCH_HEADER_BYTES, COMPRESSION_MASK } from '../contract/record-batch.js';
import { ByteReader } from './codec/bytes.js';
import { compress, decompress } from './codec/compression.js';
import { crc32c } from './codec/crc32c.js';
import { decodeBatch, rangeBatches } from './codec/record-batch.js';
import type { LogRecord } from './types.js';

/**
 * Compaction by key (cleanup.policy=compact), the pure part: which records survive, and the
 * rewrite of a stored range of batches keeping the survivors at their original offsets. The pass
 * that reads and swaps index entries is lib/engine/ops/key-compaction.ts; docs/durability.md
 * ("Compaction by key") has the guarantees and the concurrency argument.
 *
 * A rewritten batch keeps its header but for four fields: baseOffset (written in absolute, so the
 * range no longer needs fetch to patch it densely: the index entry is marked sparse), batchLength,
 * recordCount and the CRC. lastOffsetDelta, the timestamps, producer id, epoch and base sequence,
 * the partition leader epoch and the attributes stay, as Kafka's cleaner keeps them; each kept
 * record's bytes (with their offsetDelta and timestampDelta) are copied unchanged. A compressed
 * batch is recompressed with its own codec. A batch whose records are all removed is dropped,
 * except the range's last one, kept empty (recordCount 0, as Kafka's cleaner keeps some), so the
 * range still ends at its last offset and a Kafka consumer fetching past the last survivor moves on.
 */

/** The topic configs compaction reads, with Kafka's defaults when a topic does not set them. */
export interface KeyCompactionConfig {
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableDirtyRatio: number;
}

export const KEY_COMPACTION_DEFAULTS: KeyCompactionConfig = {
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
};

/** Reads the compaction configs from a topic's config map, falling back on Kafka's defaults. */
export function keyCompactionConfig(
  config: Readonly<Record<string, unknown>> | undefined,
): KeyCompactionConfig {
  const num = (name: string, fallback: number): number => {
    const v = config?.[name];
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : fallback;
  };
  const d = KEY_COMPACTION_DEFAULTS;
  return {
    deleteRetentionMs: num('delete.retention.ms', d.deleteRetentionMs),
    minCompactionLagMs: num('min.compaction.lag.ms', d.minCompactionLagMs),
    maxCompactionLagMs: num('max.compaction.lag.ms', d.maxCompactionLagMs),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio', d.minCleanableDirtyRatio),
  };
}

/** Whether a topic's cleanup.policy includes compact ("compact" or "compact,delete"). */
export function isCompacted(config: Readonly<Record<string, unknown>> | undefined): boolean {
  const v = config?.['cleanup.policy'];
  return typeof v === 'string' && isCompactPolicy(v);
}

/** A key as a map key: one char per byte. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** Key to the last offset at which it was written, over the dirty range. */
export type KeyMap = Map<string, number>;

export function addToKeyMap(map: KeyMap, records: Iterable<LogRecord>): void {
  for (const r of records) if (r.key) map.set(keyString(r.key), r.offset);
}

/** What one pass decides with. */
export interface KeepPolicy {
  now: number;
  config: KeyCompactionConfig;
  /** Offsets below this were cleaned by an earlier, completed pass (the "clean" section). */
  cleanedUpTo: number;
  /** Key to last offset in the dirty range [cleanedUpTo, dirtyEnd). */
  latest: KeyMap;
}

/**
 * Whether a record survives: a record with no key, or younger than min.compaction.lag.ms, always;
 * one whose key was written again later, never; the latest of its key, yes, but for a tombstone
 * that was already in the clean section and is older than delete.retention.ms. A tombstone is
 * dropped only from the clean section: the pass that cleaned past it completed, so every earlier
 * value of its key is gone (see the concurrency argument in docs/durability.md).
 */
export function keepRecord(r: LogRecord, policy: KeepPolicy): boolean {
  if (!r.key) return true;
  if (r.timestamp > policy.now - policy.config.minCompactionLagMs) return true;
  const last = policy.latest.get(keyString(r.key));
  if (last !== undefined && last > r.offset) return false;
  if (r.value === null) {
    const expired = r.timestamp < policy.now - policy.config.deleteRetentionMs;
    return !(expired && r.offset < policy.cleanedUpTo);
  }
  return true;
}

const CONTROL_BATCH = 0x20;

/** A rewritten range: its bytes (absolute base offsets), records kept, and their max timestamp. */
export interface RewrittenRange {
  bytes: Uint8Array;
  recordCount: number;
  maxTimestamp: number;
}

/** One stored range of consecutive batches, as an index entry points at it. */
export interface StoredRange {
  baseOffset: number;
  bytes: Uint8Array;
  sparse?: boolean;
}

/**
 * Rewrites several stored ranges, consecutive in offsets, into one sparse range: every batch
 * through rewriteBatch, the last batch of all kept even when empty.
 */
export function rewriteRanges(
  ranges: readonly StoredRange[],
  keep: (r: LogRecord) => boolean,
): RewrittenRange {
  const parts: Uint8Array[] = [];
  let recordCount = 0;
  let maxTimestamp = -1;
  const batches = ranges.flatMap((r) => splitBatches(r));
  batches.forEach((b, i) => {
    const out = rewriteBatch(b.bytes, b.baseOffset, keep, i === batches.length - 1);
    if (!out) return;
    parts.push(out.bytes);
    recordCount += out.recordCount;
    if (out.recordCount > 0) maxTimestamp = Math.max(maxTimestamp, out.maxTimestamp);
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, recordCount, maxTimestamp };
}

/** The batches of a stored range, each with its absolute base offset. */
export function splitBatches(range: StoredRange): { baseOffset: number; bytes: Uint8Array }[] {
  return [...rangeBatches(range.bytes, range.baseOffset, range.sparse)].map((b) => ({
    baseOffset: b.baseOffset,
    bytes: b.bytes,
  }));
}

/**
 * One batch with only the records `keep` accepts, at absolute `baseOffset`; undefined when none is
 * kept, unless `keepEmpty`. Control batches are kept whole.
 */
export function rewriteBatch(
  batch: Uint8Array,
  baseOffset: number,
  keep: (r: LogRecord) => boolean,
  keepEmpty = false,
): RewrittenRange | undefined {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const attributes = view.getInt16(21);
  const decoded = decodeBatch(batch, baseOffset);
  const withBase = () => {
    const copy = batch.slice();
    new DataView(copy.buffer).setBigInt64(0, BigInt(baseOffset));
    return copy;
  };
  if (attributes & CONTROL_BATCH) {
    return { bytes: withBase(), recordCount: decoded.records.length, maxTimestamp: decoded.maxTimestamp };
  }
  const kept = decoded.records.map(keep);
  const count = kept.filter(Boolean).length;
  const maxTimestamp = Math.max(-1, ...decoded.records.filter((_, i) => kept[i]).map((r) => r.timestamp));
  if (count === decoded.records.length) {
    return { bytes: withBase(), recordCount: count, maxTimestamp: decoded.maxTimestamp };
  }
  if (count === 0 && !keepEmpty) return undefined;

  const compression = attributes & COMPRESSION_MASK;
  const payload = batch.subarray(BATCH_HEADER_BYTES);
  const body = compression === 0 ? payload : decompress(compression, payload);
  const slices: Uint8Array[] = [];
  const r = new ByteReader(body);
  for (let i = 0; i < decoded.records.length; i++) {
    const start = r.pos;
    const length = r.varint();
    const end = r.pos + length;
    if (kept[i]) slices.push(body.subarray(start, end));
    r.pos = end;
  }
  const raw = new Uint8Array(slices.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of slices) {
    raw.set(s, at);
    at += s.length;
  }
  // An empty batch carries no payload, so no codec either.
  const newAttributes = count === 0 ? attributes & ~COMPRESSION_MASK : attributes;
  const newPayload = count === 0 || compression === 0 ? raw : compress(compression, raw);
  const out = new Uint8Array(BATCH_HEADER_BYTES + newPayload.length);
  out.set(batch.subarray(0, BATCH_HEADER_BYTES));
  out.set(newPayload, BATCH_HEADER_BYTES);
  const w = new DataView(out.buffer);
  w.setBigInt64(0, BigInt(baseOffset));
  w.setInt32(8, out.length - 12);
  w.setInt16(21, newAttributes);
  w.setInt32(57, count);
  w.setUint32(17, crc32c(out.subarray(BATCH_CRC_START)));
  return { bytes: out, recordCount: count, maxTimestamp: count === 0 ? -1 : maxTimestamp };
}

/** What the planner needs of an index entry. */
export interface PlannedEntry {
  baseOffset: number;
  lastOffset: number;
  byteLength: number;
  maxTimestamp: number;
}

/**
 * Where this pass's dirty range ends (exclusive): past the entries wholly below the high watermark
 * read at the start, stopping before the first entry with a record younger than
 * min.compaction.lag.ms (by its max timestamp). `entries` are the partition's, in offset order.
 */
export function cleanableEnd(
  entries: readonly PlannedEntry[],
  highWatermark: number,
  now: number,
  config: KeyCompactionConfig,
): number {
  let end = entries[0]?.baseOffset ?? 0;
  for (const e of entries) {
    if (e.lastOffset >= highWatermark || e.baseOffset !== end) break;
    if (e.maxTimestamp > now - config.minCompactionLagMs) break;
    end = e.lastOffset + 1;
  }
  return end;
}

/**
 * Whether a partition is worth a pass: its dirty bytes (entries at or past `cleanedUpTo`, below
 * `end`) are at least min.cleanable.dirty.ratio of all its bytes below `end`, or its oldest dirty
 * entry is older than max.compaction.lag.ms.
 */
export function worthCleaning(
  entries: readonly PlannedEntry[],
  cleanedUpTo: number,
  end: number,
  now: number,
  config: KeyCompactionConfig,
): boolean {
  let total = 0;
  let dirty = 0;
  let oldestDirty = Number.POSITIVE_INFINITY;
  for (const e of entries) {
    if (e.lastOffset >= end) break;
    total += e.byteLength;
    if (e.lastOffset >= cleanedUpTo) {
      dirty += e.byteLength;
      oldestDirty = Math.min(oldestDirty, e.maxTimestamp);
    }
  }
  if (dirty === 0) return false;
  if (dirty / total >= config.minCleanableDirtyRatio) return true;
  return now - oldestDirty > config.maxCompactionLagMs;
}
