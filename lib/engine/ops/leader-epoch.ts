import type { Engine } from '../engine.js';
import { FencedLeaderEpochError, UnknownLeaderEpochError } from '../errors.js';
import type { Topic } from '../types.js';
import { checkPartition } from './topics.js';

/** Every partition's leader epoch: one virtual leader that never changes. */
export const LEADER_EPOCH = 0;

/** Kafka's "no epoch given" (RecordBatch.NO_PARTITION_LEADER_EPOCH): nothing to check. */
const NO_EPOCH = -1;

/**
 * Kafka's check of a request's current leader epoch against the leader's: -1 skips it, an older
 * epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH.
 */
export function checkCurrentLeaderEpoch(topic: Topic, partition: number, current: number): void {
  if (current === NO_EPOCH) return;
  if (current < LEADER_EPOCH) {
    throw new FencedLeaderEpochError(
      `leader epoch ${current} of ${topic.name}-${partition} is older than the leader's ${LEADER_EPOCH}`,
    );
  }
  if (current > LEADER_EPOCH) {
    throw new UnknownLeaderEpochError(
      `leader epoch ${current} of ${topic.name}-${partition} is newer than the leader's ${LEADER_EPOCH}`,
    );
  }
}

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

/**
 * Kafka's OffsetForLeaderEpoch with one epoch (0) that began at the log start: for epoch 0, the end
 * of the log (the high watermark); for an epoch after it (or -1), -1/-1 (unknown); for one before
 * it, the requested epoch and the log start, where epoch 0 begins.
 */
export async function endOffsetForLeaderEpoch(
  engine: Engine,
  topic: Topic,
  partition: number,
  leaderEpoch: number,
  currentLeaderEpoch: number,
): Promise<EpochEndOffset> {
  checkPartition(topic, partition);
  checkCurrentLeaderEpoch(topic, partition, currentLeaderEpoch);
  if (leaderEpoch === NO_EPOCH || leaderEpoch > LEADER_EPOCH) return { leaderEpoch: -1, endOffset: -1 };
  const head = await engine.metadata.getHead(topic, partition);
  if (leaderEpoch === LEADER_EPOCH) return { leaderEpoch: LEADER_EPOCH, endOffset: head.nextOffset };
  return { leaderEpoch, endOffset: head.logStartOffset };
}
