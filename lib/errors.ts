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
