import type { Engine } from '../engine.js';
import { offsetByTimestamp } from '../storage/offset-by-timestamp.js';
import { checkPartition, getTopic } from './topics.js';

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
