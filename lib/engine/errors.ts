/**
 * Every failure the engine reports is a StrataError: a Kafka error name, its numeric code,
 * whether a client may retry, and the HTTP status the API maps it to. The numbers come from the
 * one error table (lib/contract/errors.ts); a class here only names the failure and carries its
 * cause, so handlers never guess.
 */
import { ERRORS, type ServerErrorCode } from '../contract/errors.js';

export interface ErrorOptions {
  cause?: unknown;
}

export abstract class StrataError extends Error {
  abstract readonly code: ServerErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  get kafkaCode(): number {
    return ERRORS[this.code].kafkaCode;
  }

  get retriable(): boolean {
    return ERRORS[this.code].retriable;
  }

  get httpStatus(): number {
    return ERRORS[this.code].httpStatus;
  }

  /** May the request have been applied even though it failed (so a retry may apply it twice)? */
  get retrySideEffects(): boolean {
    return ERRORS[this.code].retrySideEffects;
  }

  /** Extra fields a client needs to act on the error (for example the valid offset range). */
  details(): Record<string, unknown> | undefined {
    return undefined;
  }
}

/** A protocol version this server does not serve (the Kafka gateway's ApiVersions rule). */
export class UnsupportedVersionError extends StrataError {
  readonly code = 'UNSUPPORTED_VERSION';
}

/** The Kafka gateway serves no SASL mechanism yet (SaslHandshake). */
export class UnsupportedSaslMechanismError extends StrataError {
  readonly code = 'UNSUPPORTED_SASL_MECHANISM';
}

/** A SaslAuthenticate with no handshake before it: the gateway serves no SASL yet. */
export class IllegalSaslStateError extends StrataError {
  readonly code = 'ILLEGAL_SASL_STATE';
}

/** InitProducerId with a transactional id: the gateway serves no transactions yet. */
export class TransactionalIdAuthorizationFailedError extends StrataError {
  readonly code = 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
}

/** The principal may not do this to the topic (ACLs). */
export class TopicAuthorizationFailedError extends StrataError {
  readonly code = 'TOPIC_AUTHORIZATION_FAILED';
}

/** The principal may not do this to the group (ACLs). */
export class GroupAuthorizationFailedError extends StrataError {
  readonly code = 'GROUP_AUTHORIZATION_FAILED';
}

/** The principal may not do this to the cluster (ACLs). */
export class ClusterAuthorizationFailedError extends StrataError {
  readonly code = 'CLUSTER_AUTHORIZATION_FAILED';
}

/** SASL: an unknown user or a wrong password or proof. */
export class SaslAuthenticationFailedError extends StrataError {
  readonly code = 'SASL_AUTHENTICATION_FAILED';
}

/** A SASL user, or one of its credentials, that does not exist. */
export class ResourceNotFoundError extends StrataError {
  readonly code = 'RESOURCE_NOT_FOUND';
}

/** A credential that cannot be stored: iterations out of range, an empty name or password. */
export class UnacceptableCredentialError extends StrataError {
  readonly code = 'UNACCEPTABLE_CREDENTIAL';
}

export class UnknownTopicOrPartitionError extends StrataError {
  readonly code = 'UNKNOWN_TOPIC_OR_PARTITION';
}

export class OffsetOutOfRangeError extends StrataError {
  readonly code = 'OFFSET_OUT_OF_RANGE';
  constructor(
    readonly requestedOffset: number,
    readonly logStartOffset: number,
    readonly highWatermark: number,
    options?: ErrorOptions,
  ) {
    super(
      `offset ${requestedOffset} is outside the log [${logStartOffset}, ${highWatermark}] (log start, high watermark)`,
      options,
    );
  }
  override details() {
    return {
      offset: String(this.requestedOffset),
      logStartOffset: String(this.logStartOffset),
      highWatermark: String(this.highWatermark),
    };
  }
}

export class CorruptMessageError extends StrataError {
  readonly code = 'CORRUPT_MESSAGE';
}

