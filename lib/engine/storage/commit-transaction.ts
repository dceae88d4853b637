import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { KafkaStorageError } from '../errors.js';
import { advance, type ProducerPartitionState, type SequencedBatch } from '../idempotence.js';
import type { Topic } from '../types.js';
import { isRetriableAwsError } from './aws-errors.js';
import { indexKeys, metaKeys } from './keys.js';
import { producerEpochCheck, sequenceStateUpdate } from './producer-store.js';
import type { ActionRole, TaggedAction } from './transaction.js';

/** TransactWriteItems holds at most this many actions. */
export const MAX_TRANSACTION_ACTIONS = 100;

/**
 * The commit's actions: the topic check and the segment record, then head + index per partition
 * (49 partitions). An idempotent produce adds the producer's epoch check and one sequence-state
 * update per partition (32 partitions).
 */
function layout(idempotent: boolean) {
  return idempotent ? { fixed: 3, stride: 3 } : { fixed: 2, stride: 2 };
}

export const MAX_PARTITIONS_PER_COMMIT = 49;
export const MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT = 32;

/** How many of a transaction's 100 actions a commit of `partitions` partitions uses. */
export function commitActionCount(idempotent: boolean, partitions: number, extraActions = 0): number {
  const { fixed, stride } = layout(idempotent);
  return fixed + stride * partitions + extraActions;
}

/** One partition's batch inside an uploaded segment object, not yet given offsets. */
export interface PendingBatch {
  partition: number;
  recordCount: number;
  byteOffset: number;
  byteLength: number;
  maxTimestamp: number;
}

export interface CommitProducer {
  producerId: string;
  epoch: number;
  /** Per partition: this batch's sequence range, and the state it was checked against. */
  partitions: Map<number, { batch: SequencedBatch; prior: ProducerPartitionState | undefined }>;
}

/** One attempt of a produce commit: every batch of one segment object, at the given base offsets. */
export interface CommitAttempt {
  topic: Topic;
  objectKey: string;
  objectBytes: number;
  batches: readonly PendingBatch[];
  /** The base offset each batch is committed at, in the order of `batches`. */
  bases: readonly number[];
  /** Set for an idempotent produce: sequences are checked in the same transaction as the heads. */
  producer?: CommitProducer;
  /** Actions of another store that must apply atomically with the records (a group's offsets). */
  extra?: readonly TaggedAction[];
  now: number;
}

/** Partition -> base offset. */
export type CommittedBases = Map<number, number>;

/**
 * What one attempt came to, decoded from the cancellation by the role of each action. `cause` is
 * the SDK error, for the error the caller may raise.
 */
export type CommitOutcome =
  | { kind: 'committed' }
  /** The segment record exists: an earlier, ambiguous attempt of this commit was applied at these bases. */
  | { kind: 'alreadyCommitted'; bases: CommittedBases; cause: unknown }
  /** The topic was deleted (or re-created under a new id). */
  | { kind: 'topicGone'; cause: unknown }
  /** The producer's epoch is no longer the one the commit was made for. */
  | { kind: 'fenced'; cause: unknown }
  /** A partition's sequence state is no longer the one the request was checked against. */
  | { kind: 'producerStateChanged'; cause: unknown }
  /** An `extra` action of role 'group' failed its condition: the group changed since it was validated. */
  | { kind: 'groupChanged'; cause: unknown }
  /** Some heads were elsewhere: partition -> the real next offset (returned by the cancellation). */
  | { kind: 'headsMoved'; heads: Map<number, number>; cause: unknown }
  /** DynamoDB cancelled for a reason worth retrying (a conflict, throttling); heads may have moved too. */
  | { kind: 'transient'; heads: Map<number, number>; cause: unknown }
  /** The request may or may not have been applied (a timeout, a lost response). */
  | { kind: 'ambiguous'; cause: unknown }
  /** An index entry exists past the partition's head: metadata is inconsistent. */
  | { kind: 'indexAhead'; partition: number; heads: Map<number, number>; cause: unknown }
  /** DynamoDB refused the transaction for a reason a retry does not fix. */
  | { kind: 'rejected'; code: string; message: string; heads: Map<number, number>; cause: unknown };

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

type Decoded = ActionRole & { reason: CancellationReason };

/**
 * The produce commit transaction: for each partition a conditional head update (expected next
 * offset -> next + count) and a create-only index entry; a check that the topic still exists; a
 * create-only segment record that lists the base offsets (so an ambiguous attempt can be settled
 * later); for an idempotent producer its epoch check and per-partition sequence updates; and any
 * extra actions the caller adds. Retrying, guessing and giving up are the caller's (ops/commit.ts).
 */
