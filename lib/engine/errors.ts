/**
 * Every failure the engine reports is a StrataError: a Kafka error name, its numeric code,
 * whether a client may retry, and the HTTP status the API maps it to. One class per failure,
 * each carrying its cause, so handlers never guess.
 */
export interface ErrorOptions {
  cause?: unknown;
}

export abstract class StrataError extends Error {
  abstract readonly code: string;
  abstract readonly kafkaCode: number;
  abstract readonly retriable: boolean;
  abstract readonly httpStatus: number;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Extra fields a client needs to act on the error (for example the valid offset range). */
  details(): Record<string, unknown> | undefined {
    return undefined;
  }
}

export class UnknownTopicOrPartitionError extends StrataError {
  readonly code = 'UNKNOWN_TOPIC_OR_PARTITION';
  readonly kafkaCode = 3;
  readonly retriable = false;
  readonly httpStatus = 404;
}

export class OffsetOutOfRangeError extends StrataError {
  readonly code = 'OFFSET_OUT_OF_RANGE';
  readonly kafkaCode = 1;
  readonly retriable = false;
  readonly httpStatus = 416;
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
  readonly kafkaCode = 2;
  readonly retriable = false;
  readonly httpStatus = 500;
}

export class MessageTooLargeError extends StrataError {
  readonly code = 'MESSAGE_TOO_LARGE';
  readonly kafkaCode = 10;
  readonly retriable = false;
  readonly httpStatus = 413;
}

