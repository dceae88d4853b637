import type { EngineConfig } from './config.js';
import { type AwsClients, createAwsClients } from './storage/aws-clients.js';
import { GroupStore } from './storage/group-store.js';
import { MetadataStore } from './storage/metadata-store.js';
import { PartitionWatch } from './storage/partition-watch.js';
import { ProducerStateCache } from './storage/producer-state-cache.js';
import { SegmentStore } from './storage/segment-store.js';
import { TopicCache } from './storage/topic-cache.js';

/**
 * Everything an operation needs, built once per process (a Lambda cold start, the local server,
 * a test). Operations are plain functions that take the engine as their first argument.
 */
export interface Engine {
  config: EngineConfig;
  clients: AwsClients;
  metadata: MetadataStore;
  segments: SegmentStore;
  /** Last known heads (the commit's first guess) and long-poll wake-ups, per process. */
  watch: PartitionWatch;
  /** Produce-side topic metadata cache (see TopicCache for why it is safe). */
  topics: TopicCache;
  /** Idempotent-producer states this process committed last (see ProducerStateCache). */
  producerStates: ProducerStateCache;
  /** Consumer groups: their state, committed offsets and registry. */
  groups: GroupStore;
  /** Epoch ms; tests replace it to move time. */
  now: () => number;
}

export function createEngine(config: EngineConfig, clients: AwsClients = createAwsClients(config)): Engine {
  return {
    config,
    clients,
    metadata: new MetadataStore(clients.doc, config.metaTable, config.indexTable),
    segments: new SegmentStore(clients.s3, config.bucket, config.segmentCacheBytes),
    watch: new PartitionWatch(),
    topics: new TopicCache(config.topicCacheMs),
    producerStates: new ProducerStateCache(),
    groups: new GroupStore(clients.doc, config.metaTable),
    now: Date.now,
  };
}
