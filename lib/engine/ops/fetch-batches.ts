import { patchBaseOffsets } from '../codec/record-batch.js';
import type { Engine } from '../engine.js';
import { OffsetOutOfRangeError } from '../errors.js';
import type { IndexEntry, PartitionHead, Topic } from '../types.js';
import { readBatchesSettled, readHeads } from './fetch.js';
import { checkPartition } from './topics.js';

/** One partition of a Kafka Fetch. */
export interface PartitionFetchRequest {
  topic: Topic;
  partition: number;
  offset: number;
  /** The partition's own byte limit (partitionMaxBytes). */
  maxBytes: number;
}

export interface PartitionFetchResult {
  request: PartitionFetchRequest;
  /** Consecutive stored RecordBatches, unchanged but for their base offsets; empty when none. */
  records: Uint8Array;
  highWatermark: number;
  logStartOffset: number;
  error?: unknown;
}

export interface FetchBatchesOptions {
  /** Wait up to this long for `minBytes` to be there (Kafka's maxWaitMs). */
  maxWaitMs: number;
  minBytes: number;
  /** Across all partitions; the first batch found is returned whole even when larger. */
  maxBytes: number;
}

const INDEX_PAGE = 32;
const EMPTY = new Uint8Array(0);

/**
 * Kafka's Fetch over the stored log: for each partition, the stored batches from the one holding
 * the fetch offset (returned whole, as Kafka does) up to the partition's and the request's byte
 * limits, never past the high watermark. Each pass reads all the partitions' heads in one
 * BatchGetItem and their batches with as few ranged GETs as adjacency allows (fetchOnce). When
 * fewer than minBytes are there, it long-polls: waking on commits in this process at once, and
 * polling the waiting partitions' heads (one BatchGetItem) for other processes' commits, until the
 * bytes are there or maxWaitMs has passed.
 */
export async function fetchBatches(
  engine: Engine,
  requests: readonly PartitionFetchRequest[],
  options: FetchBatchesOptions,
): Promise<PartitionFetchResult[]> {
  const started = performance.now();
  let results = await fetchOnce(engine, requests, options.maxBytes);
  for (;;) {
    const bytes = results.reduce((n, r) => n + r.records.length, 0);
    const elapsed = performance.now() - started;
    if (bytes >= Math.max(1, options.minBytes) || elapsed >= options.maxWaitMs) return results;
    if (results.some((r) => r.error !== undefined)) return results;
    // Poll fast at first (latency), then slower (each poll is a read unit per topic).
    const interval = elapsed < 2000 ? 100 : 250;
    const waitable = results.filter((r) => r.records.length === 0);
    // Every partition has something, just less than minBytes: nothing to wait on, as in Kafka's purgatory.
    if (waitable.length === 0) return results;
    await Promise.race(
      waitable.map((r) =>
        engine.watch.waitForAdvance(
          r.request.topic.topicId,
          r.request.partition,
          Math.min(interval, options.maxWaitMs - elapsed),
        ),
      ),
    );
    if (await anyAdvanced(engine, waitable)) results = await fetchOnce(engine, requests, options.maxBytes);
  }
}

/** Whether any of the empty partitions has data past its fetch offset now: one read of their heads. */
async function anyAdvanced(engine: Engine, empty: PartitionFetchResult[]): Promise<boolean> {
  const heads = await readHeads(
    engine,
    empty.map((r) => r.request),
  );
  return empty.some((r, i) => {
    const head = heads[i] as PartitionHead;
    return head.nextOffset > r.request.offset || head.logStartOffset > r.request.offset;
  });
}

/** A partition's fetch as it goes through fetchOnce's steps; `error` ends it. */
interface Pass {
  request: PartitionFetchRequest;
  head: PartitionHead;
  entries: IndexEntry[];
  error?: unknown;
}

const NO_HEAD: PartitionHead = { nextOffset: -1, logStartOffset: -1 };

/**
 * One pass over every partition: all heads in one read (readHeads: one BatchGetItem), each
 * partition's index Query in parallel, then every partition's batches together (readBatchesSettled:
 * batches adjacent in one object, as one produce request's partitions are, share one GET); then the
 * request's byte limit, in request order.
 */
