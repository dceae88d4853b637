import type { Topic } from '../types.js';

/**
 * Produce-side cache of topic metadata, like a Kafka client's metadata cache (metadata.max.age.ms).
 * Safe because the commit re-checks the topic id in its transaction: a produce to a topic deleted
 * (or re-created) since it was cached fails instead of being acknowledged. Fetch never uses it, so
 * a deleted topic's data is unreachable at once.
 */
export class TopicCache {
  private readonly entries = new Map<string, { topic: Topic; at: number }>();

  constructor(readonly maxAgeMs: number) {}

  get(name: string, now: number): Topic | undefined {
    const hit = this.entries.get(name);
    if (!hit || now - hit.at > this.maxAgeMs) return undefined;
    return hit.topic;
  }

  set(topic: Topic, now: number): void {
    this.entries.set(topic.name, { topic, at: now });
  }

  invalidate(name: string): void {
    this.entries.delete(name);
  }
}
