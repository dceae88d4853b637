import type { EngineConfig } from './config.js';
import { AclStore } from './storage/acl-store.js';
import { type AwsClients, createAwsClients } from './storage/aws-clients.js';
import { ClassicGroupStore } from './storage/classic-group-store.js';
import { CommitTransaction } from './storage/commit-transaction.js';
import { CredentialStore } from './storage/credential-store.js';
import { GroupStore } from './storage/group-store.js';
import { MetadataStore } from './storage/metadata-store.js';
import { PartitionWatch } from './storage/partition-watch.js';
import { ProducerStateCache } from './storage/producer-state-cache.js';
import { ProducerStore } from './storage/producer-store.js';
import { ReferenceStore } from './storage/reference-store.js';
import { SegmentStore } from './storage/segment-store.js';
import { TopicCache } from './storage/topic-cache.js';

/**
 * Everything an operation needs, built once per process (a Lambda cold start, the local server,
 * a test). Operations are plain functions that take the engine as their first argument, and reach
 * DynamoDB and S3 only through the stores here.
 */
export interface Engine {
  config: EngineConfig;
  clients: AwsClients;
  metadata: MetadataStore;
  segments: SegmentStore;
  /** The produce commit transaction (one attempt at a time; ops/commit.ts retries). */
  commits: CommitTransaction;
  /** Idempotent producers: epochs, transactional ids, per-partition sequence state. */
  producers: ProducerStore;
  /** Writes that drop index references (retention, compaction, cleanup) and storage GC's bookkeeping. */
  references: ReferenceStore;
  /** Last known heads (the commit's first guess) and long-poll wake-ups, per process. */
  watch: PartitionWatch;
  /** Produce-side topic metadata cache (see TopicCache for why it is safe). */
  topics: TopicCache;
  /** Idempotent-producer states this process committed last (see ProducerStateCache). */
  producerStates: ProducerStateCache;
  /** Consumer groups: their state, committed offsets and registry. */
  groups: GroupStore;
  /** Classic (JoinGroup/SyncGroup) groups' barrier state, and this process's wake-ups for it. */
  classicGroups: ClassicGroupStore;
  /** ACL bindings, cached per process for `config.aclCacheMs`. */
  acls: AclStore;
  /** SASL users' SCRAM keys (never cached: a changed password counts at the next handshake). */
  users: CredentialStore;
  /** Epoch ms; tests replace it to move time. */
  now: () => number;
}

export function createEngine(config: EngineConfig, clients: AwsClients = createAwsClients(config)): Engine {
  const metadata = new MetadataStore(clients.doc, config.metaTable, config.indexTable);
  return {
    config,
    clients,
    metadata,
    segments: new SegmentStore(clients.s3, config.bucket, config.segmentCacheBytes),
    commits: new CommitTransaction(
      clients.doc,
      config.metaTable,
      config.indexTable,
      config.testOnlyBreakCommitCondition === true,
    ),
    producers: new ProducerStore(clients.doc, config.metaTable, metadata),
    references: new ReferenceStore(clients.doc, config.metaTable, config.indexTable, metadata),
    watch: new PartitionWatch(),
    topics: new TopicCache(config.topicCacheMs),
    producerStates: new ProducerStateCache(),
    groups: new GroupStore(clients.doc, config.metaTable),
    classicGroups: new ClassicGroupStore(clients.doc, config.metaTable),
    acls: new AclStore(clients.doc, config.metaTable, config.aclCacheMs),
    users: new CredentialStore(clients.doc, config.metaTable),
    now: Date.now,
  };
}
