/**
 * The client's typed errors. Every failure a client call reports is a StrataClientError carrying
 * the Kafka error name (`code`, also as `type` like KafkaJS's protocol errors), whether retrying
 * the same call may succeed (`retriable`), and the HTTP status (0 when no response arrived).
 * Codes, Kafka codes and retriability come from the one error table (lib/contract/errors.ts).
 * Browser-safe: no Node imports.
 */
import { ERRORS, errorInfo } from '../contract/errors.js';

export interface StrataClientErrorOptions {
  code: string;
  retriable: boolean;
  /** HTTP status; 0 when the request never got a response (network failure, timeout). */
  status?: number;
  /** The error body's extra fields (for example the valid offset range). */
  details?: Record<string, unknown>;
  /** Overrides the error table's `retrySideEffects` (a failure before anything was sent has none). */
  retrySideEffects?: boolean;
  cause?: unknown;
}

export class StrataClientError extends Error {
  /** Kafka error name, e.g. `UNKNOWN_TOPIC_OR_PARTITION`; client-side failures use their own names. */
  readonly code: string;
  readonly retriable: boolean;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Kafka's numeric error code where one exists, else -1. */
  readonly kafkaCode: number;
  /**
   * May the failed request have been applied anyway, so that retrying it may apply it twice (a
   * produce without idempotence may duplicate)? From the error table; for a code it does not
   * know, true when no response or a 5xx came back.
   */
  readonly retrySideEffects: boolean;
  readonly details: Record<string, unknown>;
  /** How many times the call was retried before giving up. */
  retryCount = 0;

  constructor(message: string, options: StrataClientErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable;
    this.status = options.status ?? 0;
    const info = errorInfo(options.code);
    this.kafkaCode = info?.kafkaCode ?? -1;
    this.retrySideEffects =
      options.retrySideEffects ?? info?.retrySideEffects ?? (this.status === 0 || this.status >= 500);
    this.details = options.details ?? {};
  }

  /** KafkaJS's protocol errors name the Kafka error `type`. */
  get type(): string {
    return this.code;
  }
}

/** No response: connection refused or reset, DNS failure, aborted socket. Always retriable. */
export class StrataConnectionError extends StrataClientError {
  constructor(message: string, cause?: unknown) {
    super(message, {
      code: 'NETWORK_EXCEPTION',
      retriable: ERRORS.NETWORK_EXCEPTION.retriable,
      status: 0,
      cause,
    });
  }
}

/** No response within the request timeout. Retriable: the request may or may not have been applied. */
export class StrataRequestTimeoutError extends StrataClientError {
  constructor(message: string, cause?: unknown) {
    super(message, {
      code: 'REQUEST_TIMED_OUT',
      retriable: ERRORS.REQUEST_TIMED_OUT.retriable,
      status: 0,
      cause,
    });
  }
}

export class StrataOffsetOutOfRangeError extends StrataClientError {
  /** The offset that was asked for. */
  readonly offset: string | undefined;
  /** The first readable offset and the next offset to be written, at the time of the error. */
  readonly logStartOffset: string | undefined;
  readonly highWatermark: string | undefined;
  constructor(message: string, options: StrataClientErrorOptions) {
    super(message, options);
    this.offset = optString(this.details.offset);
    this.logStartOffset = optString(this.details.logStartOffset);
    this.highWatermark = optString(this.details.highWatermark);
  }
}

export class StrataTopicAlreadyExistsError extends StrataClientError {}
export class StrataUnknownTopicOrPartitionError extends StrataClientError {}
/** STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID: the member must heartbeat or rejoin. */
export class StrataMemberError extends StrataClientError {}
export class StrataNonEmptyGroupError extends StrataClientError {}

/** The client was used in a way it cannot serve (disconnected producer, bad arguments, ...). */
export class StrataUsageError extends StrataClientError {
  constructor(message: string, code = 'INVALID_REQUEST') {
    // Nothing was sent: never worth retrying, and never applied.
    super(message, { code, retriable: false, status: 0, retrySideEffects: false });
  }
}

const CLASS_BY_CODE: Record<
  string,
  new (
    message: string,
    options: StrataClientErrorOptions,
  ) => StrataClientError
> = {
  OFFSET_OUT_OF_RANGE: StrataOffsetOutOfRangeError,
  TOPIC_ALREADY_EXISTS: StrataTopicAlreadyExistsError,
  UNKNOWN_TOPIC_OR_PARTITION: StrataUnknownTopicOrPartitionError,
  STALE_MEMBER_EPOCH: StrataMemberError,
  FENCED_MEMBER_EPOCH: StrataMemberError,
  UNKNOWN_MEMBER_ID: StrataMemberError,
  NON_EMPTY_GROUP: StrataNonEmptyGroupError,
};

/** Is the code one that Kafka (and so this client) treats as retriable? Unknown codes are not. */
export function isRetriableCode(code: string): boolean {
  return errorInfo(code)?.retriable ?? false;
}

/**
 * Maps an HTTP error response to a typed error. `body` is the parsed JSON (or undefined when the
 * body was not JSON, as from a proxy or API Gateway itself). The server's own `retriable` wins;
 * without it, the error table decides for a code it knows, and otherwise 5xx and 429 are retriable.
 */
export function errorFromResponse(status: number, body: unknown, statusText = ''): StrataClientError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const plainMessage = isRecord(body) && typeof body.message === 'string' ? body.message : undefined;
  const bodyCode = typeof error?.code === 'string' ? error.code : undefined;
  const code = bodyCode ?? (status >= 500 ? 'UNKNOWN_SERVER_ERROR' : `HTTP_${status}`);
  const message =
    typeof error?.message === 'string'
      ? error.message
      : (plainMessage ?? `HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  const retriable =
    typeof error?.retriable === 'boolean'
      ? error.retriable
      : ((bodyCode === undefined ? undefined : errorInfo(bodyCode)?.retriable) ??
        (status >= 500 || status === 429));
  const details: Record<string, unknown> = {};
  if (error) {
    for (const [k, v] of Object.entries(error)) {
      if (k !== 'code' && k !== 'message' && k !== 'retriable') details[k] = v;
    }
  }
  const Ctor = CLASS_BY_CODE[code] ?? StrataClientError;
  return new Ctor(message, { code, retriable, status, details });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
