import { decodeBatches } from '../codec/record-batch.js';
import type { Engine } from '../engine.js';
import {
  addToKeyMap,
  cleanableEnd,
  isCompacted,
  type KeyMap,
  keepRecord,
  keyCompactionConfig,
  rewriteRanges,
  worthCleaning,
} from '../key-compaction.js';
import type { IndexEntry, LogRecord, Topic } from '../types.js';
import { replaceRun } from './compaction.js';
import { allIndexEntries } from './retention.js';

export interface KeyCompactionOptions {
  /**
   * Bound on the key map's memory, in bytes of keys (plus ~64 bytes of overhead per key). When the
   * dirty range has more, the pass stops its dirty range at the entry where the map filled, cleans
   * up to there, and the next pass goes on from there: several passes for a large partition.
   */
  maxKeyMapBytes: number;
  /** A rewrite run reads up to about this many bytes of old entries (and at most MAX_RUN entries). */
  runBytes: number;
  /** Clean even when the dirty ratio and max lag do not call for it (tests, the CLI). */
  force?: boolean;
}

export const KEY_COMPACTION_OPTIONS: KeyCompactionOptions = {
  maxKeyMapBytes: 64 * 1024 * 1024,
  runBytes: 16 * 1024 * 1024,
};

/** One transaction per run (ReferenceStore.swapCompactedRun): 30 entries from 30 objects is 91 actions. */
const MAX_RUN = 30;
const KEY_OVERHEAD = 64;

export interface KeyCompactionResult {
  /** Whether the partition was chosen for a pass. */
  cleaned: boolean;
  runsSwapped: number;
  runsLost: number;
  recordsBefore: number;
  recordsAfter: number;
  /** Offsets below this are clean now (as this pass saw it). */
  cleanedUpTo: number;
}

/**
 * One pass of compaction by key over one partition (cleanup.policy includes compact):
 *  1. reads the head (the high watermark H) and where the last completed pass cleaned up to (C);
 *  2. the dirty range is [C, E): E is past the entries wholly below H, stopping before the first
 *     entry with a record younger than min.compaction.lag.ms, and before the key map's bound;
 *  3. unless forced, goes on only when the dirty bytes are min.cleanable.dirty.ratio of the bytes
 *     below E, or the oldest dirty entry is older than max.compaction.lag.ms;
 *  4. builds key -> last offset over the dirty range;
 *  5. rewrites every entry below E (clean and dirty) in runs of at most MAX_RUN entries: each run
 *     into a new object and one sparse index entry spanning the run's offsets, swapped in one
 *     conditional transaction (swapCompactedRun: each old entry still pointing where it did);
 *  6. when every run swapped, moves C to E (conditional, forward only).
 * A run that loses a race (a produce cannot touch these entries, but retention, a second
 * compactor or small-object compaction can) leaves its object an orphan, and C stays, so the next
 * pass redoes the work. See docs/durability.md, "Compaction by key".
 */