export class CommitTransaction {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly metaTable: string,
    private readonly indexTable: string,
    /** TEST ONLY (EngineConfig.testOnlyBreakCommitCondition): heads and index entries unconditional. */
    private readonly breakConditions = false,
  ) {}

  /** Sends one attempt. Throws only what is neither a cancellation nor worth another attempt. */
  async attempt(req: CommitAttempt): Promise<CommitOutcome> {
    const actions = this.actions(req);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: actions.map((a) => a.item),
          // Makes the SDK's own retries of this attempt idempotent on the DynamoDB side.
          ClientRequestToken: randomUUID(),
        }),
      );
      return { kind: 'committed' };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (!reasons) {
        if (!isRetriableAwsError(err)) throw err;
        return { kind: 'ambiguous', cause: err };
      }
      // DynamoDB lists one reason per action, in the order sent; from here on only roles count.
      return decode(
        actions.map((a, i) => ({ ...roleOf(a), reason: reasons[i] ?? {} })),
        req,
        err,
      );
    }
  }

  /** The base offsets of a segment object whose commit was applied, or undefined if it was not. */
  async committedBases(objectKey: string): Promise<CommittedBases | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.metaTable, Key: metaKeys.segment(objectKey), ConsistentRead: true }),
    );
    return res.Item ? basesOfSegmentItem(res.Item) : undefined;
  }

  private actions(req: CommitAttempt): TaggedAction[] {
    const { metaTable, indexTable } = this;
    const { topic, producer, now } = req;
    const broken = this.breakConditions;
    const bases: Record<string, number> = {};
    req.batches.forEach((b, i) => {
      bases[String(b.partition)] = req.bases[i] as number;
    });
    const actions: TaggedAction[] = [
      {
        role: 'topic',
        item: {
          ConditionCheck: {
            TableName: metaTable,
            Key: metaKeys.topic(topic.name),
            ConditionExpression: 'topicId = :id',
            ExpressionAttributeValues: { ':id': topic.topicId },
          },
        },
      },
      {
        role: 'segment',
        item: {
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
      },
    ];
    if (producer) {
      actions.push({
        role: 'producer',
        item: producerEpochCheck(metaTable, producer.producerId, producer.epoch),
      });
    }
    req.batches.forEach((b, i) => {
      const { partition } = b;
      const base = req.bases[i] as number;
      const next = base + b.recordCount;
      actions.push(
        {
          role: 'head',
          partition,
          item: {
            Update: {
              TableName: metaTable,
              Key: metaKeys.head(topic.topicId, partition),
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
        },
        {
          role: 'index',
          partition,
          item: {
            Put: {
              TableName: indexTable,
              Item: {
                pk: indexKeys.partition(topic.topicId, partition),
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
        },
      );
      if (producer) {
        const entry = producer.partitions.get(partition);
        if (!entry) throw new RangeError(`no sequence for partition ${partition}`);
        actions.push({
          role: 'sequence',
          partition,
          item: sequenceStateUpdate(
            metaTable,
            producer.producerId,
            topic.topicId,
            partition,
            entry.prior,
            advance(entry.prior, entry.batch, base),
          ),
        });
      }
    });
    if (req.extra) actions.push(...req.extra);
    if (actions.length > MAX_TRANSACTION_ACTIONS) {
      throw new RangeError(
        `commit exceeds the ${MAX_TRANSACTION_ACTIONS} actions of one DynamoDB transaction`,
      );
    }
    return actions;
  }
}

function roleOf(action: TaggedAction): ActionRole {
  const { item: _item, ...role } = action;
  return role as ActionRole;
}

const failed = (d: Decoded) => d.reason.Code === 'ConditionalCheckFailed';

/** The outcome of a cancelled attempt, from the reasons of its actions by role. */
function decode(decoded: Decoded[], req: CommitAttempt, cause: unknown): CommitOutcome {
  const any = (role: ActionRole['role']) => decoded.some((d) => d.role === role && failed(d));
  // Checked first: an earlier, ambiguous attempt of ours committed, whatever else changed since.
  const segment = decoded.find((d) => d.role === 'segment' && failed(d));
  if (segment) return { kind: 'alreadyCommitted', bases: basesOfSegmentItem(segment.reason.Item), cause };
  if (any('topic')) return { kind: 'topicGone', cause };
  if (any('producer')) return { kind: 'fenced', cause };
  if (any('sequence')) return { kind: 'producerStateChanged', cause };
  if (any('group')) return { kind: 'groupChanged', cause };

  const heads = new Map<number, number>();
  const headFailed = new Set<number>();
  for (const d of decoded) {
    if (d.role === 'head' && failed(d)) {
      headFailed.add(d.partition);
      heads.set(d.partition, Number(plainItem(d.reason.Item)?.nextOffset ?? 0));
    }
  }
  // Checked in partition order of the request, as an index entry past an unmoved head is a defect.
  for (const b of req.batches) {
    const index = decoded.find((d) => d.role === 'index' && d.partition === b.partition);
    if (index && failed(index) && !headFailed.has(b.partition)) {
      return { kind: 'indexAhead', partition: b.partition, heads, cause };
    }
  }
  let transient = false;
  for (const { reason } of decoded) {
    const code = reason.Code;
    if (!code || code === 'None' || code === 'ConditionalCheckFailed') continue;
    if (!TRANSIENT_REASONS.has(code)) {
      return { kind: 'rejected', code, message: reason.Message ?? '', heads, cause };
    }
    transient = true;
  }
  return transient ? { kind: 'transient', heads, cause } : { kind: 'headsMoved', heads, cause };
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

function basesOfSegmentItem(item: Record<string, unknown> | undefined): CommittedBases {
  const bases = plainItem(item)?.bases as Record<string, number> | undefined;
  if (!bases) throw new KafkaStorageError('segment record exists without base offsets');
  return new Map(Object.entries(bases).map(([p, base]) => [Number(p), Number(base)]));
}