export class InvalidTopicError extends StrataError {
  readonly code = 'INVALID_TOPIC_EXCEPTION';
  readonly kafkaCode = 17;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class RecordListTooLargeError extends StrataError {
  readonly code = 'RECORD_LIST_TOO_LARGE';
  readonly kafkaCode = 18;
  readonly retriable = false;
  readonly httpStatus = 413;
}

export class TopicAlreadyExistsError extends StrataError {
  readonly code = 'TOPIC_ALREADY_EXISTS';
  readonly kafkaCode = 36;
  readonly retriable = false;
  readonly httpStatus = 409;
}

export class InvalidPartitionsError extends StrataError {
  readonly code = 'INVALID_PARTITIONS';
  readonly kafkaCode = 37;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class InvalidConfigError extends StrataError {
  readonly code = 'INVALID_CONFIG';
  readonly kafkaCode = 40;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class InvalidRequestError extends StrataError {
  readonly code = 'INVALID_REQUEST';
  readonly kafkaCode = 42;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class UnsupportedCompressionTypeError extends StrataError {
  readonly code = 'UNSUPPORTED_COMPRESSION_TYPE';
  readonly kafkaCode = 76;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class InvalidTimestampError extends StrataError {
  readonly code = 'INVALID_TIMESTAMP';
  readonly kafkaCode = 32;
  readonly retriable = false;
  readonly httpStatus = 400;
}

/** The commit kept losing to concurrent writers (or DynamoDB kept cancelling it); nothing was appended. */
export class CommitConflictError extends StrataError {
  readonly code = 'CONCURRENT_TRANSACTIONS';
  readonly kafkaCode = 51;
  readonly retriable = true;
  readonly httpStatus = 503;
}

/** Object storage or the metadata store failed in a way that a retry may fix. */
export class KafkaStorageError extends StrataError {
  readonly code = 'KAFKA_STORAGE_ERROR';
  readonly kafkaCode = 56;
  readonly retriable = true;
  readonly httpStatus = 503;
}

export class RouteNotFoundError extends StrataError {
  readonly code = 'NOT_FOUND';
  readonly kafkaCode = -1;
  readonly retriable = false;
  readonly httpStatus = 404;
}

export class MethodNotAllowedError extends StrataError {
  readonly code = 'METHOD_NOT_ALLOWED';
  readonly kafkaCode = -1;
  readonly retriable = false;
  readonly httpStatus = 405;
}

export class UnknownServerError extends StrataError {
  readonly code = 'UNKNOWN_SERVER_ERROR';
  readonly kafkaCode = -1;
  readonly retriable = false;
  readonly httpStatus = 500;
}

// Consumer groups (lib/engine/groups). Epoch and membership errors are not retriable as such: the member
// must act (rejoin with epoch 0, or heartbeat to refresh its assignment) before trying again.

/** The coordinator could not apply a change: the group item kept changing under it. Retry. */
export class CoordinatorNotAvailableError extends StrataError {
  readonly code = 'COORDINATOR_NOT_AVAILABLE';
  readonly kafkaCode = 15;
  readonly retriable = true;
  readonly httpStatus = 503;
}

export class OffsetMetadataTooLargeError extends StrataError {
  readonly code = 'OFFSET_METADATA_TOO_LARGE';
  readonly kafkaCode = 12;
  readonly retriable = false;
  readonly httpStatus = 400;
}

export class InvalidGroupIdError extends StrataError {
  readonly code = 'INVALID_GROUP_ID';
  readonly kafkaCode = 24;
  readonly retriable = false;
  readonly httpStatus = 400;
}

/** The member is not (or no longer) in the group: rejoin with member epoch 0. */
export class UnknownMemberIdError extends StrataError {
  readonly code = 'UNKNOWN_MEMBER_ID';
  readonly kafkaCode = 25;
  readonly retriable = false;
  readonly httpStatus = 404;
}

export class NonEmptyGroupError extends StrataError {
  readonly code = 'NON_EMPTY_GROUP';
  readonly kafkaCode = 68;
  readonly retriable = false;
  readonly httpStatus = 409;
}

export class GroupIdNotFoundError extends StrataError {
  readonly code = 'GROUP_ID_NOT_FOUND';
  readonly kafkaCode = 69;
  readonly retriable = false;
  readonly httpStatus = 404;
}

/** The group's state would no longer fit in its DynamoDB item (see docs/groups.md, limits). */
export class GroupMaxSizeReachedError extends StrataError {
  readonly code = 'GROUP_MAX_SIZE_REACHED';
  readonly kafkaCode = 81;
  readonly retriable = false;
  readonly httpStatus = 409;
}

/** Another member now holds this static member's instance id. */
export class FencedInstanceIdError extends StrataError {
  readonly code = 'FENCED_INSTANCE_ID';
  readonly kafkaCode = 82;
  readonly retriable = false;
  readonly httpStatus = 409;
}

/** The member epoch is ahead of (or unknown to) the coordinator: rejoin with member epoch 0. */
export class FencedMemberEpochError extends StrataError {
  readonly code = 'FENCED_MEMBER_EPOCH';
  readonly kafkaCode = 110;
  readonly retriable = false;
  readonly httpStatus = 409;
}

/** A static member joined with an instance id that a live member still holds. */
export class UnreleasedInstanceIdError extends StrataError {
  readonly code = 'UNRELEASED_INSTANCE_ID';
  readonly kafkaCode = 111;
  readonly retriable = false;
  readonly httpStatus = 409;
}

/** The commit's member epoch is older than the member's and does not cover the partition: heartbeat, then retry. */
export class StaleMemberEpochError extends StrataError {
  readonly code = 'STALE_MEMBER_EPOCH';
  readonly kafkaCode = 113;
  readonly retriable = false;
  readonly httpStatus = 409;
}

// --- Idempotent producer ---------------------------------------------------------------------

export class OutOfOrderSequenceNumberError extends StrataError {
  readonly code = 'OUT_OF_ORDER_SEQUENCE_NUMBER';
  readonly kafkaCode = 45;
  readonly retriable = false;
  readonly httpStatus = 409;
}

export class DuplicateSequenceNumberError extends StrataError {
  readonly code = 'DUPLICATE_SEQUENCE_NUMBER';
  readonly kafkaCode = 46;
  readonly retriable = false;
  readonly httpStatus = 409;
}

export class InvalidProducerEpochError extends StrataError {
  readonly code = 'INVALID_PRODUCER_EPOCH';
  readonly kafkaCode = 47;
  readonly retriable = false;
  readonly httpStatus = 409;
}

export class UnknownProducerIdError extends StrataError {
  readonly code = 'UNKNOWN_PRODUCER_ID';
  readonly kafkaCode = 59;
  readonly retriable = false;
  readonly httpStatus = 404;
}
