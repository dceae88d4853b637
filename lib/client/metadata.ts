/** Partition counts per topic, cached for metadataMaxAge and refreshed on demand. */
import type { StrataApi } from './api.js';

interface Entry {
  partitions: number;
  fetchedAt: number;
}

export class TopicMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<number>>();

  constructor(
    private readonly api: StrataApi,
    private readonly maxAgeMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The topic's partition count; one request however many callers ask at once. */
  async partitionCount(topic: string, opts: { refresh?: boolean } = {}): Promise<number> {
    const entry = this.entries.get(topic);
    if (!opts.refresh && entry && this.now() - entry.fetchedAt < this.maxAgeMs) return entry.partitions;
    let pending = this.loading.get(topic);
    if (!pending) {
      pending = this.api
        .describeTopic(topic)
        .then((d) => {
          this.entries.set(topic, { partitions: d.partitions.length, fetchedAt: this.now() });
          return d.partitions.length;
        })
        .finally(() => this.loading.delete(topic));
      this.loading.set(topic, pending);
    }
    return pending;
  }

  invalidate(topic: string): void {
    this.entries.delete(topic);
  }

  /** Record a count learnt elsewhere (an admin call that just created or grew the topic). */
  set(topic: string, partitions: number): void {
    this.entries.set(topic, { partitions, fetchedAt: this.now() });
  }
}
