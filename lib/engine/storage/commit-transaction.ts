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
export const MAX_PARTITIONS_PER_COMMIT = 49;
export const MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT = 32;

/**
 * An idempotent producer's share of one partition in a commit: the sequence ranges of its
 * batches, in order, and the partition's sequence state they were checked against.
 */
export interface RunSequence {
  producerId: string;
  epoch: number;
  batches: readonly SequencedBatch[];
  prior: ProducerPartitionState | undefined;
}

/**
 * A run of consecutive RecordBatches of one partition inside an uploaded segment object, not yet
 * given offsets: one index entry. A partition may have several runs in one commit (one per
 * idempotent producer, one for plain producers); they are committed back to back.
 */
export interface PendingBatch {
  partition: number;
  recordCount: number;
  byteOffset: number;
  byteLength: number;
  maxTimestamp: number;
  /** Set for an idempotent producer's run: its sequences move in the same transaction as the head. */
  sequenced?: RunSequence;
}

/** How many of a transaction's 100 actions a commit of these runs uses. */
export function commitActionCount(runs: readonly PendingBatch[], extraActions = 0): number {
  const partitions = new Set(runs.map((r) => r.partition)).size;
  const producers = new Set(runs.flatMap((r) => (r.sequenced ? [r.sequenced.producerId] : []))).size;
  const sequenced = runs.filter((r) => r.sequenced).length;
  return 2 + producers + partitions + runs.length + sequenced + extraActions;
}

/**
 * One attempt of a produce commit: runs of one topic inside one segment object, at the given base
 * offsets. An object may be committed in several parts (a flush of the Kafka gateway spans many
 * topics and partitions); each part is its own transaction and records its bases in its own
 * attribute of the object's segment record.
 */
export interface CommitAttempt {
  topic: Topic;
  objectKey: string;
  /** Which commit of the object this is: 0 for an object committed in one transaction. */
  part: number;
  objectBytes: number;
  batches: readonly PendingBatch[];
  /** The base offset of each run, in the order of `batches`; runs of a partition follow each other. */
  bases: readonly number[];
  /** Actions of another store that must apply atomically with the records (a group's offsets). */
  extra?: readonly TaggedAction[];
  now: number;
}

/** Partition -> base offset of its first run. */
export type CommittedBases = Map<number, number>;

/**
 * What one attempt came to, decoded from the cancellation by the role of each action. `cause` is
 * the SDK error, for the error the caller may raise.
 */
export type CommitOutcome =
  | { kind: 'committed' }
  /** This part is recorded on the segment record: an earlier, ambiguous attempt was applied at these bases. */
  | { kind: 'alreadyCommitted'; bases: CommittedBases; cause: unknown }
  /** The topic was deleted (or re-created under a new id). */
  | { kind: 'topicGone'; cause: unknown }
  /** These producers' epochs are no longer the ones the commit was made for. */
  | { kind: 'fenced'; producerIds: Set<string>; cause: unknown }
  /** These producers' sequence states are no longer the ones the runs were checked against. */
  | { kind: 'producerStateChanged'; producerIds: Set<string>; cause: unknown }
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

