/** The limits and defaults the API promises (docs/api.md lists them). Server and client both read these. */

export const LIMITS = {
  /**
   * A request body, bytes: Lambda's 6 MiB buffered payload. The server (lib/engine/http/api.ts and
   * the local server) rejects anything larger with RECORD_LIST_TOO_LARGE; the client's producer
   * builds its requests to fit.
   */
  maxRequestBytes: 6 * 1024 * 1024,
  /**
   * A record batch body (the binary produce), bytes: API Gateway hands Lambda a binary body
   * base64-encoded, 4/3 of its size, and 4 MiB so encoded stays under the 6 MB payload with room
   * for the event around it. The client's producer fills binary requests up to this; the server
   * takes up to maxRequestBytes (the local server has no base64 on the way).
   */
  maxBatchRequestBytes: 4 * 1024 * 1024,
  /** Partitions of one topic. */
  maxPartitions: 1000,
  maxRecordsPerRequest: 10_000,
  /** Partitions one produce request touches: one DynamoDB transaction commits them all or none. */
  maxPartitionsPerProduce: 49,
  /** An idempotent request spends a third transaction action per partition (its sequence state). */
  maxPartitionsPerIdempotentProduce: 32,
  maxHeadersPerRecord: 100,
  maxHeaderNameBytes: 256,
  /** A fetch response must fit Lambda's 6 MB payload even after base64 and JSON overhead. */
  maxFetchBytes: 4 * 1024 * 1024,
  maxFetchRecords: 10_000,
  maxWaitMs: 20_000,
  /** A topic config's `max.message.bytes`: a record must fit one request with room for the JSON around it. */
  maxMessageBytes: 5 * 1024 * 1024,
} as const;

/** What a fetch returns when the request leaves a bound out. */
export const FETCH_DEFAULTS = {
  maxRecords: 500,
  maxBytes: 1024 * 1024,
  waitMs: 0,
} as const;

/** Kafka's topic name rule (kafka-topics.sh); "." and ".." are refused too. */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Kafka's Long.MAX_VALUE as Kafka writes it: the default of `max.compaction.lag.ms` (no bound).
 * It is past JS numbers' safe integers, so a topic stores any value above
 * Number.MAX_SAFE_INTEGER (about 285,000 years of milliseconds) as Number.MAX_SAFE_INTEGER, and
 * that value is reported as this string (topicConfigString): it survives JSON and reads as Kafka's.
 */
export const KAFKA_LONG_MAX = '9223372036854775807';

/** A topic's config when its creator leaves a key out. */
export const TOPIC_CONFIG_DEFAULTS = {
  'retention.ms': 7 * 24 * 60 * 60 * 1000,
  'retention.bytes': -1,
  'cleanup.policy': 'delete',
  'max.message.bytes': 1024 * 1024,
  'message.timestamp.type': 'CreateTime',
  /** How long a tombstone outlives compaction, ms (Kafka's default: 1 day). */
  'delete.retention.ms': 24 * 60 * 60 * 1000,
  /** The least age of a record before compaction may remove it, ms. */
  'min.compaction.lag.ms': 0,
  /** The most age of a record before it must be compacted, ms: Number.MAX_SAFE_INTEGER is no bound (KAFKA_LONG_MAX). */
  'max.compaction.lag.ms': Number.MAX_SAFE_INTEGER,
  /** The share of a partition's log that must be uncompacted before compaction picks it. */
  'min.cleanable.dirty.ratio': 0.5,
} as const;

/** Allowed ranges of the integer topic configs, inclusive. */
export const TOPIC_CONFIG_RANGES = {
  'retention.ms': [-1, Number.MAX_SAFE_INTEGER],
  'retention.bytes': [-1, Number.MAX_SAFE_INTEGER],
  'max.message.bytes': [1, LIMITS.maxMessageBytes],
  'delete.retention.ms': [0, Number.MAX_SAFE_INTEGER],
  'min.compaction.lag.ms': [0, Number.MAX_SAFE_INTEGER],
  'max.compaction.lag.ms': [1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Integer configs that take any value up to Kafka's Long.MAX_VALUE, as Kafka does: a value above
 * Number.MAX_SAFE_INTEGER is stored as Number.MAX_SAFE_INTEGER (no bound), reported as KAFKA_LONG_MAX.
 */
export const TOPIC_CONFIG_LONG_MAX: ReadonlySet<string> = new Set(['max.compaction.lag.ms']);

/** Allowed ranges of the floating-point topic configs (Kafka's DOUBLE), inclusive. */
export const TOPIC_CONFIG_DOUBLE_RANGES = {
  'min.cleanable.dirty.ratio': [0, 1],
} as const satisfies Record<string, readonly [number, number]>;

/** The policies `cleanup.policy` lists (Kafka's LIST type: one or both, comma-separated). */
export const CLEANUP_POLICIES = ['compact', 'delete'] as const;

/** A topic config's value as Kafka writes it: a string, Number.MAX_SAFE_INTEGER of a LONG_MAX config as KAFKA_LONG_MAX. */
export function topicConfigString(name: string, value: unknown): string {
  if (TOPIC_CONFIG_LONG_MAX.has(name) && value === Number.MAX_SAFE_INTEGER) return KAFKA_LONG_MAX;
  return String(value);
}

/** Whether a `cleanup.policy` value includes compaction (`compact` or `compact,delete`). */
export function isCompactPolicy(policy: string): boolean {
  return policy.split(',').some((p) => p.trim() === 'compact');
}

/** Whether a `cleanup.policy` value includes deletion by retention (`delete` or `compact,delete`). */
export function isDeletePolicy(policy: string): boolean {
  return policy.split(',').some((p) => p.trim() === 'delete');
}