export class MessageTooLargeError extends StrataError {
  readonly code = 'MESSAGE_TOO_LARGE';
}

export class InvalidTopicError extends StrataError {
  readonly code = 'INVALID_TOPIC_EXCEPTION';
}

export class RecordListTooLargeError extends StrataError {
  readonly code = 'RECORD_LIST_TOO_LARGE';
}

export class TopicAlreadyExistsError extends StrataError {
  readonly code = 'TOPIC_ALREADY_EXISTS';
}

export class InvalidPartitionsError extends StrataError {
  readonly code = 'INVALID_PARTITIONS';
}

export class InvalidConfigError extends StrataError {
  readonly code = 'INVALID_CONFIG';
}

export class InvalidRequestError extends StrataError {
  readonly code = 'INVALID_REQUEST';
}

export class UnsupportedCompressionTypeError extends StrataError {
  readonly code = 'UNSUPPORTED_COMPRESSION_TYPE';
}

/** The commit kept losing to concurrent writers (or DynamoDB kept cancelling it); nothing was appended. */
export class CommitConflictError extends StrataError {
  readonly code = 'CONCURRENT_TRANSACTIONS';
}

/** Object storage or the metadata store failed in a way that a retry may fix. */
export class KafkaStorageError extends StrataError {
  readonly code = 'KAFKA_STORAGE_ERROR';
}

export class RouteNotFoundError extends StrataError {
  readonly code = 'NOT_FOUND';
}

export class MethodNotAllowedError extends StrataError {
  readonly code = 'METHOD_NOT_ALLOWED';
}

export class UnsupportedMediaTypeError extends StrataError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

export class UnknownServerError extends StrataError {
  readonly code = 'UNKNOWN_SERVER_ERROR';
}

// Consumer groups (lib/engine/groups). Epoch and membership errors are not retriable as such: the member
// must act (rejoin with epoch 0, or heartbeat to refresh its assignment) before trying again.

/** The coordinator could not apply a change: the group item kept changing under it. Retry. */
export class CoordinatorNotAvailableError extends StrataError {
  readonly code = 'COORDINATOR_NOT_AVAILABLE';
}

export class OffsetMetadataTooLargeError extends StrataError {
  readonly code = 'OFFSET_METADATA_TOO_LARGE';
}

export class InvalidGroupIdError extends StrataError {
  readonly code = 'INVALID_GROUP_ID';
}

/** The member is not (or no longer) in the group: rejoin with member epoch 0. */
export class UnknownMemberIdError extends StrataError {
  readonly code = 'UNKNOWN_MEMBER_ID';
}

/** Classic groups: the member's generation is not the group's; it must rejoin. */
export class IllegalGenerationError extends StrataError {
  readonly code = 'ILLEGAL_GENERATION';
}

/** Classic groups: the member's protocol type or protocols do not match the group's. */
export class InconsistentGroupProtocolError extends StrataError {
  readonly code = 'INCONSISTENT_GROUP_PROTOCOL';
}

/** Classic groups: a rebalance is under way; rejoin. */
export class RebalanceInProgressError extends StrataError {
  readonly code = 'REBALANCE_IN_PROGRESS';
}

/** Classic groups, JoinGroup v4+: join again with the member id minted for you. */
export class MemberIdRequiredError extends StrataError {
  readonly code = 'MEMBER_ID_REQUIRED';
}

export class NonEmptyGroupError extends StrataError {
  readonly code = 'NON_EMPTY_GROUP';
}

/** OffsetDelete: the group is not empty and subscribes to the topic. */
export class GroupSubscribedToTopicError extends StrataError {
  readonly code = 'GROUP_SUBSCRIBED_TO_TOPIC';
}

export class GroupIdNotFoundError extends StrataError {
  readonly code = 'GROUP_ID_NOT_FOUND';
}

/** The group's state would no longer fit in its DynamoDB item (see docs/groups.md, limits). */
export class GroupMaxSizeReachedError extends StrataError {
  readonly code = 'GROUP_MAX_SIZE_REACHED';
}