/** The segment record attribute that holds one commit part's base offsets. */
export function basesAttribute(part: number): string {
  return part === 0 ? 'bases' : `bases${part}`;
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

type Decoded = ActionRole & { reason: CancellationReason };

/**
 * The produce commit transaction: a check that the topic still exists; an update of the object's
 * segment record that adds this part's base offsets, only if the part is not recorded yet (so an
 * ambiguous attempt can be settled later); per partition a conditional head update (expected next
 * offset -> next + count); per run a create-only index entry; for each idempotent producer its
 * epoch check and per run its sequence update; and any extra actions the caller adds. Retrying,
 * guessing and giving up are the caller's (ops/commit.ts).
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

  /** The base offsets of one part of a segment object whose commit was applied, or undefined if it was not. */
  async committedBases(objectKey: string, part = 0): Promise<CommittedBases | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.metaTable, Key: metaKeys.segment(objectKey), ConsistentRead: true }),
    );
    return res.Item?.[basesAttribute(part)] ? basesOfSegmentItem(res.Item, part) : undefined;
  }

  private actions(req: CommitAttempt): TaggedAction[] {
    const { metaTable, indexTable } = this;
    const { topic, now } = req;
    const broken = this.breakConditions;
    // Per partition: the base of its first run and the next offset after its last.
    const heads = new Map<number, { base: number; next: number }>();
    req.batches.forEach((b, i) => {
      const base = req.bases[i] as number;
      const head = heads.get(b.partition);
      if (head && head.next !== base)
        throw new RangeError(`runs of partition ${b.partition} are not contiguous`);
      heads.set(b.partition, { base: head?.base ?? base, next: base + b.recordCount });
    });
    const bases: Record<string, number> = {};
    for (const [partition, head] of heads) bases[String(partition)] = head.base;
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
          Update: {
            TableName: metaTable,
            Key: metaKeys.segment(req.objectKey),
            // Storage cleanup deletes the object once no index entry references it.
            UpdateExpression:
              'SET #bases = :bases, bytes = :bytes, committedAt = if_not_exists(committedAt, :now) ADD liveBatches :live',
            ConditionExpression: 'attribute_not_exists(#bases)',
            ExpressionAttributeNames: { '#bases': basesAttribute(req.part) },
            ExpressionAttributeValues: {
              ':bases': bases,
              ':bytes': req.objectBytes,
              ':now': now,
              ':live': req.batches.length,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      },
    ];
    const producers = new Map<string, number>();
    for (const b of req.batches) if (b.sequenced) producers.set(b.sequenced.producerId, b.sequenced.epoch);
    for (const [producerId, epoch] of producers) {
      actions.push({ role: 'producer', producerId, item: producerEpochCheck(metaTable, producerId, epoch) });
    }
    for (const [partition, { base, next }] of heads) {
      actions.push({
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
      });
    }
    req.batches.forEach((b, i) => {
      const { partition } = b;
      const base = req.bases[i] as number;
      actions.push({
        role: 'index',
        partition,
        item: {
          Put: {
            TableName: indexTable,
            Item: {
              pk: indexKeys.partition(topic.topicId, partition),
              sk: base + b.recordCount - 1,
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
      });
      if (b.sequenced) {
        const { producerId, prior } = b.sequenced;
        actions.push({
          role: 'sequence',
          partition,
          producerId,
          item: sequenceStateUpdate(
            metaTable,
            producerId,
            topic.topicId,
            partition,
            prior,
            advanceRun(b.sequenced, base),
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

/** The sequence state after a run's batches are appended from `base` on, one after another. */
export function advanceRun(run: RunSequence, base: number): ProducerPartitionState {
  let state = run.prior;
  let offset = base;
  for (const batch of run.batches) {
    state = advance(state, batch, offset);
    offset += batch.recordCount;
  }
  if (!state) throw new RangeError('a sequenced run has no batch');
  return state;
}

function roleOf(action: TaggedAction): ActionRole {
  const { item: _item, ...role } = action;
  return role as ActionRole;
}

const failed = (d: Decoded) => d.reason.Code === 'ConditionalCheckFailed';

/** The outcome of a cancelled attempt, from the reasons of its actions by role. */
function decode(decoded: Decoded[], req: CommitAttempt, cause: unknown): CommitOutcome {
  const any = (role: ActionRole['role']) => decoded.some((d) => d.role === role && failed(d));
  const producersFailing = (role: 'producer' | 'sequence') =>
    new Set(decoded.flatMap((d) => (d.role === role && failed(d) ? [d.producerId] : [])));
  // Checked first: an earlier, ambiguous attempt of ours committed, whatever else changed since.
  const segment = decoded.find((d) => d.role === 'segment' && failed(d));
  if (segment) {
    return { kind: 'alreadyCommitted', bases: basesOfSegmentItem(segment.reason.Item, req.part), cause };
  }
  if (any('topic')) return { kind: 'topicGone', cause };
  if (any('producer')) return { kind: 'fenced', producerIds: producersFailing('producer'), cause };
  if (any('sequence')) {
    return { kind: 'producerStateChanged', producerIds: producersFailing('sequence'), cause };
  }
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
    const index = decoded.find((d) => d.role === 'index' && d.partition === b.partition && failed(d));
    if (index && !headFailed.has(b.partition)) {
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

function basesOfSegmentItem(item: Record<string, unknown> | undefined, part: number): CommittedBases {
  const bases = plainItem(item)?.[basesAttribute(part)] as Record<string, number> | undefined;
  if (!bases) throw new KafkaStorageError('segment record exists without base offsets');
  return new Map(Object.entries(bases).map(([p, base]) => [Number(p), Number(base)]));
}