async function fetchOnce(
  engine: Engine,
  requests: readonly PartitionFetchRequest[],
  maxBytes: number,
): Promise<PartitionFetchResult[]> {
  const passes: Pass[] = requests.map((request) => {
    try {
      checkPartition(request.topic, request.partition);
      return { request, head: NO_HEAD, entries: [] };
    } catch (err) {
      return { request, head: NO_HEAD, entries: [], error: err };
    }
  });
  const valid = passes.filter((p) => p.error === undefined);
  try {
    const heads = await readHeads(
      engine,
      valid.map((p) => p.request),
    );
    valid.forEach((p, i) => {
      p.head = heads[i] as PartitionHead;
    });
  } catch (err) {
    for (const p of valid) p.error = err;
  }

  await Promise.all(passes.map((p) => findEntries(engine, p, maxBytes)));
  const all = passes.flatMap((p) => p.entries);
  const ranges = await readBatchesSettled(engine, all);
  let at = 0;
  const results = passes.map((p) => {
    const mine = ranges.slice(at, at + p.entries.length);
    at += p.entries.length;
    return assemble(p, mine);
  });

  let budget = maxBytes;
  let anyReturned = false;
  return results.map((r) => {
    if (r.records.length === 0) return r;
    const fitted = fitBatches(r.records, anyReturned ? budget : Math.max(budget, 1), !anyReturned);
    anyReturned ||= fitted.length > 0;
    budget -= fitted.length;
    return { ...r, records: fitted };
  });
}

/** Checks the fetch offset against the head and finds the index entries to read, unless failed. */
async function findEntries(engine: Engine, pass: Pass, requestMaxBytes: number): Promise<void> {
  if (pass.error !== undefined) return;
  const { request, head } = pass;
  const { topic, partition, offset } = request;
  try {
    if (offset < head.logStartOffset || offset > head.nextOffset) {
      throw new OffsetOutOfRangeError(offset, head.logStartOffset, head.nextOffset);
    }
    if (offset === head.nextOffset) return;
    const limit = Math.min(request.maxBytes, requestMaxBytes);
    pass.entries = await entriesFor(engine, topic, partition, offset, head.nextOffset, limit);
  } catch (err) {
    pass.error = err;
    pass.entries = [];
  }
}

/** The partition's answer: its batches back to back, each with its committed base offset. */
function assemble(pass: Pass, ranges: PromiseSettledResult<Uint8Array>[]): PartitionFetchResult {
  const { request, head } = pass;
  const base = { request, highWatermark: head.nextOffset, logStartOffset: head.logStartOffset };
  const failed = ranges.find((r) => r.status === 'rejected');
  const error = pass.error ?? failed?.reason;
  if (error !== undefined) return { ...base, records: EMPTY, error };
  if (ranges.length === 0) return { ...base, records: EMPTY };
  const batches = ranges.map((r) => (r as PromiseFulfilledResult<Uint8Array>).value);
  const out = new Uint8Array(batches.reduce((n, b) => n + b.length, 0));
  let at = 0;
  batches.forEach((bytes, i) => {
    // A copy: the segment cache's bytes stay as stored.
    const slot = out.subarray(at, at + bytes.length);
    slot.set(bytes);
    const entry = pass.entries[i] as IndexEntry;
    patchBaseOffsets(slot, entry.baseOffset, entry.sparse);
    at += bytes.length;
  });
  return { ...base, records: out };
}

/**
 * Index entries from the one holding `offset`, consecutive, below the high watermark, within
 * `maxBytes` but always at least one. Index pages are separate reads, so a compaction swapping
 * entries between them can make a later page repeat or skip offsets: a repeat is dropped, and a
 * gap ends the answer (the next fetch starts there and reads the swapped index).
 */
async function entriesFor(
  engine: Engine,
  topic: Topic,
  partition: number,
  offset: number,
  highWatermark: number,
  maxBytes: number,
): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  let bytes = 0;
  let expected = -1;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await engine.metadata.queryIndex(topic, partition, offset, INDEX_PAGE, startKey);
    for (const entry of page.entries) {
      if (entry.baseOffset >= highWatermark) return out;
      if (expected === -1) {
        // The entry holding the fetch offset; one starting past it means the index moved under us.
        if (entry.baseOffset > offset) return out;
      } else if (entry.lastOffset < expected) {
        continue;
      } else if (entry.baseOffset !== expected) {
        return out;
      }
      if (out.length > 0 && bytes + entry.byteLength > maxBytes) return out;
      out.push(entry);
      bytes += entry.byteLength;
      expected = entry.lastOffset + 1;
    }
    startKey = page.nextKey;
  } while (startKey);
  return out;
}

/** The whole batches of `records` that fit in `budget` bytes; the first one regardless when `atLeastOne`. */
function fitBatches(records: Uint8Array, budget: number, atLeastOne: boolean): Uint8Array {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let end = 0;
  while (end < records.length) {
    const next = end + 12 + view.getInt32(end + 8);
    if (next > budget && !(atLeastOne && end === 0)) break;
    end = next;
  }
  return records.subarray(0, end);
}
