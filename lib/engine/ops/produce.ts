import { partitionForKey } from '../../contract/partitioner.js';
import { encodeBatch } from '../codec/record-batch.js';
import { SegmentWriter } from '../codec/segment.js';
import type { Engine } from '../engine.js';
import {
  DuplicateSequenceNumberError,
  InvalidRequestError,
  KafkaStorageError,
  MessageTooLargeError,
  RecordListTooLargeError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import { type CommitOffsetsInput, prepareOffsetCommit } from '../groups/coordinator.js';
import { advance, checkSequence, type ProducerPartitionState, type SequencedBatch } from '../idempotence.js';
import { newSegmentKey } from '../storage/segment-store.js';
import type { ProducerRecord, RecordHeader, Topic } from '../types.js';
import { LIMITS } from '../validation.js';
import {
  type CommitProducer,
  commitActionCount,
  commitBatches,
  GroupCommitChanged,
  MAX_PARTITIONS_PER_COMMIT,
  MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT,
  MAX_TRANSACTION_ACTIONS,
  type PendingBatch,
  ProducerStateChanged,
} from './commit.js';
import { loadProducerStates } from './producers.js';
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
  /** Makes the produce idempotent: every record names its partition, and each partition its base sequence. */
  producer?: IdempotentProducerInput;
  /** Commits a consumer group's offsets in the same transaction as the records (exactly-once pipelines). */
  groupCommit?: GroupCommitInput;
}

export interface GroupCommitInput extends CommitOffsetsInput {
  groupId: string;
}

export interface IdempotentProducerInput {
  producerId: string;
  producerEpoch: number;
  /** Partition -> the sequence number of its first record in this request. */
  sequences: Map<number, number>;
}

/** A producer's retry that can no longer be answered; the caller gets a typed error instead. */
const MAX_PRODUCER_STATE_RETRIES = 5;

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
  const partitions = [...byPartition.keys()];
  // A warm writer knows its states from its last commit; the commit's condition catches a stale one.
  const freshStates = async (req: SequencedRequest) => {
    const states = await loadProducerStates(engine, req.producerId, req.epoch, topic, partitions);
    for (const [p, state] of states)
      if (state) engine.producerStates.set(req.producerId, topic.topicId, p, state);
    return states;
  };
  const cached = sequenced
    ? engine.producerStates.getAll(sequenced.producerId, topic.topicId, partitions)
    : undefined;
  let priors = sequenced ? (cached ?? (await freshStates(sequenced))) : undefined;
  if (sequenced && priors) {
    let duplicate: Map<number, number> | undefined;
    try {
      duplicate = duplicateOf(sequenced, priors);
    } catch (err) {
      // Judged against a cached state, which another process may have moved on: ask DynamoDB.
      if (!cached) throw err;
      priors = await freshStates(sequenced);
      duplicate = duplicateOf(sequenced, priors);
    }
    if (duplicate) return offsetsFor(placed, duplicate);
  }

  const prepareGroupCommit = () =>
    options.groupCommit
      ? prepareOffsetCommit(engine, options.groupCommit.groupId, options.groupCommit)
      : undefined;
  // Validated before the upload, so a stale or fenced member costs no PUT.
  let groupCommit = await prepareGroupCommit();
  if (
    commitActionCount(sequenced !== undefined, byPartition.size, groupCommit?.length) >
    MAX_TRANSACTION_ACTIONS
  ) {
    throw new InvalidRequestError(
      `records for ${byPartition.size} partitions plus ${options.groupCommit?.offsets.length} group offsets do not fit one atomic commit (${MAX_TRANSACTION_ACTIONS} DynamoDB actions); see docs/api.md`,
    );
  }

  const { body, pending } = buildSegment(topic, byPartition, options.compression ?? 0, sequenced);
  const objectKey = newSegmentKey(now);

  try {
    await engine.segments.put(objectKey, body);
  } catch (err) {
    // The PUT may have landed before the error: remember the key so cleanup can delete it.
    await recordOrphan(engine, objectKey, err);
    throw new KafkaStorageError(`segment upload failed: ${(err as Error).message}`, { cause: err });
  }

  for (let attempt = 0; ; attempt++) {
    try {
      const producer = sequenced && priors ? commitProducer(sequenced, priors) : undefined;
      const committed = await commitBatches(engine, {
        topic,
        objectKey,
        objectBytes: body.length,
        batches: pending,
        ...(producer ? { producer } : {}),
        ...(groupCommit ? { groupCommit: groupCommit.map((a) => a.item) } : {}),
      });
      if (sequenced && priors) rememberProducerStates(engine, topic, sequenced, priors, committed);
      return offsetsFor(placed, committed);
    } catch (err) {
      if (err instanceof ProducerStateChanged && sequenced && attempt < MAX_PRODUCER_STATE_RETRIES) {
        // A concurrent retry of this request may have committed first: if so, answer with its offsets.
        let duplicate: Map<number, number> | undefined;
        try {
          priors = await freshStates(sequenced);
          duplicate = duplicateOf(sequenced, priors);
        } catch (rejection) {
          await recordOrphan(engine, objectKey, rejection);
          throw rejection;
        }
        if (!duplicate) continue;
        await recordOrphan(engine, objectKey, 'duplicate of a concurrent retry');
        return offsetsFor(placed, duplicate);
      }
      if (err instanceof GroupCommitChanged && attempt < MAX_PRODUCER_STATE_RETRIES) {
        // The member heartbeated or was fenced meanwhile: validate its commit again (it may now fail).
        try {
          groupCommit = await prepareGroupCommit();
        } catch (validationError) {
          await recordOrphan(engine, objectKey, validationError);
          throw validationError;
        }
        continue;
      }
      if (err instanceof UnknownTopicOrPartitionError) engine.topics.invalidate(topic.name);
      await recordOrphan(engine, objectKey, err);
      throw err;
    }
  }
}

