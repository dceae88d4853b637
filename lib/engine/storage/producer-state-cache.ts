import type { ProducerPartitionState } from '../idempotence.js';

const MAX_ENTRIES = 10_000;

/**
 * The idempotent-producer states this process last committed, so a warm writer skips reading them
 * before each request. Safe because the commit is conditional on the state it was checked against:
 * a stale entry (another process wrote for this producer) fails the commit, which re-reads the
 * state from DynamoDB and checks the request again.
 */
export class ProducerStateCache {
  private readonly states = new Map<string, ProducerPartitionState>();

  private static key(producerId: string, topicId: string, partition: number): string {
    return `${producerId}/${topicId}/${partition}`;
  }

  /** The states of all the given partitions, or undefined if any is not cached. */
  getAll(
    producerId: string,
    topicId: string,
    partitions: number[],
  ): Map<number, ProducerPartitionState> | undefined {
    const out = new Map<number, ProducerPartitionState>();
    for (const p of partitions) {
      const state = this.states.get(ProducerStateCache.key(producerId, topicId, p));
      if (!state) return undefined;
      out.set(p, state);
    }
    return out;
  }

  set(producerId: string, topicId: string, partition: number, state: ProducerPartitionState): void {
    const key = ProducerStateCache.key(producerId, topicId, partition);
    this.states.delete(key);
    this.states.set(key, state);
    // Oldest first out: a Map iterates in insertion order.
    if (this.states.size > MAX_ENTRIES) this.states.delete(this.states.keys().next().value as string);
  }
}
