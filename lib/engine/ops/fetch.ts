import { decodeBatches } from '../codec/record-batch.js';
import type { Engine } from '../engine.js';
import { OffsetOutOfRangeError } from '../errors.js';
import type { ReadRangesOptions } from '../storage/segment-store.js';
import type { IndexEntry, LogRecord, PartitionHead, Topic } from '../types.js';
import { checkPartition, getTopic } from './topics.js';

export interface FetchOptions {
  offset: number;
  maxRecords: number;
  /** Soft cap on key + value + header bytes returned; at least one record is returned regardless. */
  maxBytes: number;
  /** Long-poll: when the offset is the high watermark, wait up to this long for data. */
  waitMs: number;
}

export interface FetchResult {
  records: LogRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

const INDEX_PAGE = 32;

/**
 * How batch ranges become GETs. Ranges of one object at most 64 KiB apart are read in one GET (a
 * GET's latency costs far more than 64 KiB of transfer) and split; a read stops growing at 4 MiB
 * (about one request latency of transfer), so that a large fetch still runs 8 GETs in parallel.
 */
export const SEGMENT_READS: ReadRangesOptions = {
  maxGapBytes: 64 * 1024,
  maxReadBytes: 4 * 1024 * 1024,
  concurrency: 8,
};

/**
 * Reads a partition from an offset: one consistent read of the head, one Query on the index (the
 * sort key is each batch's last offset, so the first hit holds the start offset), then ranged GETs
 * of just those batches (adjacent ones of one object in one GET). Never returns a record at or past
 * the high watermark read at the start.
 */
export async function fetchRecords(
  engine: Engine,
  topicName: string,
  partition: number,
  options: FetchOptions,
): Promise<FetchResult> {
  const topic = await getTopic(engine, topicName);
  checkPartition(topic, partition);
  let head = await readHead(engine, topic, partition);
  const { offset } = options;
  if (offset < head.logStartOffset || offset > head.nextOffset) {
    throw new OffsetOutOfRangeError(offset, head.logStartOffset, head.nextOffset);
  }
  if (offset === head.nextOffset && options.waitMs > 0) {
    head = await waitForData(engine, topic, partition, offset, options.waitMs);
    // DeleteRecords or retention may have moved the log start past us while we waited.
    if (offset < head.logStartOffset)
      throw new OffsetOutOfRangeError(offset, head.logStartOffset, head.nextOffset);
  }
  if (offset >= head.nextOffset) {
    return {
      records: [],
      nextOffset: offset,
      highWatermark: head.nextOffset,
      logStartOffset: head.logStartOffset,
    };
  }

  const entries = await indexEntriesFor(engine, topic, partition, offset, head.nextOffset, options);
  const batches = await readBatches(engine, entries);
  const { records, nextOffset } = collectRange(
    batches.map((bytes, i) => {
      const e = entries[i] as IndexEntry;
      return decodeBatches(bytes, e.baseOffset, e.sparse);
    }),
    entries,
    offset,
    head.nextOffset,
    options,
  );
  return {
    records,
    nextOffset,
    highWatermark: head.nextOffset,
    logStartOffset: head.logStartOffset,
  };
}

/**
 * The records to return, strictly consecutive from `offset` and below the high watermark. Index
 * pages are separate reads, so a compaction swapping entries between them can make a later page
 * repeat offsets an earlier one covered, or skip some: repeats are dropped, and a gap ends the
 * response (the next fetch starts there and reads the swapped index).
 */
export function collectRecords(
  batches: LogRecord[][],
  offset: number,
  highWatermark: number,
  limits: Pick<FetchOptions, 'maxRecords' | 'maxBytes'>,
): LogRecord[] {
  return collectRange(batches, undefined, offset, highWatermark, limits).records;
}

/** The span of an index entry, for collectRange: a sparse one may skip offsets inside it. */
export interface RangeSpan {
  baseOffset: number;
  lastOffset: number;
  sparse?: boolean;
}

/**
 * collectRecords with gaps: inside a sparse entry (compaction by key removed records) offsets may
 * be skipped, and once such an entry is read to its end the next offset is past its last one, so a
 * fetch at a removed offset returns the next record that remains. Between entries the offsets
 * still join up: a gap there is an index race, and ends the answer as before. `nextOffset` is
 * after the last record returned, or after the last sparse entry read whole (never past the high
 * watermark).
 */
export function collectRange(
  batches: LogRecord[][],
  spans: readonly RangeSpan[] | undefined,
  offset: number,
  highWatermark: number,
  limits: Pick<FetchOptions, 'maxRecords' | 'maxBytes'>,
): { records: LogRecord[]; nextOffset: number } {
  const out: LogRecord[] = [];
  let expected = offset;
  let bytes = 0;
  const done = () => ({ records: out, nextOffset: expected });
  for (const [i, batch] of batches.entries()) {
    const span = spans?.[i];
    if (span && span.lastOffset < expected) continue;
    if (span && span.baseOffset > expected) return done();
    const sparse = span?.sparse === true;
    for (const record of batch) {
      if (record.offset < expected) continue;
      if (record.offset >= highWatermark || out.length >= limits.maxRecords) return done();
      if (record.offset > expected && !sparse) return done();
      const size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
      if (out.length > 0 && bytes + size > limits.maxBytes) return done();
      bytes += size;
      out.push(record);
      expected = record.offset + 1;
    }
    if (sparse && span) expected = Math.max(expected, Math.min(span.lastOffset + 1, highWatermark));
  }
  return done();
}

/** A consistent read of the head, which the partition watch remembers. */
export async function readHead(engine: Engine, topic: Topic, partition: number): Promise<PartitionHead> {
  const head = await engine.metadata.getHead(topic, partition);
  engine.watch.observe(topic.topicId, partition, head.nextOffset);
  return head;
}

/**
 * Consistent reads of several heads, in the order asked, which the partition watch remembers: one
 * GetItem for one partition, else one BatchGetItem per 100 partitions, whatever their topics.
 */
export async function readHeads(
  engine: Engine,
  partitions: readonly { topic: Topic; partition: number }[],
): Promise<PartitionHead[]> {
  if (partitions.length === 0) return [];
  if (partitions.length === 1) {
    const { topic, partition } = partitions[0] as { topic: Topic; partition: number };
    return [await readHead(engine, topic, partition)];
  }
  const heads = await engine.metadata.getHeadsOf(partitions);
  partitions.forEach(({ topic, partition }, i) => {
    engine.watch.observe(topic.topicId, partition, (heads[i] as PartitionHead).nextOffset);
  });
  return heads;
}

/** Polls the head (waking early on commits in this process) until it passes `offset` or time runs out. */
async function waitForData(
  engine: Engine,
  topic: Topic,
  partition: number,
  offset: number,
  waitMs: number,
): Promise<PartitionHead> {
  const started = performance.now();
  let head: PartitionHead = { nextOffset: offset, logStartOffset: 0 };
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= waitMs) return head;
    // Poll fast at first (latency), then slower (each poll is a read unit).
    const interval = elapsed < 2000 ? 100 : 250;
    await engine.watch.waitForAdvance(topic.topicId, partition, Math.min(interval, waitMs - elapsed));
    head = await readHead(engine, topic, partition);
    if (head.nextOffset > offset) return head;
  }
}

