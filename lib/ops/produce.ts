import { encodeBatch } from '../codec/record-batch.js';
import { SegmentWriter } from '../codec/segment.js';
import type { Engine } from '../engine.js';
import {
  InvalidRequestError,
  KafkaStorageError,
  MessageTooLargeError,
  RecordListTooLargeError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import { partitionForKey } from '../partitioner.js';
import { newSegmentKey } from '../storage/segment-store.js';
import type { ProducerRecord, RecordHeader, Topic } from '../types.js';
import { LIMITS } from '../validation.js';
import { commitBatches, MAX_PARTITIONS_PER_COMMIT, type PendingBatch } from './commit.js';
import { checkPartition, getTopic } from './topics.js';

export interface ProduceRecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
  partition?: number;
  /** Epoch ms; defaults to the time of append. */
  timestamp?: number;
}

export interface ProduceOptions {
  /** Kafka compression id (0 none, 1 gzip, ...). */
  compression?: number;
}

export interface ProducedOffset {
  partition: number;
  offset: number;
}

/**
 * One produce request: place records on partitions, encode one RecordBatch per partition into one
 * segment object, upload it under a fresh key, then commit all partitions in one transaction.
 * Offsets come back one per record, in request order, only after the commit succeeded.
 */
export async function produce(
  engine: Engine,
  topicName: string,
  records: readonly ProduceRecordInput[],
  options: ProduceOptions = {},
): Promise<ProducedOffset[]> {
  if (records.length === 0) throw new InvalidRequestError('at least one record is required');
  if (records.length > LIMITS.maxRecordsPerRequest) {
    throw new RecordListTooLargeError(`a request holds at most ${LIMITS.maxRecordsPerRequest} records`);
  }
  const now = engine.now();
  let topic = await topicForProduce(engine, topicName, now);
  // A partition past the cached count may have just been added: look again before rejecting.
  if (records.some((r) => r.partition !== undefined && r.partition >= topic.partitions)) {
    topic = await topicForProduce(engine, topicName, now, true);
  }
  const placed = placeRecords(topic, records);
  const byPartition = new Map<number, ProducerRecord[]>();
  records.forEach((r, i) => {
    checkRecordSize(topic, r, i);
    const p = placed[i] as number;
    let list = byPartition.get(p);
    if (!list) {
      list = [];
      byPartition.set(p, list);
    }
    list.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp ?? now });
  });
  if (byPartition.size > MAX_PARTITIONS_PER_COMMIT) {
    throw new InvalidRequestError(
      `a produce request may touch at most ${MAX_PARTITIONS_PER_COMMIT} partitions (one atomic commit); this one touches ${byPartition.size}: split it`,
    );
  }

  const writer = new SegmentWriter();
  const pending: PendingBatch[] = [];
  for (const [partition, list] of byPartition) {
    const batch = encodeBatch(list, options.compression ?? 0);
    const ref = writer.add(
      {
        topic: topic.name,
        topicId: topic.topicId,
        partition,
        recordCount: batch.recordCount,
        maxTimestamp: batch.maxTimestamp,
      },
      batch.bytes,
    );
    pending.push({
      partition,
      recordCount: batch.recordCount,
      byteOffset: ref.byteOffset,
      byteLength: ref.byteLength,
      maxTimestamp: batch.maxTimestamp,
    });
  }
  const body = writer.finish();
  const objectKey = newSegmentKey(now);

  try {
    await engine.segments.put(objectKey, body);
  } catch (err) {
    // The PUT may have landed before the error: remember the key so cleanup can delete it.
    await recordOrphan(engine, objectKey, err);
    throw new KafkaStorageError(`segment upload failed: ${(err as Error).message}`, { cause: err });
  }

  let committed: Map<number, number>;
  try {
    committed = await commitBatches(engine, { topic, objectKey, objectBytes: body.length, batches: pending });
  } catch (err) {
    if (err instanceof UnknownTopicOrPartitionError) engine.topics.invalidate(topic.name);
    await recordOrphan(engine, objectKey, err);
    throw err;
  }

  const nextInPartition = new Map(committed);
  return placed.map((partition) => {
    const offset = nextInPartition.get(partition) as number;
    nextInPartition.set(partition, offset + 1);
    return { partition, offset };
  });
}

async function topicForProduce(engine: Engine, name: string, now: number, fresh = false): Promise<Topic> {
  const cached = fresh ? undefined : engine.topics.get(name, now);
  if (cached) return cached;
  const topic = await getTopic(engine, name);
  engine.topics.set(topic, now);
  return topic;
}

/**
 * Explicit partitions are kept; keyed records go where Kafka's murmur2 partitioner sends them;
 * unkeyed records of one request all go to one random partition (Kafka's sticky partitioner),
 * which keeps a request's commit small.
 */
export function placeRecords(topic: Topic, records: readonly ProduceRecordInput[]): number[] {
  const sticky = Math.floor(Math.random() * topic.partitions);
  return records.map((r) => {
    if (r.partition !== undefined) {
      checkPartition(topic, r.partition);
      return r.partition;
    }
    if (r.key !== null) return partitionForKey(r.key, topic.partitions);
    return sticky;
  });
}

export function recordSize(r: ProduceRecordInput): number {
  let size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) size += Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return size;
}

function checkRecordSize(topic: Topic, r: ProduceRecordInput, i: number): void {
  const max = topic.config['max.message.bytes'];
  const size = recordSize(r);
  if (size > max) {
    throw new MessageTooLargeError(
      `record ${i} is ${size} bytes; topic ${topic.name} accepts at most ${max} (max.message.bytes)`,
    );
  }
}

async function recordOrphan(engine: Engine, objectKey: string, cause: unknown): Promise<void> {
  try {
    await engine.metadata.recordOrphan(objectKey, String((cause as Error)?.message ?? cause), engine.now());
  } catch {
    // Best effort: storage cleanup also finds unreferenced objects by listing old keys.
  }
}
