/** The client's public shapes, named and laid out as KafkaJS's so that ported code type-checks. */
import type * as z from 'zod/mini';
import type { partitionLag } from '../contract/schemas.js';
import type { RetryOptions } from './retry.js';

export type Bytes = Uint8Array;

/**
 * What consumers receive: Node's Buffer where the program's types know it (as KafkaJS gives),
 * otherwise (a browser build) a plain Uint8Array. At run time it is a Buffer whenever one exists.
 */
export type MessageBytes = typeof globalThis extends { Buffer: { alloc(...args: never[]): infer B } }
  ? B extends Uint8Array
    ? B
    : Uint8Array
  : Uint8Array;

/** Header values: a string or bytes (an array is accepted when it holds one value; see docs/client.md). */
export interface IHeaders {
  [key: string]: Bytes | string | (Bytes | string)[] | undefined;
}

export interface Message {
  key?: Bytes | string | null;
  value: Bytes | string | null;
  partition?: number;
  headers?: IHeaders;
  /** Epoch ms, as a number or a numeric string; defaults to the time of append. */
  timestamp?: string | number;
}

export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** Accepted for KafkaJS compatibility: every send waits for the durable commit (acks=-1). */
  acks?: number;
  timeout?: number;
  /** Accepted for KafkaJS compatibility: the server chooses the batch compression. */
  compression?: CompressionTypes;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
  topicMessages?: TopicMessages[];
}

export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  /** The lowest offset this send got in the partition. */
  baseOffset: string;
  /** Every offset this send got in the partition, in message order. */
  offsets: string[];
  logAppendTime: string;
}

export interface PartitionMetadata {
  partitionId: number;
  leader: number;
  partitionErrorCode: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export type ICustomPartitioner = () => (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}) => number;

/**
 * How records travel: `binary` (the default) as Kafka RecordBatch v2 bytes per partition, `json`
 * as the JSON records routes (docs/api.md "Record batches", docs/client.md).
 */
export type DataPath = 'binary' | 'json';

export interface ProducerConfig {
  /** ms to wait for more records before sending a request. Default 5. */
  linger?: number;
  /**
   * Upper bound of one request's body, bytes; a request is sent as soon as this much is waiting.
   * Default and most 4 MiB on the binary path (base64 inside Lambda's 6 MB payload); up to 5.7 MiB
   * on the JSON path.
   */
  batchSize?: number;
  /** Default: the client's `dataPath`, else `binary`. */
  dataPath?: DataPath;
  /** Requests in flight at once (a partition is in at most one of them). Default 5. */
  maxInFlightRequests?: number;
  retry?: RetryOptions;
  createPartitioner?: ICustomPartitioner;
  /** ms a cached partition count stays fresh. Default 300000, as KafkaJS. */
  metadataMaxAge?: number;
  /** Accepted and ignored (no auto creation: create topics with the admin). */
  allowAutoTopicCreation?: boolean;
  /**
   * Default true (as Kafka's producer since 3.0): requests carry a producer id and per-partition
   * sequences, so a retried request is never appended twice.
   */
  idempotent?: boolean;
  /** Makes the producer transactional: `transaction()` with `sendOffsets` (exactly-once pipelines). */
  transactionalId?: string;
}

export interface KafkaMessage {
  key: MessageBytes | null;
  value: MessageBytes | null;
  timestamp: string;
  attributes: number;
  offset: string;
  size: number;
  headers: { [key: string]: MessageBytes | undefined };
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface TopicPartitionOffsetAndMetadata extends TopicPartitionOffset {
  metadata?: string | null;
}

export interface TopicPartitions {
  topic: string;
  partitions?: number[];
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: {
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void>;
  uncommittedOffsets(): { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] };
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachMessage?: EachMessageHandler;
  eachBatch?: EachBatchHandler;
}

export interface ConsumerSubscribeTopics {
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
}

export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

export interface ConsumerConfig {
  groupId: string;
  /** Default: the client's `dataPath`, else `binary`. */
  dataPath?: DataPath;
  /** ms the coordinator waits for a heartbeat before removing the member. Server default 45000. */
  sessionTimeout?: number;
  /** ms between heartbeats until the coordinator says otherwise. Default 3000. */
  heartbeatInterval?: number;
  /** Long-poll wait per fetch, ms (max 20000). Default 5000. */
  maxWaitTimeInMs?: number;
  /** Bytes per fetch of one partition. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Records per fetch of one partition (server bound when absent). */
  maxRecordsPerFetch?: number;
  /** Static membership (KIP-345). */
  instanceId?: string;
  retry?: RetryOptions;
  /** Accepted for KafkaJS compatibility; the server assigns (uniform or range, chosen per group). */
  partitionAssigners?: unknown[];
  /** ms a member may take to release revoked partitions. */
  rebalanceTimeout?: number;
  /** Strata: the server-side assignor the group uses (the first member's choice wins). Default uniform. */
  assignor?: 'uniform' | 'range';
  allowAutoTopicCreation?: boolean;
  maxBytes?: number;
  minBytes?: number;
  readUncommitted?: boolean;
  /** ms; metadata refresh (unused: the coordinator resolves subscriptions). */
  metadataMaxAge?: number;
}

export interface SeekEntry {
  topic: string;
  partition: number;
  offset: string;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: object[];
  configEntries?: { name: string; value: string }[];
}

/** KafkaJS's ConfigResourceTypes; Strata's topics are the only config resource. */
export const ConfigResourceTypes = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export interface IResourceConfig {
  type: number;
  name: string;
  configEntries: { name: string; value: string }[];
}

/** KafkaJS's ConfigSource (Kafka's DescribeConfigs sources); a topic's configs are TOPIC_CONFIG or DEFAULT_CONFIG. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** One config as KafkaJS's describeConfigs answers it. */
export interface ConfigEntry {
  configName: string;
  configValue: string;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  configSynonyms: { configName: string; configValue: string; configSource: number }[];
}

export interface DescribeConfigResponse {
  resources: {
    errorCode: number;
    errorMessage: string | null;
    resourceName: string;
    resourceType: number;
    configEntries: ConfigEntry[];
  }[];
  throttleTime: number;
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface GroupOverview {
  groupId: string;
  protocolType: string;
  state: string;
  members: number;
}

export interface MemberDescription {
  memberId: string;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  memberAssignment: { topic: string; partitions: number[] }[];
  memberMetadata: Bytes;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  groupEpoch: number;
  protocol: string;
  protocolType: string;
  errorCode: number;
  members: MemberDescription[];
  /** Strata extra: per partition, committed offset, log end and lag. */
  offsets: PartitionLag[];
}

/** One partition of a group describe: offsets as strings, null where nothing is committed. */
export type PartitionLag = Pick<
  z.output<typeof partitionLag>,
  'topic' | 'partition' | 'committedOffset' | 'logEndOffset' | 'lag'
>;
