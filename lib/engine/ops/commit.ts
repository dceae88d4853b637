import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  InvalidProducerEpochError,
  KafkaStorageError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import { advance, type ProducerPartitionState, type SequencedBatch } from '../idempotence.js';
import { isRetriableAwsError } from '../storage/aws-errors.js';
import { indexKeys, metaKeys } from '../storage/keys.js';
import { sleep } from '../storage/metadata-store.js';
import type { Topic } from '../types.js';

/**
 * TransactWriteItems holds 100 actions: the topic check and the segment record, then head + index
 * per partition (49 partitions). An idempotent produce adds the producer's epoch check and one
 * sequence-state update per partition (32 partitions).
 */
export const MAX_PARTITIONS_PER_COMMIT = 49;
export const MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT = 32;

function layout(idempotent: boolean) {
  return idempotent ? { fixed: 3, stride: 3 } : { fixed: 2, stride: 2 };
}

export const MAX_TRANSACTION_ACTIONS = 100;

/** How many of a transaction's 100 actions a commit of `partitions` partitions uses. */
export function commitActionCount(idempotent: boolean, partitions: number, groupCommitActions = 0): number {
  const { fixed, stride } = layout(idempotent);
  return fixed + stride * partitions + groupCommitActions;
}

/** One partition's batch inside an uploaded segment object, not yet given offsets. */
export interface PendingBatch {
  partition: number;
  recordCount: number;
  byteOffset: number;
  byteLength: number;
  maxTimestamp: number;
}

export interface CommitRequest {
  topic: Topic;
  objectKey: string;
  objectBytes: number;
  batches: PendingBatch[];
  /** Set for an idempotent produce: sequences are checked in the same transaction as the heads. */
  producer?: CommitProducer;
  /**
   * A consumer group's offset commit to apply atomically with the records (exactly-once
   * consume-transform-produce): a member check first, then the offset puts.
   */
  groupCommit?: TransactItem[];
}

export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** The group member changed since its offset commit was validated: validate again and retry. */
export class GroupCommitChanged extends Error {
  constructor() {
    super('group member changed during the commit');
  }
}

export interface CommitProducer {
  producerId: string;
  epoch: number;
  /** Per partition: this batch's sequence range, and the state it was checked against. */
  partitions: Map<number, { batch: SequencedBatch; prior: ProducerPartitionState | undefined }>;
}

/** The producer's sequence state moved under us (a concurrent retry): re-check and commit again. */
export class ProducerStateChanged extends Error {
  constructor() {
    super('producer state changed during the commit');
  }
}

/** Base offset per partition, as committed. */
export type CommittedOffsets = Map<number, number>;

/**
 * Commits every batch of one segment object in one DynamoDB transaction: for each partition a
 * conditional head update (expected next offset -> next + count) and an index entry; plus a check
 * that the topic still exists and a create-only segment record that lists the base offsets.
 *
 * - A head that moved: the cancellation returns it (ReturnValuesOnConditionCheckFailure), and the
 *   commit is retried at the fresh offsets. The object is never re-uploaded.
 * - An ambiguous failure (timeout, lost response): the retry either commits or finds the segment
 *   record already there, which means an earlier attempt did commit; its base offsets are returned.
 *   So a commit is applied at most once, and reported exactly when applied.
 */