async function topicForProduce(engine: Engine, name: string, now: number, fresh = false): Promise<Topic> {
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
  return byPartition;
}

/** One RecordBatch per partition, all in one segment object. */
function buildSegment(
  topic: Topic,
  byPartition: Map<number, ProducerRecord[]>,
  compression: number,
  sequenced: SequencedRequest | undefined,
): { body: Uint8Array; pending: PendingBatch[] } {
  const writer = new SegmentWriter();
  const pending: PendingBatch[] = [];
  for (const [partition, list] of byPartition) {
    const producerInfo = sequenced
      ? {
          producerId: Number(sequenced.producerId),
          producerEpoch: sequenced.epoch,
          baseSequence: sequenced.batches.get(partition)?.baseSequence ?? -1,
        }
      : undefined;
    const batch = encodeBatch(list, compression, producerInfo);
    const { recordCount, maxTimestamp } = batch;
    const ref = writer.add(
      { topic: topic.name, topicId: topic.topicId, partition, recordCount, maxTimestamp },
      batch.bytes,
    );
    pending.push({
      partition,
      recordCount,
      byteOffset: ref.byteOffset,
      byteLength: ref.byteLength,
      maxTimestamp,
    });
  }
  return { body: writer.finish(), pending };
}

interface SequencedRequest {
  producerId: string;
  epoch: number;
  batches: Map<number, SequencedBatch>;
}

/** An idempotent request names every record's partition and a base sequence for each partition it touches. */
function checkSequencedRequest(
  producer: IdempotentProducerInput,
  records: readonly ProduceRecordInput[],
  byPartition: Map<number, ProducerRecord[]>,
): SequencedRequest {
  if (records.some((r) => r.partition === undefined)) {
    throw new InvalidRequestError('an idempotent produce must give every record its partition');
  }
  const batches = new Map<number, SequencedBatch>();
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

/** The original base offsets when every batch of the request is a retained duplicate; undefined to append. */
function duplicateOf(
  req: SequencedRequest,
  states: Map<number, ProducerPartitionState | undefined>,
): Map<number, number> | undefined {
  const verdicts = [...req.batches].map(([p, batch]) => [p, checkSequence(states.get(p), batch)] as const);
  const duplicates = verdicts.filter(([, v]) => v.kind === 'duplicate');
  if (duplicates.length === 0) return undefined;
  if (duplicates.length !== verdicts.length) {
    throw new DuplicateSequenceNumberError('part of this request was already written under these sequences');
  }
  return new Map(verdicts.map(([p, v]) => [p, (v as { baseOffset: number }).baseOffset]));
}

function commitProducer(
  req: SequencedRequest,
  priors: Map<number, ProducerPartitionState | undefined>,
): CommitProducer {
  return {
    producerId: req.producerId,
    epoch: req.epoch,
    partitions: new Map([...req.batches].map(([p, batch]) => [p, { batch, prior: priors.get(p) }])),
  };
}

function rememberProducerStates(
  engine: Engine,
  topic: Topic,
  req: SequencedRequest,
  priors: Map<number, ProducerPartitionState | undefined>,
  committed: Map<number, number>,
): void {
  for (const [partition, batch] of req.batches) {
    const base = committed.get(partition) as number;
    engine.producerStates.set(
      req.producerId,
      topic.topicId,
      partition,
      advance(priors.get(partition), batch, base),
    );
  }
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

async function recordOrphan(engine: Engine, objectKey: string, cause: unknown): Promise<void> {
  try {
    await engine.metadata.recordOrphan(objectKey, String((cause as Error)?.message ?? cause), engine.now());
  } catch {
    // Best effort: storage cleanup also finds unreferenced objects by listing old keys.
  }
}
