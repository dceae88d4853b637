/**
 * The one error table of the API. The server's StrataError classes (lib/engine/errors.ts) and the
 * client's StrataClientError (lib/client/errors.ts) both read it; docs/api.md lists it, and
 * test/unit/api-doc.test.ts keeps the two in step.
 *
 * `retriable` follows Apache Kafka's classification (an exception class extending
 * RetriableException), with deliberate exceptions noted at UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID
 * and FENCED_LEADER_EPOCH.
 * test/unit/contract-errors.test.ts pins the column.
 */

export interface ErrorInfo {
  /** Kafka's numeric error code (Errors.java); -1 where Kafka has none (UNKNOWN_SERVER_ERROR's own code). */
  readonly kafkaCode: number;
  /** May the same call, sent again unchanged, succeed? */
  readonly retriable: boolean;
  /** The HTTP status the API answers with; 0 for codes the client reports when no usable response arrived. */
  readonly httpStatus: number;
  /**
   * May the failed request have been applied anyway? Then a retry can apply it twice: a produce
   * without a producer id appends its records again. False means the server guarantees that
   * nothing changed.
   */
  readonly retrySideEffects: boolean;
  /** `server`: sent by the API in an error body. `client`: made by the client itself. */
  readonly origin: 'server' | 'client';
}

const server = (kafkaCode: number, httpStatus: number, retriable = false, retrySideEffects = false) =>
  ({ kafkaCode, retriable, httpStatus, retrySideEffects, origin: 'server' }) as const;

const client = (kafkaCode: number, retriable: boolean, retrySideEffects: boolean) =>
  ({ kafkaCode, retriable, httpStatus: 0, retrySideEffects, origin: 'client' }) as const;