export async function commitBatches(engine: Engine, req: CommitRequest): Promise<CommittedOffsets> {
  const { topic, batches } = req;
  const max = req.producer ? MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT : MAX_PARTITIONS_PER_COMMIT;
  if (batches.length === 0 || batches.length > max) {
    throw new RangeError(`a commit covers 1-${max} partitions, got ${batches.length}`);
  }
  const { fixed, stride } = layout(req.producer !== undefined);
  const groupStart = fixed + stride * batches.length;
  if (groupStart + (req.groupCommit?.length ?? 0) > MAX_TRANSACTION_ACTIONS) {
    throw new RangeError('commit exceeds the 100 actions of one DynamoDB transaction');
  }
  const expected = batches.map((b) => engine.watch.guessNextOffset(topic.topicId, b.partition) ?? 0);
  let lastError: unknown;
  let ambiguous = false;

  for (let attempt = 1; attempt <= engine.config.maxCommitAttempts; attempt++) {
    try {
      await engine.clients.doc.send(
        new TransactWriteCommand({
          TransactItems: commitActions(engine, req, expected),
          // Makes the SDK's own retries of this attempt idempotent on the DynamoDB side.
          ClientRequestToken: randomUUID(),
        }),
      );
      const committed: CommittedOffsets = new Map();
      batches.forEach((b, i) => {
        const base = expected[i] as number;
        committed.set(b.partition, base);
        engine.watch.observe(topic.topicId, b.partition, base + b.recordCount);
      });
      return committed;
    } catch (err) {
      lastError = err;
      const reasons = cancellationReasons(err);
      if (!reasons) {
        if (!isRetriableAwsError(err)) throw err;
        // We cannot tell whether DynamoDB applied it; the segment record settles that on the next try.
        ambiguous = true;
        await backoff(attempt);
        continue;
      }
      // Checked first: an earlier, ambiguous attempt of ours committed, whatever else changed since.
      const segmentReason = reasons[1];
      if (segmentReason?.Code === 'ConditionalCheckFailed')
        return committedFromSegmentItem(segmentReason.Item);
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        throw new UnknownTopicOrPartitionError(`topic ${topic.name} was deleted during the produce`, {
          cause: err,
        });
      }
      if (req.producer && reasons[2]?.Code === 'ConditionalCheckFailed') {
        throw new InvalidProducerEpochError(
          `producer ${req.producer.producerId} epoch ${req.producer.epoch} was fenced`,
          { cause: err },
        );
      }
      if (
        req.producer &&
        batches.some((_, i) => reasons[fixed + stride * i + 2]?.Code === 'ConditionalCheckFailed')
      ) {
        throw new ProducerStateChanged();
      }
      if (req.groupCommit && reasons[groupStart]?.Code === 'ConditionalCheckFailed')
        throw new GroupCommitChanged();
      let transient = false;
      batches.forEach((b, i) => {
        const head = reasons[fixed + stride * i];
        if (head?.Code === 'ConditionalCheckFailed') {
          const next = Number(plainItem(head.Item)?.nextOffset ?? 0);
          expected[i] = next;
          engine.watch.observe(topic.topicId, b.partition, next);
        }
        const index = reasons[fixed + stride * i + 1];
        if (index?.Code === 'ConditionalCheckFailed' && head?.Code !== 'ConditionalCheckFailed') {
          throw new KafkaStorageError(
            `index entry for ${topic.name}/${b.partition} exists past the partition head: metadata is inconsistent`,
            { cause: err },
          );
        }
      });
      for (const r of reasons) {
        if (r.Code && r.Code !== 'None' && r.Code !== 'ConditionalCheckFailed') {
          if (!TRANSIENT_REASONS.has(r.Code))
            throw new KafkaStorageError(`commit rejected: ${r.Code} ${r.Message ?? ''}`, { cause: err });
          transient = true;
        }
      }
      if (transient) await backoff(attempt);
    }
  }
  if (ambiguous) {
    const settled = await findCommittedSegment(engine, req.objectKey);
    if (settled) return settled;
  }
  throw new CommitConflictError(
    `commit of ${req.objectKey} did not succeed after ${engine.config.maxCommitAttempts} attempts; nothing was appended`,
    { cause: lastError },
  );
}