async function indexEntriesFor(
  engine: Engine,
  topic: Topic,
  partition: number,
  offset: number,
  highWatermark: number,
  options: FetchOptions,
): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  let records = 0;
  let bytes = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await engine.metadata.queryIndex(topic, partition, offset, INDEX_PAGE, startKey);
    for (const entry of page.entries) {
      if (entry.baseOffset >= highWatermark) return out;
      out.push(entry);
      records += entry.sparse
        ? entry.recordCount
        : Math.min(entry.lastOffset, highWatermark - 1) - Math.max(entry.baseOffset, offset) + 1;
      bytes += entry.byteLength;
      if (records >= options.maxRecords || bytes >= options.maxBytes) return out;
    }
    startKey = page.nextKey;
  } while (startKey);
  return out;
}

/** Fetches the entries' byte ranges (see readBatchesSettled), in entry order; fails if any GET failed. */
export async function readBatches(engine: Engine, entries: IndexEntry[]): Promise<Uint8Array[]> {
  return (await readBatchesSettled(engine, entries)).map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

/**
 * Fetches the entries' byte ranges, in entry order: warm ones from the segment cache, the others
 * with SEGMENT_READS' GETs (entries adjacent in one object share one), a bounded number at a time.
 * A failed GET fails only the entries it was to read.
 */
export function readBatchesSettled(
  engine: Engine,
  entries: readonly IndexEntry[],
): Promise<PromiseSettledResult<Uint8Array>[]> {
  return engine.segments.readRanges(
    entries.map((e) => ({ key: e.objectKey, offset: e.byteOffset, length: e.byteLength })),
    SEGMENT_READS,
  );
}