/** Another member now holds this static member's instance id. */
export class FencedInstanceIdError extends StrataError {
  readonly code = 'FENCED_INSTANCE_ID';
}

/** The member epoch is ahead of (or unknown to) the coordinator: rejoin with member epoch 0. */
export class FencedMemberEpochError extends StrataError {
  readonly code = 'FENCED_MEMBER_EPOCH';
}

/** A static member joined with an instance id that a live member still holds. */
export class UnreleasedInstanceIdError extends StrataError {
  readonly code = 'UNRELEASED_INSTANCE_ID';
}

/** The commit's member epoch is older than the member's and does not cover the partition: heartbeat, then retry. */
export class StaleMemberEpochError extends StrataError {
  readonly code = 'STALE_MEMBER_EPOCH';
}

/** A Kafka ConsumerGroupHeartbeat asked for a server assignor the coordinator does not have. */
export class UnsupportedAssignorError extends StrataError {
  readonly code = 'UNSUPPORTED_ASSIGNOR';
}

/** A Kafka ConsumerGroupHeartbeat's subscribedTopicRegex does not compile. */
export class InvalidRegularExpressionError extends StrataError {
  readonly code = 'INVALID_REGULAR_EXPRESSION';
}

// --- Idempotent producer ---------------------------------------------------------------------

export class OutOfOrderSequenceNumberError extends StrataError {
  readonly code = 'OUT_OF_ORDER_SEQUENCE_NUMBER';
}

export class DuplicateSequenceNumberError extends StrataError {
  readonly code = 'DUPLICATE_SEQUENCE_NUMBER';
}

export class InvalidProducerEpochError extends StrataError {
  readonly code = 'INVALID_PRODUCER_EPOCH';
}

export class UnknownProducerIdError extends StrataError {
  readonly code = 'UNKNOWN_PRODUCER_ID';
}

/** A record the topic refuses as sent (a keyless record on a compacted topic). */
export class InvalidRecordError extends StrataError {
  readonly code = 'INVALID_RECORD';
}

/** A request the topic's configs forbid: DeleteRecords on a topic that is compacted only. */
export class PolicyViolationError extends StrataError {
  readonly code = 'POLICY_VIOLATION';
}

/** A topic named by a UUID that no topic has (the Kafka protocol's topic ids). */
export class UnknownTopicIdError extends StrataError {
  readonly code = 'UNKNOWN_TOPIC_ID';
}

/** A Kafka Produce whose acks is not -1, 0 or 1. */
export class InvalidRequiredAcksError extends StrataError {
  readonly code = 'INVALID_REQUIRED_ACKS';
}

// --- Kafka admin and leader epochs (the gateway) ---------------------------------------------

/** CreateTopics with a replication factor of 0 or below -1 (any other factor is accepted and stored as 1). */
export class InvalidReplicationFactorError extends StrataError {
  readonly code = 'INVALID_REPLICATION_FACTOR';
}

/** A manual partition assignment that does not name partitions 0..n-1 once each, or not the count added. */
export class InvalidReplicaAssignmentError extends StrataError {
  readonly code = 'INVALID_REPLICA_ASSIGNMENT';
}

/** A current leader epoch below Strata's constant 0. */
export class FencedLeaderEpochError extends StrataError {
  readonly code = 'FENCED_LEADER_EPOCH';
}

/** A current leader epoch above Strata's constant 0. */
export class UnknownLeaderEpochError extends StrataError {
  readonly code = 'UNKNOWN_LEADER_EPOCH';
}

/** DescribeCluster v1 asked a broker for the controllers' endpoints. */
export class MismatchedEndpointTypeError extends StrataError {
  readonly code = 'MISMATCHED_ENDPOINT_TYPE';
}

/** DescribeCluster v1 asked for an endpoint type Kafka does not define. */
export class UnsupportedEndpointTypeError extends StrataError {
  readonly code = 'UNSUPPORTED_ENDPOINT_TYPE';
}