function commitActions(engine: Engine, req: CommitRequest, expected: number[]) {
  const { metaTable, indexTable } = engine.config;
  const { topic } = req;
  const now = engine.now();
  const broken = engine.config.testOnlyBreakCommitCondition === true;
  const bases: Record<string, number> = {};
  req.batches.forEach((b, i) => {
    bases[String(b.partition)] = expected[i] as number;
  });
  const actions: TransactItem[] = [
    {
      ConditionCheck: {
        TableName: metaTable,
        Key: metaKeys.topic(topic.name),
        ConditionExpression: 'topicId = :id',
        ExpressionAttributeValues: { ':id': topic.topicId },
      },
    },
    {
      Put: {
        TableName: metaTable,
        Item: {
          ...metaKeys.segment(req.objectKey),
          topic: topic.name,
          topicId: topic.topicId,
          bases,
          // Storage cleanup deletes the object once no index entry references it.
          liveBatches: req.batches.length,
          bytes: req.objectBytes,
          committedAt: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
  const { producer } = req;
  if (producer) {
    actions.push({
      ConditionCheck: {
        TableName: metaTable,
        Key: metaKeys.producer(producer.producerId),
        ConditionExpression: 'epoch = :e',
        ExpressionAttributeValues: { ':e': producer.epoch },
      },
    });
  }
  req.batches.forEach((b, i) => {
    const base = expected[i] as number;
    const next = base + b.recordCount;
    actions.push(
      {
        Update: {
          TableName: metaTable,
          Key: metaKeys.head(topic.topicId, b.partition),
          UpdateExpression:
            'SET nextOffset = :next, logStartOffset = if_not_exists(logStartOffset, :zero), lastAppendAt = :now',
          // A head that was never written is an empty partition at offset 0.
          ConditionExpression: broken
            ? 'attribute_exists(pk) OR attribute_not_exists(pk) OR nextOffset = :base'
            : base === 0
              ? 'attribute_not_exists(nextOffset) OR nextOffset = :base'
              : 'nextOffset = :base',
          ExpressionAttributeValues: { ':next': next, ':base': base, ':zero': 0, ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          TableName: indexTable,
          Item: {
            pk: indexKeys.partition(topic.topicId, b.partition),
            sk: next - 1,
            baseOffset: base,
            objectKey: req.objectKey,
            byteOffset: b.byteOffset,
            byteLength: b.byteLength,
            recordCount: b.recordCount,
            maxTimestamp: b.maxTimestamp,
          },
          ConditionExpression: broken
            ? 'attribute_exists(pk) OR attribute_not_exists(pk)'
            : 'attribute_not_exists(pk)',
        },
      },
    );
    if (producer) actions.push(producerStateUpdate(metaTable, producer, req.topic, b.partition, base));
  });
  if (req.groupCommit) actions.push(...req.groupCommit);
  return actions;
}

/** Moves the producer's sequence state for one partition, conditional on the state it was checked against. */
function producerStateUpdate(
  metaTable: string,
  producer: CommitProducer,
  topic: Topic,
  partition: number,
  base: number,
) {
  const entry = producer.partitions.get(partition);
  if (!entry) throw new RangeError(`no sequence for partition ${partition}`);
  const next = advance(entry.prior, entry.batch, base);
  const { prior } = entry;
  return {
    Update: {
      TableName: metaTable,
      Key: metaKeys.producerPartition(producer.producerId, topic.topicId, partition),
      UpdateExpression: 'SET epoch = :e, nextSeq = :n, batches = :b',
      ConditionExpression: prior ? 'epoch = :pe AND nextSeq = :pn' : 'attribute_not_exists(pk)',
      ExpressionAttributeValues: {
        ':e': next.epoch,
        ':n': next.nextSeq,
        ':b': next.batches,
        ...(prior ? { ':pe': prior.epoch, ':pn': prior.nextSeq } : {}),
      },
    },
  };
}

const TRANSIENT_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'InternalServerError',
]);

interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Record<string, unknown>;
}

function cancellationReasons(err: unknown): CancellationReason[] | undefined {
  const e = err as { name?: string; CancellationReasons?: CancellationReason[] };
  return e?.name === 'TransactionCanceledException' ? (e.CancellationReasons ?? []) : undefined;
}

/** Cancellation items come back in wire form; the document client does not unmarshall errors. */
function plainItem(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const looksMarshalled = Object.values(item).every(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  );
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's AttributeValue map type
  return looksMarshalled ? unmarshall(item as any) : item;
}

function committedFromSegmentItem(item: Record<string, unknown> | undefined): CommittedOffsets {
  const bases = plainItem(item)?.bases as Record<string, number> | undefined;
  if (!bases) throw new KafkaStorageError('segment record exists without base offsets');
  return new Map(Object.entries(bases).map(([p, base]) => [Number(p), Number(base)]));
}

async function findCommittedSegment(
  engine: Engine,
  objectKey: string,
): Promise<CommittedOffsets | undefined> {
  try {
    const item = await engine.metadata.getMetaItem(metaKeys.segment(objectKey));
    return item ? committedFromSegmentItem(item) : undefined;
  } catch {
    return undefined;
  }
}

async function backoff(attempt: number): Promise<void> {
  const cap = Math.min(1000, 10 * 2 ** Math.min(attempt, 10));
  await sleep(Math.random() * cap);
}
