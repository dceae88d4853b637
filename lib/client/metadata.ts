/** Partition counts (and batch size limits) per topic, cached for metadataMaxAge and refreshed on demand. */
import { TOPIC_CONFIG_DEFAULTS } from '../contract/limits.js';
import type { StrataApi } from './api.js';

interface Entry {
  partitions: number;
  /** The topic's `max.message.bytes`: the most one record batch may hold; unknown after set(). */
  maxMessageBytes?: number;
  fetchedAt: number;
}

export class TopicMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly api: StrataApi,
    private readonly maxAgeMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The topic's partition count; one request however many callers ask at once. */
  async partitionCount(topic: string, opts: { refresh?: boolean } = {}): Promise<number> {
    return (await this.entry(topic, opts)).partitions;
  }

  /** The topic's `max.message.bytes` (the binary producer keeps each batch under it). */
  async maxMessageBytes(topic: string): Promise<number> {
    const known = this.entries.get(topic)?.maxMessageBytes;
    const entry = await this.entry(topic, { refresh: known === undefined });
    return entry.maxMessageBytes ?? TOPIC_CONFIG_DEFAULTS['max.message.bytes'];
  }

  private async entry(topic: string, opts: { refresh?: boolean } = {}): Promise<Entry> {
    const entry = this.entries.get(topic);
    if (!opts.refresh && entry && this.now() - entry.fetchedAt < this.maxAgeMs) return entry;
    let pending = this.loading.get(topic);
    if (!pending) {
      pending = this.api
        .describeTopic(topic)
        .then((d) => {
          const configured = Number(d.config?.['max.message.bytes']);
          const fresh: Entry = {
            partitions: d.partitions.length,
            maxMessageBytes:
              Number.isSafeInteger(configured) && configured > 0
                ? configured
                : TOPIC_CONFIG_DEFAULTS['max.message.bytes'],
            fetchedAt: this.now(),
          };
          this.entries.set(topic, fresh);
          return fresh;
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
    const known = this.entries.get(topic)?.maxMessageBytes;
    this.entries.set(topic, {
      partitions,
      ...(known === undefined ? {} : { maxMessageBytes: known }),
      fetchedAt: this.now(),
    });
  }
}
