/** Shapes shared by the operations. Offsets are JS numbers inside the engine (dense, far below 2^53) and strings on the wire. */

export type Bytes = Uint8Array;

export interface RecordHeader {
  key: string;
  value: Bytes | null;
}

/** A record as a producer hands it to the engine, before it has an offset. */
export interface ProducerRecord {
  key: Bytes | null;
  value: Bytes | null;
  headers: RecordHeader[];
  /** Epoch ms. */
  timestamp: number;
}

/** A record as fetch returns it. */
export interface LogRecord extends ProducerRecord {
  offset: number;
}

export interface TopicConfig {
  'retention.ms': number;
  'retention.bytes': number;
  /** Kafka's LIST: one policy or both, stored in this order (`compact,delete` however it was given). */
  'cleanup.policy': 'delete' | 'compact' | 'compact,delete';
  'max.message.bytes': number;
  /** Stored and reported; batches keep the client's CreateTime either way (docs/kafka.md). */
  'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  /** How long a tombstone is kept once compaction reaches it, ms. */
  'delete.retention.ms': number;
  /** No record younger than this is compacted away, ms. */
  'min.compaction.lag.ms': number;
  /** A record older than this is compacted whatever the dirty ratio, ms; Number.MAX_SAFE_INTEGER is no bound (Kafka's Long.MAX_VALUE). */
  'max.compaction.lag.ms': number;
  /** Compaction picks a partition once this share of its log (0..1) is uncompacted. */
  'min.cleanable.dirty.ratio': number;
}

export interface Topic {
  name: string;
  /** Minted at creation; heads and index entries hang off it. */
  topicId: string;
  partitions: number;
  config: TopicConfig;
  /**
   * The keys of `config` set for this topic (at creation or by an alter), as opposed to defaults:
   * Kafka's DescribeConfigs reports them as topic overrides. Absent on topics stored before it
   * existed; then a value that differs from the default counts as set.
   */
  configOverrides?: readonly (keyof TopicConfig)[];
  /** Bumped by every config change; alters are conditional on it. Absent means 0. */
  configVersion?: number;
  createdAt: number;
}

export interface PartitionHead {
  /** The next offset to be written: the high watermark. */
  nextOffset: number;
  /** The first offset still readable. */
  logStartOffset: number;
}

/** One committed batch: where its bytes live and which offsets it holds. */
export interface IndexEntry {
  baseOffset: number;
  lastOffset: number;
  objectKey: string;
  byteOffset: number;
  byteLength: number;
  recordCount: number;
  maxTimestamp: number;
  /**
   * Rewritten by compaction by key: the range [baseOffset, lastOffset] has gaps (recordCount is the
   * records kept), and each batch carries its absolute base offset, so fetch must not patch it.
   */
  sparse?: boolean;
}
