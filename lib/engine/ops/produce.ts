import { isCompactPolicy } from '../../contract/limits.js';
import { partitionForKey } from '../../contract/partitioner.js';
import { encodeBatch } from '../codec/record-batch.js';
import type { Engine } from '../engine.js';
import {
  InvalidRecordError,
  InvalidRequestError,
  MessageTooLargeError,
  RecordListTooLargeError,
} from '../errors.js';
import type { ProducerRecord, RecordHeader, Topic } from '../types.js';
import { LIMITS } from '../validation.js';
import {
  appendSegment,
  type PartitionAppend,
  type PreparedGroupCommit,
  type SequencedAppend,
} from './append.js';
import { MAX_PARTITIONS_PER_COMMIT, MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT } from './commit.js';
import { checkPartition, getTopic } from './topics.js';

export type { PreparedGroupCommit } from './append.js';

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
  /** Makes the produce idempotent: every record names its partition, and each partition its base sequence. */
  producer?: IdempotentProducerInput;
  /** Commits a consumer group's offsets in the same transaction as the records (exactly-once pipelines). */
  groupCommit?: PreparedGroupCommit;
}

export interface IdempotentProducerInput {
  producerId: string;
  producerEpoch: number;
  /** Partition -> the sequence number of its first record in this request. */
  sequences: Map<number, number>;
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
  const byPartition = groupByPartition(topic, records, placed, now);
  const maxPartitions = options.producer ? MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT : MAX_PARTITIONS_PER_COMMIT;
  if (byPartition.size > maxPartitions) {
    throw new InvalidRequestError(
      `a produce request may touch at most ${maxPartitions} partitions (one atomic commit); this one touches ${byPartition.size}: split it`,
    );
  }
  const sequenced = options.producer
    ? checkSequencedRequest(options.producer, records, byPartition)
    : undefined;
  const batches = encodeBatches(byPartition, options.compression ?? 0, sequenced);
  const bases = await appendSegment(engine, topic, batches, {
    ...(sequenced ? { sequenced } : {}),
    ...(options.groupCommit ? { groupCommit: options.groupCommit } : {}),
  });
  return offsetsFor(placed, bases);
}

/** The topic as produce sees it: cached for engine.config.topicCacheMs (the commit re-checks its id). */
export async function topicForProduce(
  engine: Engine,
  name: string,
  now: number,
  fresh = false,
): Promise<Topic> {
  const cached = fresh ? undefined : engine.topics.get(name, now);
  if (cached) return cached;
  const topic = await getTopic(engine, name);
  engine.topics.set(topic, now);
  return topic;
}

/** The records of each partition, in request order, with their timestamps settled. */
function groupByPartition(
  topic: Topic,
  records: readonly ProduceRecordInput[],
  placed: number[],
  now: number,
): Map<number, ProducerRecord[]> {
  const byPartition = new Map<number, ProducerRecord[]>();
  const compacted = isCompactPolicy(topic.config['cleanup.policy']);
  records.forEach((r, i) => {
    checkRecordSize(topic, r, i);
    if (r.key === null && compacted) {
      throw new InvalidRecordError(
        `record ${i} has a null key; topic ${topic.name} is compacted (cleanup.policy=${topic.config['cleanup.policy']}) and accepts keyed records only`,
      );
    }
    const p = placed[i] as number;
    let list = byPartition.get(p);
    if (!list) {
      list = [];
      byPartition.set(p, list);
    }
    list.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp ?? now });
  });
  return byPartition;
}

/** One RecordBatch per partition. */
function encodeBatches(
  byPartition: Map<number, ProducerRecord[]>,
  compression: number,
  sequenced: SequencedAppend | undefined,
): PartitionAppend[] {
  return [...byPartition].map(([partition, list]) => {
    const producerInfo = sequenced
      ? {
          producerId: Number(sequenced.producerId),
          producerEpoch: sequenced.epoch,
          baseSequence: sequenced.batches.get(partition)?.baseSequence ?? -1,
        }
      : undefined;
    const batch = encodeBatch(list, compression, producerInfo);
    return {
      partition,
      bytes: batch.bytes,
      recordCount: batch.recordCount,
      maxTimestamp: batch.maxTimestamp,
    };
  });
}

/** An idempotent request names every record's partition and a base sequence for each partition it touches. */
function checkSequencedRequest(
  producer: IdempotentProducerInput,
  records: readonly ProduceRecordInput[],
  byPartition: Map<number, ProducerRecord[]>,
): SequencedAppend {
  if (records.some((r) => r.partition === undefined)) {
    throw new InvalidRequestError('an idempotent produce must give every record its partition');
  }
  const batches: SequencedAppend['batches'] = new Map();
  for (const [partition, list] of byPartition) {
    const baseSequence = producer.sequences.get(partition);
    if (baseSequence === undefined)
      throw new InvalidRequestError(`no base sequence for partition ${partition}`);
    batches.set(partition, { epoch: producer.producerEpoch, baseSequence, recordCount: list.length });
  }
  if (producer.sequences.size !== byPartition.size) {
    throw new InvalidRequestError('sequences name a partition that no record of the request goes to');
  }
  return { producerId: producer.producerId, epoch: producer.producerEpoch, batches };
}

/** One offset per record, in request order, from each partition's base offset. */
function offsetsFor(placed: number[], bases: Map<number, number>): ProducedOffset[] {
  const next = new Map(bases);
  return placed.map((partition) => {
    const offset = next.get(partition) as number;
    next.set(partition, offset + 1);
    return { partition, offset };
  });
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
