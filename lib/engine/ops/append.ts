import { SegmentWriter } from '../codec/segment.js';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  DuplicateSequenceNumberError,
  InvalidProducerEpochError,
  InvalidRequestError,
  KafkaStorageError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import { checkSequence, type ProducerPartitionState, type SequencedBatch } from '../idempotence.js';
import { newSegmentKey } from '../storage/segment-store.js';
import type { TaggedAction } from '../storage/transaction.js';
import type { Topic } from '../types.js';
import {
  advanceRun,
  commitActionCount,
  commitBatches,
  MAX_TRANSACTION_ACTIONS,
  type PendingBatch,
} from './commit.js';
import { loadProducerStates } from './producers.js';

/**
 * The append path both front ends share: encoded RecordBatches, one per partition, go into one
 * segment object under a fresh key, and are committed in one DynamoDB transaction. HTTP produce
 * encodes its batches from records (produce.ts); the Kafka gateway hands in the client's bytes
 * as sent (produce-batches.ts). Idempotence and the exactly-once group commit live here, once.
 */

/** One partition's share of a segment: one or more consecutive RecordBatches. */
export interface PartitionAppend {
  partition: number;
  bytes: Uint8Array;
  recordCount: number;
  maxTimestamp: number;
}

/** An idempotent append: the producer, and each partition's batch sequence range. */
export interface SequencedAppend {
  producerId: string;
  epoch: number;
  batches: Map<number, SequencedBatch>;
}

/**
 * A consumer group's offset commit, prepared by the caller (the group coordinator validates the
 * member), so that appending need not know about groups.
 */
export interface PreparedGroupCommit {
  groupId: string;
  /** How many offsets it commits (for the message when the commit would not fit one transaction). */
  offsets: number;
  /**
   * Validates the commit now and returns its transaction actions, of role 'group'. Called before
   * the upload, and again whenever the commit reports that the group changed since.
   */
  prepare(): Promise<TaggedAction[]>;
}

export interface AppendOptions {
  sequenced?: SequencedAppend;
  groupCommit?: PreparedGroupCommit;
}

/**
 * How many times a commit is prepared again because the producer state or the group member it was
 * checked against moved; then the caller gets CONCURRENT_TRANSACTIONS, and may retry.
 */
const MAX_STALE_STATE_RETRIES = 5;

/**
 * Appends the batches and returns each partition's base offset, only after the commit succeeded.
 * A retried idempotent append (every batch a retained duplicate) writes nothing and returns the
 * offsets of the original.
 */