export const ERRORS = {
  // Kafka: OffsetOutOfRangeException extends InvalidOffsetException (not retriable).
  OFFSET_OUT_OF_RANGE: server(1, 416),
  // Kafka: CorruptRecordException extends RetriableException. Here it comes from decoding stored
  // bytes (a segment read from S3); a retry reads them again.
  CORRUPT_MESSAGE: server(2, 500, true),
  // Kafka marks it retriable (InvalidMetadataException) because a broker's metadata may lag the
  // controller's. Strata answers it only after a consistent read of the topic record (produce
  // looks again past its cache first), so the answer is final; retrying would only delay it.
  UNKNOWN_TOPIC_OR_PARTITION: server(3, 404),
  MESSAGE_TOO_LARGE: server(10, 413),
  OFFSET_METADATA_TOO_LARGE: server(12, 400),
  // Kafka: CoordinatorNotAvailableException extends RetriableException. Nothing was changed.
  COORDINATOR_NOT_AVAILABLE: server(15, 503, true),
  INVALID_TOPIC_EXCEPTION: server(17, 400),
  RECORD_LIST_TOO_LARGE: server(18, 413),
  // A Kafka Produce whose acks is not -1, 0 or 1.
  INVALID_REQUIRED_ACKS: server(21, 400),
  // Classic groups (JoinGroup, SyncGroup, Heartbeat, OffsetCommit): the member's generation is not
  // the group's; it must rejoin.
  ILLEGAL_GENERATION: server(22, 409),
  // Classic groups: a JoinGroup whose protocol type or protocols the group does not share.
  INCONSISTENT_GROUP_PROTOCOL: server(23, 409),
  INVALID_GROUP_ID: server(24, 400),
  UNKNOWN_MEMBER_ID: server(25, 404),
  // Classic groups: a rebalance is under way; the member must rejoin (JoinGroup).
  REBALANCE_IN_PROGRESS: server(27, 409),
  // Authorization (ACLs, when auth is on): the principal may not do this to the topic, the group
  // or the cluster. Final: the same request fails the same way until an ACL changes.
  TOPIC_AUTHORIZATION_FAILED: server(29, 403),
  GROUP_AUTHORIZATION_FAILED: server(30, 403),
  CLUSTER_AUTHORIZATION_FAILED: server(31, 403),
  // The Kafka gateway only: SASL. A mechanism the listener does not offer; a SaslAuthenticate out
  // of turn (or any other request before authenticating on a SASL listener).
  UNSUPPORTED_SASL_MECHANISM: server(33, 400),
  ILLEGAL_SASL_STATE: server(34, 400),
  // The Kafka gateway only: an API version it does not serve (UnsupportedVersionException).
  UNSUPPORTED_VERSION: server(35, 400),
  TOPIC_ALREADY_EXISTS: server(36, 409),
  INVALID_PARTITIONS: server(37, 400),
  // The Kafka gateway only: CreateTopics with a replication factor of 0 or below -1.
  INVALID_REPLICATION_FACTOR: server(38, 400),
  // The Kafka gateway only: a manual partition assignment that is not 0..n-1, or does not match the count.
  INVALID_REPLICA_ASSIGNMENT: server(39, 400),
  INVALID_CONFIG: server(40, 400),
  INVALID_REQUEST: server(42, 400),
  // DeleteRecords on a topic whose cleanup.policy lacks `delete`: Kafka refuses it the same way.
  POLICY_VIOLATION: server(44, 400),
  OUT_OF_ORDER_SEQUENCE_NUMBER: server(45, 409),
  DUPLICATE_SEQUENCE_NUMBER: server(46, 409),
  INVALID_PRODUCER_EPOCH: server(47, 409),
  // Kafka: ConcurrentTransactionsException extends RetriableException. The commit settles every
  // ambiguous attempt before giving up, so nothing was appended.
  CONCURRENT_TRANSACTIONS: server(51, 503, true),
  // The Kafka gateway only, until transactions exist: InitProducerId with a transactional id.
  // Fatal in librdkafka, kafkajs and Java, so a transactional producer stops at once.
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: server(53, 403),
  // Kafka: KafkaStorageException extends InvalidMetadataException (retriable). Also what a throttled
  // or timed-out AWS call becomes, and such a call may have been applied.
  KAFKA_STORAGE_ERROR: server(56, 503, true, true),
  // Kafka gateway SASL: a wrong user or password (SaslAuthenticationException, not retriable).
  SASL_AUTHENTICATION_FAILED: server(58, 401),
  UNKNOWN_PRODUCER_ID: server(59, 404),
  NON_EMPTY_GROUP: server(68, 409),
  GROUP_ID_NOT_FOUND: server(69, 404),
  // The Kafka gateway only (OffsetForLeaderEpoch): a current leader epoch below or above Strata's
  // constant 0. Kafka marks both retriable, because a broker's view of the leader may lag; here the
  // epoch never changes, so the same request fails the same way: final.
  FENCED_LEADER_EPOCH: server(74, 409),
  UNKNOWN_LEADER_EPOCH: server(75, 409),
  UNSUPPORTED_COMPRESSION_TYPE: server(76, 400),
  // Classic groups, JoinGroup v4+: a first join gets a member id to join again with.
  MEMBER_ID_REQUIRED: server(79, 409),
  GROUP_MAX_SIZE_REACHED: server(81, 409),
  FENCED_INSTANCE_ID: server(82, 409),
  // The Kafka gateway only (OffsetDelete): a partition of a topic the non-empty group subscribes to.
  GROUP_SUBSCRIBED_TO_TOPIC: server(86, 409),
  // A Kafka client sent a batch the topic refuses (a keyless record on a compacted topic).
  INVALID_RECORD: server(87, 400),
  // SASL users (Kafka's DescribeUserScramCredentials and AlterUserScramCredentials, and the users
  // routes): a user or a user's credential that does not exist.
  RESOURCE_NOT_FOUND: server(91, 404),
  // A credential Strata will not store: iterations outside 4096-16384, an empty user name or password.
  UNACCEPTABLE_CREDENTIAL: server(93, 400),
  // Like UNKNOWN_TOPIC_OR_PARTITION: answered after a consistent read, so final here.
  UNKNOWN_TOPIC_ID: server(100, 404),
  // Epoch and membership errors are not retriable as such: the member must heartbeat or rejoin first.
  FENCED_MEMBER_EPOCH: server(110, 409),
  UNRELEASED_INSTANCE_ID: server(111, 409),
  // The Kafka gateway only: ConsumerGroupHeartbeat naming a server assignor other than uniform or range.
  UNSUPPORTED_ASSIGNOR: server(112, 400),
  STALE_MEMBER_EPOCH: server(113, 409),
  // The Kafka gateway only: DescribeCluster v1 asking for the controllers' endpoints, or an unknown kind.
  MISMATCHED_ENDPOINT_TYPE: server(114, 400),
  UNSUPPORTED_ENDPOINT_TYPE: server(115, 400),
  // The Kafka gateway only: ConsumerGroupHeartbeat with a subscribedTopicRegex that does not compile.
  INVALID_REGULAR_EXPRESSION: server(128, 400),
  // An unexpected failure may have struck after a write landed.
  UNKNOWN_SERVER_ERROR: server(-1, 500, false, true),
  // HTTP routing, not Kafka.
  NOT_FOUND: server(-1, 404),
  METHOD_NOT_ALLOWED: server(-1, 405),
  // A body whose content type the route does not take (the record batch routes take only
  // application/vnd.kafka.record-batch.v2).
  UNSUPPORTED_MEDIA_TYPE: server(-1, 415),

  // Made by the client. Kafka: TimeoutException extends RetriableException, NetworkException
  // extends InvalidMetadataException; either way the request may have reached the server.
  REQUEST_TIMED_OUT: client(7, true, true),
  NETWORK_EXCEPTION: client(13, true, true),
  /** The caller's signal aborted the request, possibly after it was sent. */
  ABORTED: client(-1, false, true),
  /** A response arrived but was not the JSON the API sends (a proxy's page, a truncated body). */
  INVALID_RESPONSE: client(-1, false, true),
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;
export type ServerErrorCode = {
  [C in ErrorCode]: (typeof ERRORS)[C]['origin'] extends 'server' ? C : never;
}[ErrorCode];

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** The table's row for a code, or undefined for a code it does not know (a newer server's, a proxy's). */
export function errorInfo(code: string): ErrorInfo | undefined {
  return isErrorCode(code) ? ERRORS[code] : undefined;
}
