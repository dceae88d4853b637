import { decodeBatches } from '../codec/record-batch.js';
import type { PartitionHead, Topic } from '../types.js';
import type { MetadataStore } from './metadata-store.js';
import type { SegmentStore } from './segment-store.js';

/**
 * The first offset in [log start, high watermark) whose record's timestamp is >= `timestamp`, as
 * of `head`; the high watermark when no record is that recent (as KafkaJS's
 * fetchTopicOffsetsByTimestamp does, so a consumer seeking there waits for new data). The index
 * finds the first batch that may hold one (its max timestamp is that recent); the batch itself says
 * which record, since timestamps within a partition need not be ordered.
 */
export async function offsetByTimestamp(
  metadata: MetadataStore,
  segments: SegmentStore,
  topic: Topic,
  partition: number,
  head: PartitionHead,
  timestamp: number,
): Promise<number> {
  let from = head.logStartOffset;
  for (;;) {
    const entry = await metadata.findBatchAtOrAfterTimestamp(topic, partition, from, timestamp);
    if (!entry || entry.baseOffset >= head.nextOffset) return head.nextOffset;
    const bytes = await segments.getRange(entry.objectKey, entry.byteOffset, entry.byteLength);
    const hit = decodeBatches(bytes, entry.baseOffset).find(
      (r) => r.timestamp >= timestamp && r.offset >= head.logStartOffset && r.offset < head.nextOffset,
    );
    if (hit) return hit.offset;
    from = entry.lastOffset + 1;
  }
}
