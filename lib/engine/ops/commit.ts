import type { Engine } from '../engine.js';
import { CommitConflictError, KafkaStorageError, UnknownTopicOrPartitionError } from '../errors.js';
import {
  type CommittedBases,
  commitActionCount,
  MAX_TRANSACTION_ACTIONS,
  type PendingBatch,
} from '../storage/commit-transaction.js';
import { sleep } from '../storage/metadata-store.js';
import type { TaggedAction } from '../storage/transaction.js';
import type { Topic } from '../types.js';

export {
  advanceRun,
  commitActionCount,
  MAX_PARTITIONS_PER_COMMIT,
  MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT,
  MAX_TRANSACTION_ACTIONS,
  type PendingBatch,
  type RunSequence,
} from '../storage/commit-transaction.js';

export interface CommitRequest {
  topic: Topic;
  objectKey: string;
  /** Which commit of the object this is (a gateway flush commits one object in several parts). */
  part?: number;
  objectBytes: number;
  /** Runs of consecutive batches; those of one partition are committed back to back, in order. */
  batches: readonly PendingBatch[];
  /**
   * A consumer group's offset commit to apply atomically with the records (exactly-once
   * consume-transform-produce), as prepared by the caller: actions of role 'group'.
   */
  groupCommit?: readonly TaggedAction[];
}

/** Base offset per partition, as committed. */
export type CommittedOffsets = CommittedBases;

/**
 * What a commit came to, when it is neither applied nor a failure of its own: the state it was
 * prepared against moved, and only the caller (produce) can prepare it again.
 */
export type CommitResult =
  | { kind: 'committed'; offsets: CommittedOffsets }
  /** These producers' sequence states moved under us (a concurrent retry): re-check and commit again. */
  | { kind: 'producerStateChanged'; producerIds: Set<string> }
  /** These producers' epochs were bumped since the runs were checked: their runs cannot commit. */
  | { kind: 'fenced'; producerIds: Set<string>; cause: unknown }
  /** The group member changed since its offset commit was validated: validate again and retry. */
  | { kind: 'groupChanged' };

/**
 * Commits every batch of one segment object in one DynamoDB transaction (CommitTransaction), at
 * base offsets first guessed from what this process saw last.
 *
 * - A head that moved: the cancellation returns it, and the commit is retried at the fresh
 *   offsets. The object is never re-uploaded.
 * - An ambiguous failure (timeout, lost response): the retry either commits or finds the segment
 *   record already there, which means an earlier attempt did commit; its base offsets are returned.
 *   So a commit is applied at most once, and reported exactly when applied.
 */
export async function commitBatches(engine: Engine, req: CommitRequest): Promise<CommitResult> {
  const { topic, batches } = req;
  const part = req.part ?? 0;
  if (batches.length === 0) throw new RangeError('a commit covers at least one run');
  if (commitActionCount(batches, req.groupCommit?.length) > MAX_TRANSACTION_ACTIONS) {
    throw new RangeError('commit exceeds the 100 actions of one DynamoDB transaction');
  }
  // The expected next offset of each partition, first guessed from what this process saw last.
  const expected = new Map<number, number>();
  for (const b of batches) {
    if (!expected.has(b.partition))
      expected.set(b.partition, engine.watch.guessNextOffset(topic.topicId, b.partition) ?? 0);
  }
  let lastError: unknown;
  let ambiguous = false;

  for (let attempt = 1; attempt <= engine.config.maxCommitAttempts; attempt++) {
    const bases = runBases(batches, expected);
    const outcome = await engine.commits.attempt({
      topic,
      objectKey: req.objectKey,
      part,
      objectBytes: req.objectBytes,
      batches,
      bases,
      ...(req.groupCommit ? { extra: req.groupCommit } : {}),
      now: engine.now(),
    });
    switch (outcome.kind) {
      case 'committed': {
        const offsets: CommittedOffsets = new Map();
        batches.forEach((b, i) => {
          const base = bases[i] as number;
          if (!offsets.has(b.partition)) offsets.set(b.partition, base);
          engine.watch.observe(topic.topicId, b.partition, base + b.recordCount);
        });
        return { kind: 'committed', offsets };
      }
      case 'alreadyCommitted':
        return { kind: 'committed', offsets: outcome.bases };
      case 'producerStateChanged':
        return { kind: outcome.kind, producerIds: outcome.producerIds };
      case 'fenced':
        return { kind: outcome.kind, producerIds: outcome.producerIds, cause: outcome.cause };
      case 'groupChanged':
        return { kind: outcome.kind };
      case 'topicGone':
        throw new UnknownTopicOrPartitionError(`topic ${topic.name} was deleted during the produce`, {
          cause: outcome.cause,
        });
      case 'indexAhead':
        // Heads that moved are still news: the next produce to them guesses right.
        observeHeads(engine, topic, outcome.heads);
        throw new KafkaStorageError(
          `index entry for ${topic.name}/${outcome.partition} exists past the partition head: metadata is inconsistent`,
          { cause: outcome.cause },
        );
      case 'rejected':
        observeHeads(engine, topic, outcome.heads);
        throw new KafkaStorageError(`commit rejected: ${outcome.code} ${outcome.message}`, {
          cause: outcome.cause,
        });
      case 'ambiguous':
        lastError = outcome.cause;
        // We cannot tell whether DynamoDB applied it; the segment record settles that on the next try.
        ambiguous = true;
        await backoff(attempt);
        break;
      case 'headsMoved':
      case 'transient':
        lastError = outcome.cause;
        for (const [partition, next] of outcome.heads) {
          if (!expected.has(partition)) continue;
          expected.set(partition, next);
          engine.watch.observe(topic.topicId, partition, next);
        }
        if (outcome.kind === 'transient') await backoff(attempt);
        // Lost a race for the head: retry at once with the new one, but after a few losses in a
        // row wait a random moment, so that contending producers stop colliding in lockstep.
        else if (attempt > CONTENDED_AFTER) await backoff(attempt - CONTENDED_AFTER);
        break;
    }
  }
  if (ambiguous) {
    const settled = await findCommittedSegment(engine, req.objectKey, part);
    if (settled) return { kind: 'committed', offsets: settled };
  }
  throw new CommitConflictError(
    `commit of ${req.objectKey}${part ? ` (part ${part})` : ''} did not succeed after ${engine.config.maxCommitAttempts} attempts; nothing was appended`,
    { cause: lastError },
  );
}

/** Each run's base offset: its partition's expected head plus the runs of that partition before it. */
function runBases(batches: readonly PendingBatch[], expected: ReadonlyMap<number, number>): number[] {
  const next = new Map(expected);
  return batches.map((b) => {
    const base = next.get(b.partition) as number;
    next.set(b.partition, base + b.recordCount);
    return base;
  });
}

function observeHeads(engine: Engine, topic: Topic, heads: ReadonlyMap<number, number>): void {
  for (const [partition, next] of heads) engine.watch.observe(topic.topicId, partition, next);
}

async function findCommittedSegment(
  engine: Engine,
  objectKey: string,
  part: number,
): Promise<CommittedOffsets | undefined> {
  try {
    return await engine.commits.committedBases(objectKey, part);
  } catch {
    return undefined;
  }
}

/** Head races lost in a row before a commit starts backing off between attempts. */
const CONTENDED_AFTER = 3;

async function backoff(attempt: number): Promise<void> {
  const cap = Math.min(1000, 10 * 2 ** Math.min(attempt, 10));
  await sleep(Math.random() * cap);
}
