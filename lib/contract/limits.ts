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

/** A topic's config when its creator leaves a key out. */
export const TOPIC_CONFIG_DEFAULTS = {
  'retention.ms': 7 * 24 * 60 * 60 * 1000,
  'retention.bytes': -1,
  'cleanup.policy': 'delete',
  'max.message.bytes': 1024 * 1024,
  'message.timestamp.type': 'CreateTime',
} as const;

/** Allowed ranges of the numeric topic configs, inclusive. */
export const TOPIC_CONFIG_RANGES = {
  'retention.ms': [-1, Number.MAX_SAFE_INTEGER],
  'retention.bytes': [-1, Number.MAX_SAFE_INTEGER],
  'max.message.bytes': [1, LIMITS.maxMessageBytes],
} as const satisfies Record<string, readonly [number, number]>;
