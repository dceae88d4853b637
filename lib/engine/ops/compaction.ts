import { SegmentWriter } from '../codec/segment.js';
import type { Engine } from '../engine.js';
import { newSegmentKey } from '../storage/segment-store.js';
import type { IndexEntry, Topic } from '../types.js';
import { allIndexEntries } from './retention.js';

export interface CompactionOptions {
  /** Index entries smaller than this are worth merging. */
  smallBytes: number;
  /** A merged range grows up to about this size. */
  targetBytes: number;
}

/**
 * One transaction per merged run (ReferenceStore.swapCompactedRun): an action per old entry, two per
 * old object, and the new segment record. 30 entries from 30 objects is 30 + 60 + 1 actions.
 */
const MAX_RUN = 30;
const MIN_RUN = 2;

export interface CompactionResult {
  runs: number;
  entriesMerged: number;
}

/**
 * Merges runs of small, adjacent index entries of one partition into one per-partition object and
 * one index entry. The batches are copied byte for byte, so offsets, timestamps, headers and CRCs
 * are unchanged, and a fetch returns exactly what it did; it needs fewer GETs per MiB. The old
 * entries are swapped in one transaction, conditional on each still pointing where it did, and the
 * old objects retire through storage GC.
 */
export async function compactPartition(
  engine: Engine,
  topic: Topic,
  partition: number,
  options: CompactionOptions,
): Promise<CompactionResult> {
  const head = await engine.metadata.getHead(topic, partition);
  const entries = (await allIndexEntries(engine, topic, partition)).filter(
    (e) => e.lastOffset >= head.logStartOffset,
  );
  const result: CompactionResult = { runs: 0, entriesMerged: 0 };
  for (const run of smallRuns(entries, options)) {
    if (await mergeRun(engine, topic, partition, run)) {
      result.runs++;
      result.entriesMerged += run.length;
    }
  }
  return result;
}

/** Consecutive small entries, cut into runs of at most targetBytes and MAX_RUN entries. */
export function smallRuns(entries: readonly IndexEntry[], options: CompactionOptions): IndexEntry[][] {
  const runs: IndexEntry[][] = [];
  let run: IndexEntry[] = [];
  let bytes = 0;
  const close = () => {
    if (run.length >= MIN_RUN) runs.push(run);
    run = [];
    bytes = 0;
  };
  for (const e of entries) {
    const adjacent = run.length === 0 || (run.at(-1) as IndexEntry).lastOffset + 1 === e.baseOffset;
    // A sparse entry (compaction by key) carries absolute base offsets, dense ones do not: never mixed.
    const big = e.byteLength >= options.smallBytes || e.sparse === true;
    if (big || !adjacent) {
      close();
      if (big) continue;
    }
    if (run.length >= MAX_RUN || bytes + e.byteLength > options.targetBytes) close();
    run.push(e);
    bytes += e.byteLength;
  }
  close();
  return runs;
}

async function mergeRun(
  engine: Engine,
  topic: Topic,
  partition: number,
  run: IndexEntry[],
): Promise<boolean> {
  const batches: Uint8Array[] = [];
  for (const e of run) batches.push(await engine.segments.getRange(e.objectKey, e.byteOffset, e.byteLength));
  return replaceRun(engine, topic, partition, run, {
    batches,
    recordCount: run.reduce((n, e) => n + e.recordCount, 0),
    maxTimestamp: Math.max(...run.map((e) => e.maxTimestamp)),
  });
}

/** What replaces a run of index entries: its batches, back to back, in one new range. */
export interface ReplacementRange {
  batches: Uint8Array | readonly Uint8Array[];
  recordCount: number;
  maxTimestamp: number;
  /** Set by compaction by key: the range is sparse, and holds this many records. */
  keyCompacted?: { recordCount: number };
}

/**
 * Uploads `range` as a new object and swaps `run`'s index entries for one entry pointing into it,
 * in one conditional transaction (ReferenceStore.swapCompactedRun). False when retention or
 * another compactor changed the entries first: the new object is then recorded as an orphan. A
 * throw (an ambiguous outcome) propagates: if the swap did land, its segment record protects the
 * object, and if not, storage GC's sweep of unreferenced objects removes it after the grace period.
 */
export async function replaceRun(
  engine: Engine,
  topic: Topic,
  partition: number,
  run: readonly IndexEntry[],
  range: ReplacementRange,
): Promise<boolean> {
  const writer = new SegmentWriter();
  const ref = writer.add(
    {
      topic: topic.name,
      topicId: topic.topicId,
      partition,
      recordCount: range.recordCount,
      maxTimestamp: range.maxTimestamp,
    },
    range.batches,
  );
  const body = writer.finish();
  const objectKey = newSegmentKey(engine.now());
  await engine.segments.put(objectKey, body);
  const now = engine.now();
  const swapped = await engine.references.swapCompactedRun(
    topic,
    partition,
    run,
    {
      objectKey,
      byteOffset: ref.byteOffset,
      byteLength: ref.byteLength,
      bytes: body.length,
      ...(range.keyCompacted ? { keyCompacted: range.keyCompacted } : {}),
    },
    now,
  );
  if (!swapped) await engine.metadata.recordOrphan(objectKey, 'compaction lost a race', now);
  return swapped;
}
