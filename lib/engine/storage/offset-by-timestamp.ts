import { decodeBatches } from '../codec/record-batch.js';
import type { PartitionHead, Topic } from '../types.js';
import type { MetadataStore } from './metadata-store.js';
import type { SegmentStore } from './segment-store.js';

/** A record's position and time, as ListOffsets reports it. */
export interface TimedOffset {
  offset: number;
  timestamp: number;
}

/**
 * The first offset in [log start, high watermark) whose record's timestamp is >= `timestamp`, as
 * of `head`; the high watermark when no record is that recent (as KafkaJS's
 * fetchTopicOffsetsByTimestamp does, so a consumer seeking there waits for new data).
 */
export async function offsetByTimestamp(
  metadata: MetadataStore,
  segments: SegmentStore,
  topic: Topic,
  partition: number,
  head: PartitionHead,
  timestamp: number,
): Promise<number> {
  const hit = await recordByTimestamp(metadata, segments, topic, partition, head, timestamp);
  return hit?.offset ?? head.nextOffset;
}

/**
 * The first record in [log start, high watermark) whose timestamp is >= `timestamp`, or undefined.
 * The index finds the first batch that may hold one (its max timestamp is that recent); the batch
 * itself says which record, since timestamps within a partition need not be ordered.
 */
export async function recordByTimestamp(
  metadata: MetadataStore,
  segments: SegmentStore,
  topic: Topic,
  partition: number,
  head: PartitionHead,
  timestamp: number,
): Promise<TimedOffset | undefined> {
  let from = head.logStartOffset;
  for (;;) {
    const entry = await metadata.findBatchAtOrAfterTimestamp(topic, partition, from, timestamp);
    if (!entry || entry.baseOffset >= head.nextOffset) return undefined;
    const bytes = await segments.getRange(entry.objectKey, entry.byteOffset, entry.byteLength);
    const hit = decodeBatches(bytes, entry.baseOffset, entry.sparse).find(
      (r) => r.timestamp >= timestamp && r.offset >= head.logStartOffset && r.offset < head.nextOffset,
    );
    if (hit) return { offset: hit.offset, timestamp: hit.timestamp };
    from = entry.lastOffset + 1;
  }
}