export async function appendSegment(
  engine: Engine,
  topic: Topic,
  batches: readonly PartitionAppend[],
  options: AppendOptions = {},
): Promise<Map<number, number>> {
  const { sequenced } = options;
  const partitions = batches.map((b) => b.partition);
  // A warm writer knows its states from its last commit; the commit's condition catches a stale one.
  const freshStates = async (req: SequencedAppend) => {
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
    if (duplicate) return duplicate;
  }

  const prepareGroupCommit = () => options.groupCommit?.prepare();
  // Validated before the upload, so a stale or fenced member costs no PUT.
  let groupCommit = await prepareGroupCommit();
  const { body, pending } = buildSegment(topic, batches);
  if (
    commitActionCount(withSequences(pending, sequenced, priors), groupCommit?.length) >
    MAX_TRANSACTION_ACTIONS
  ) {
    throw new InvalidRequestError(
      `records for ${batches.length} partitions plus ${options.groupCommit?.offsets} group offsets do not fit one atomic commit (${MAX_TRANSACTION_ACTIONS} DynamoDB actions); see docs/api.md`,
    );
  }

  const now = engine.now();
  const objectKey = newSegmentKey(now);
  try {
    await engine.segments.put(objectKey, body);
  } catch (err) {
    // The PUT may have landed before the error: remember the key so cleanup can delete it.
    await recordOrphan(engine, objectKey, err);
    throw new KafkaStorageError(`segment upload failed: ${(err as Error).message}`, { cause: err });
  }

  // Every failure from here on leaves the uploaded object unreferenced: record it for cleanup.
  const orphaned = async (err: unknown): Promise<never> => {
    if (err instanceof UnknownTopicOrPartitionError) engine.topics.invalidate(topic.name);
    await recordOrphan(engine, objectKey, err);
    throw err;
  };
  for (let attempt = 0; ; attempt++) {
    const runs = withSequences(pending, sequenced, priors);
    const result = await commitBatches(engine, {
      topic,
      objectKey,
      objectBytes: body.length,
      batches: runs,
      ...(groupCommit ? { groupCommit } : {}),
    }).catch(orphaned);
    if (result.kind === 'committed') {
      rememberProducerStates(engine, topic, runs, result.offsets);
      return result.offsets;
    }
    if (result.kind === 'fenced') {
      await orphaned(
        new InvalidProducerEpochError(
          `producer ${sequenced?.producerId} epoch ${sequenced?.epoch} was fenced`,
          {
            cause: result.cause,
          },
        ),
      );
    }
    // What the commit was prepared against moved on: prepare it again, a bounded number of times.
    if (attempt >= MAX_STALE_STATE_RETRIES) {
      await orphaned(
        new CommitConflictError(
          `the ${result.kind === 'groupChanged' ? 'group member' : 'producer state'} kept changing during the commit; nothing was appended`,
        ),
      );
    }
    if (result.kind === 'producerStateChanged' && sequenced) {
      // A concurrent retry of this request may have committed first: if so, answer with its offsets.
      const duplicate = await freshStates(sequenced)
        .then((states) => {
          priors = states;
          return duplicateOf(sequenced, states);
        })
        .catch(orphaned);
      if (!duplicate) continue;
      await recordOrphan(engine, objectKey, 'duplicate of a concurrent retry');
      return duplicate;
    }
    if (result.kind === 'groupChanged') {
      // The member heartbeated or was fenced meanwhile: validate its commit again (it may now fail).
      groupCommit = await Promise.resolve(prepareGroupCommit()).catch(orphaned);
    }
  }
}

/** One segment object holding each partition's batches. */
function buildSegment(
  topic: Topic,
  batches: readonly PartitionAppend[],
): { body: Uint8Array; pending: PendingBatch[] } {
  const writer = new SegmentWriter(batches.reduce((n, b) => n + b.bytes.length, 0));
  const pending: PendingBatch[] = [];
  for (const { partition, bytes, recordCount, maxTimestamp } of batches) {
    const ref = writer.add(
      { topic: topic.name, topicId: topic.topicId, partition, recordCount, maxTimestamp },
      bytes,
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

/** The original base offsets when every batch of the request is a retained duplicate; undefined to append. */
function duplicateOf(
  req: SequencedAppend,
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

/** The runs, each given its producer's sequence range and prior state for an idempotent append. */
function withSequences(
  pending: readonly PendingBatch[],
  req: SequencedAppend | undefined,
  priors: Map<number, ProducerPartitionState | undefined> | undefined,
): PendingBatch[] {
  if (!req || !priors) return [...pending];
  return pending.map((b) => ({
    ...b,
    sequenced: {
      producerId: req.producerId,
      epoch: req.epoch,
      batches: [req.batches.get(b.partition) as SequencedBatch],
      prior: priors.get(b.partition),
    },
  }));
}

/** Remembers the sequence states a commit moved, so the producer's next append needs no read. */
export function rememberProducerStates(
  engine: Engine,
  topic: Topic,
  runs: readonly PendingBatch[],
  committed: ReadonlyMap<number, number>,
): void {
  const next = new Map(committed);
  for (const run of runs) {
    const base = next.get(run.partition) as number;
    next.set(run.partition, base + run.recordCount);
    if (!run.sequenced) continue;
    engine.producerStates.set(
      run.sequenced.producerId,
      topic.topicId,
      run.partition,
      advanceRun(run.sequenced, base),
    );
  }
}

export async function recordOrphan(engine: Engine, objectKey: string, cause: unknown): Promise<void> {
  try {
    await engine.metadata.recordOrphan(objectKey, String((cause as Error)?.message ?? cause), engine.now());
  } catch {
    // Best effort: storage cleanup also finds unreferenced objects by listing old keys.
  }
}