export async function compactPartitionByKey(
  engine: Engine,
  topic: Topic,
  partition: number,
  options: KeyCompactionOptions = KEY_COMPACTION_OPTIONS,
): Promise<KeyCompactionResult> {
  const now = engine.now();
  const config = keyCompactionConfig(topic.config as unknown as Record<string, unknown>);
  const head = await engine.metadata.getHead(topic, partition);
  const { cleanedUpTo, oldestTombstone } = await engine.metadata.getCleaned(topic, partition);
  const result: KeyCompactionResult = {
    cleaned: false,
    runsSwapped: 0,
    runsLost: 0,
    recordsBefore: 0,
    recordsAfter: 0,
    cleanedUpTo,
  };
  const entries = (await allIndexEntries(engine, topic, partition)).filter(
    (e) => e.lastOffset >= head.logStartOffset && e.baseOffset < head.nextOffset,
  );
  let end = cleanableEnd(entries, head.nextOffset, now, config);
  // A tombstone kept by the last pass that has expired since: worth a pass even with nothing dirty.
  const tombstoneDue = oldestTombstone !== undefined && oldestTombstone < now - config.deleteRetentionMs;
  const due = options.force || tombstoneDue;
  if (end <= cleanedUpTo && !due) return result;
  if (!due && !worthCleaning(entries, cleanedUpTo, end, now, config)) return result;

  // The key map over the dirty range, bounded: the range ends early when the map is full.
  const latest: KeyMap = new Map();
  let mapBytes = 0;
  for (const e of entries) {
    if (e.lastOffset >= end) break;
    if (e.lastOffset < cleanedUpTo) continue;
    const bytes = await engine.segments.getRange(e.objectKey, e.byteOffset, e.byteLength);
    const records = decodeBatches(bytes, e.baseOffset, e.sparse);
    const size = latest.size;
    addToKeyMap(latest, records);
    // Each new key costs its bytes and the map's overhead; an update of a known key costs nothing.
    if (latest.size > size) {
      for (const r of records) if (r.key) mapBytes += r.key.length;
      mapBytes += (latest.size - size) * KEY_OVERHEAD;
    }
    if (mapBytes >= options.maxKeyMapBytes) {
      end = e.lastOffset + 1;
      break;
    }
  }
  result.cleaned = true;

  const policy = { now, config, cleanedUpTo, latest };
  const tombstones = { oldest: Number.POSITIVE_INFINITY };
  const keep = (r: LogRecord) => {
    const kept = keepRecord(r, policy);
    if (kept && r.key && r.value === null) tombstones.oldest = Math.min(tombstones.oldest, r.timestamp);
    return kept;
  };
  const inRange = entries.filter((e) => e.lastOffset < end);
  let complete = true;
  for (const run of runsOf(inRange, options.runBytes)) {
    const swapped = await rewriteRun(engine, topic, partition, run, keep, result);
    if (!swapped) complete = false;
  }
  const oldest = Number.isFinite(tombstones.oldest) ? tombstones.oldest : undefined;
  if (
    complete &&
    end >= cleanedUpTo &&
    (await engine.metadata.advanceCleanedUpTo(topic, partition, end, engine.now(), oldest))
  ) {
    result.cleanedUpTo = end;
  }
  return result;
}

/** Consecutive entries cut into runs of at most MAX_RUN entries and about `runBytes`. */
function runsOf(entries: readonly IndexEntry[], runBytes: number): IndexEntry[][] {
  const runs: IndexEntry[][] = [];
  let run: IndexEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (run.length > 0 && (run.length >= MAX_RUN || bytes + e.byteLength > runBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(e);
    bytes += e.byteLength;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

async function rewriteRun(
  engine: Engine,
  topic: Topic,
  partition: number,
  run: IndexEntry[],
  keep: (r: LogRecord) => boolean,
  result: KeyCompactionResult,
): Promise<boolean> {
  const ranges = await Promise.all(
    run.map(async (e) => ({
      baseOffset: e.baseOffset,
      sparse: e.sparse,
      bytes: await engine.segments.getRange(e.objectKey, e.byteOffset, e.byteLength),
    })),
  );
  const before = run.reduce((n, e) => n + e.recordCount, 0);
  const rewritten = rewriteRanges(ranges, keep);
  result.recordsBefore += before;
  result.recordsAfter += rewritten.recordCount;
  // Already one compacted entry, and nothing more to remove: leave it.
  if (run.length === 1 && run[0]?.sparse && rewritten.recordCount === before) return true;

  const swapped = await replaceRun(engine, topic, partition, run, {
    batches: rewritten.bytes,
    recordCount: rewritten.recordCount,
    maxTimestamp: rewritten.maxTimestamp,
    keyCompacted: { recordCount: rewritten.recordCount },
  });
  if (swapped) result.runsSwapped++;
  else result.runsLost++;
  return swapped;
}

/** Every partition of a compacted topic, one pass each; topics without compact in cleanup.policy are skipped. */
export async function compactTopicByKey(
  engine: Engine,
  topic: Topic,
  options: KeyCompactionOptions = KEY_COMPACTION_OPTIONS,
): Promise<KeyCompactionResult[]> {
  if (!isCompacted(topic.config as unknown as Record<string, unknown>)) return [];
  const out: KeyCompactionResult[] = [];
  for (let p = 0; p < topic.partitions; p++) out.push(await compactPartitionByKey(engine, topic, p, options));
  return out;
}
