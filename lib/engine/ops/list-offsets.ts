import { decodeBatches } from '../codec/record-batch.js';
import type { Engine } from '../engine.js';
import { offsetByTimestamp, recordByTimestamp, type TimedOffset } from '../storage/offset-by-timestamp.js';
import type { Topic } from '../types.js';
import { allIndexEntries } from './retention.js';
import { checkPartition, getTopic } from './topics.js';

export type { TimedOffset } from '../storage/offset-by-timestamp.js';

export type OffsetSpec = 'earliest' | 'latest' | number;

/**
 * Kafka's ListOffsets: the log start, the high watermark, or the first offset whose timestamp is
 * >= T. When no record is that recent, the answer is the high watermark (as KafkaJS's
 * fetchTopicOffsetsByTimestamp does), so a consumer seeking there waits for new data.
 */
export async function listOffsets(
  engine: Engine,
  topicName: string,
  partition: number,
  at: OffsetSpec,
): Promise<number> {
  const topic = await getTopic(engine, topicName);
  checkPartition(topic, partition);
  const head = await engine.metadata.getHead(topic, partition);
  if (at === 'earliest') return head.logStartOffset;
  if (at === 'latest') return head.nextOffset;
  return offsetByTimestamp(engine.metadata, engine.segments, topic, partition, head, at);
}

/** What Kafka's ListOffsets may ask for: the special timestamps -2, -1, -3 (-4 as -2), or a time. */
export type KafkaOffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | number;

/** Kafka's "no such offset": a timestamp past every record, or an empty partition's max timestamp. */
export const NO_OFFSET: TimedOffset = { offset: -1, timestamp: -1 };

/**
 * ListOffsets as Kafka answers it: earliest and latest carry timestamp -1; a time finds the first
 * record at or after it, and -1/-1 when there is none; max-timestamp finds the record with the
 * largest timestamp (the first of equals), which needs the partition's whole index.
 */
export async function kafkaListOffset(
  engine: Engine,
  topic: Topic,
  partition: number,
  spec: KafkaOffsetSpec,
): Promise<TimedOffset> {
  checkPartition(topic, partition);
  const head = await engine.metadata.getHead(topic, partition);
  if (spec === 'earliest') return { offset: head.logStartOffset, timestamp: -1 };
  if (spec === 'latest') return { offset: head.nextOffset, timestamp: -1 };
  if (spec === 'max-timestamp') {
    const live = (await allIndexEntries(engine, topic, partition)).filter(
      (e) => e.lastOffset >= head.logStartOffset && e.baseOffset < head.nextOffset,
    );
    if (live.length === 0) return NO_OFFSET;
    const best = live.reduce((a, b) => (b.maxTimestamp > a.maxTimestamp ? b : a));
    const bytes = await engine.segments.getRange(best.objectKey, best.byteOffset, best.byteLength);
    const records = decodeBatches(bytes, best.baseOffset, best.sparse).filter(
      (r) => r.offset >= head.logStartOffset && r.offset < head.nextOffset,
    );
    const top = records.reduce<(typeof records)[number] | undefined>(
      (a, r) => (!a || r.timestamp > a.timestamp ? r : a),
      undefined,
    );
    return top ? { offset: top.offset, timestamp: top.timestamp } : NO_OFFSET;
  }
  return (
    (await recordByTimestamp(engine.metadata, engine.segments, topic, partition, head, spec)) ?? NO_OFFSET
  );
}
