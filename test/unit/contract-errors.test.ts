/**
 * Pins the error table (lib/contract/errors.ts) and checks that the server's error classes and the
 * client's errors are built from it. The expected rows are written out here on purpose: a change
 * to a code's retriability must change this file too, with its reason.
 */
import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  isRetriableCode,
  StrataClientError,
  StrataConnectionError,
  StrataRequestTimeoutError,
  StrataUsageError,
} from '../../lib/client/errors.js';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../../lib/contract/errors.js';
import * as engineErrors from '../../lib/engine/errors.js';
import { errorResult } from '../../lib/engine/http/api.js';

/**
 * code -> [Kafka code, retriable]. Retriable as in Apache Kafka (the exception class extends
 * RetriableException), except UNKNOWN_TOPIC_OR_PARTITION: see its entry in the table.
 */
const EXPECTED: Record<ErrorCode, [kafkaCode: number, retriable: boolean]> = {
  OFFSET_OUT_OF_RANGE: [1, false],
  CORRUPT_MESSAGE: [2, true],
  UNKNOWN_TOPIC_OR_PARTITION: [3, false],
  MESSAGE_TOO_LARGE: [10, false],
  OFFSET_METADATA_TOO_LARGE: [12, false],
  COORDINATOR_NOT_AVAILABLE: [15, true],
  INVALID_TOPIC_EXCEPTION: [17, false],
  RECORD_LIST_TOO_LARGE: [18, false],
  ILLEGAL_GENERATION: [22, false],
  INCONSISTENT_GROUP_PROTOCOL: [23, false],
  INVALID_GROUP_ID: [24, false],
  UNKNOWN_MEMBER_ID: [25, false],
  REBALANCE_IN_PROGRESS: [27, false],
  TOPIC_AUTHORIZATION_FAILED: [29, false],
  GROUP_AUTHORIZATION_FAILED: [30, false],
  CLUSTER_AUTHORIZATION_FAILED: [31, false],
  UNSUPPORTED_SASL_MECHANISM: [33, false],
  ILLEGAL_SASL_STATE: [34, false],
  UNSUPPORTED_VERSION: [35, false],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [53, false],
  TOPIC_ALREADY_EXISTS: [36, false],
  INVALID_PARTITIONS: [37, false],
  INVALID_REPLICATION_FACTOR: [38, false],
  INVALID_REPLICA_ASSIGNMENT: [39, false],
  INVALID_CONFIG: [40, false],
  INVALID_REQUEST: [42, false],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [45, false],
  DUPLICATE_SEQUENCE_NUMBER: [46, false],
  INVALID_PRODUCER_EPOCH: [47, false],
  CONCURRENT_TRANSACTIONS: [51, true],
  KAFKA_STORAGE_ERROR: [56, true],
  SASL_AUTHENTICATION_FAILED: [58, false],
  UNKNOWN_PRODUCER_ID: [59, false],
  NON_EMPTY_GROUP: [68, false],
  GROUP_ID_NOT_FOUND: [69, false],
  UNSUPPORTED_COMPRESSION_TYPE: [76, false],
  MEMBER_ID_REQUIRED: [79, false],
  GROUP_MAX_SIZE_REACHED: [81, false],
  FENCED_INSTANCE_ID: [82, false],
  GROUP_SUBSCRIBED_TO_TOPIC: [86, false],
  RESOURCE_NOT_FOUND: [91, false],
  UNACCEPTABLE_CREDENTIAL: [93, false],
  // Kafka: retriable (InvalidMetadataException, RetriableException). Strata's leader epoch is the
  // constant 0, so a request that fails the epoch check fails it again: final here.
  FENCED_LEADER_EPOCH: [74, false],
  UNKNOWN_LEADER_EPOCH: [75, false],
  INVALID_REQUIRED_ACKS: [21, false],
  INVALID_RECORD: [87, false],
  POLICY_VIOLATION: [44, false],
  UNKNOWN_TOPIC_ID: [100, false],
  FENCED_MEMBER_EPOCH: [110, false],
  UNRELEASED_INSTANCE_ID: [111, false],
  UNSUPPORTED_ASSIGNOR: [112, false],
  STALE_MEMBER_EPOCH: [113, false],
  MISMATCHED_ENDPOINT_TYPE: [114, false],
  UNSUPPORTED_ENDPOINT_TYPE: [115, false],
  INVALID_REGULAR_EXPRESSION: [128, false],
  UNKNOWN_SERVER_ERROR: [-1, false],
  NOT_FOUND: [-1, false],
  METHOD_NOT_ALLOWED: [-1, false],
  UNSUPPORTED_MEDIA_TYPE: [-1, false],
  REQUEST_TIMED_OUT: [7, true],
  NETWORK_EXCEPTION: [13, true],
  ABORTED: [-1, false],
  INVALID_RESPONSE: [-1, false],
};

/** Every concrete StrataError subclass the engine exports, one instance each. */
function engineErrorInstances(): engineErrors.StrataError[] {
  const classes: unknown[] = Object.values(engineErrors);
  return classes
    .filter((v): v is new (message: string) => engineErrors.StrataError => {
      return typeof v === 'function' && v.prototype instanceof engineErrors.StrataError;
    })
    .map((Ctor) =>
      Ctor === (engineErrors.OffsetOutOfRangeError as unknown)
        ? new engineErrors.OffsetOutOfRangeError(9, 2, 5)
        : new Ctor('m'),
    );
}

describe('the error table', () => {
  it('has exactly the expected codes, Kafka codes and retriable column', () => {
    const actual = Object.fromEntries(
      ERROR_CODES.map((c) => [c, [ERRORS[c].kafkaCode, ERRORS[c].retriable]]),
    );
    expect(actual).toEqual(EXPECTED);
  });

  it('answers a retriable error with 5xx (4xx means nothing changed and nothing will)', () => {
    for (const code of ERROR_CODES) {
      const e = ERRORS[code];
      if (e.origin !== 'server') continue;
      expect(e.httpStatus >= 500 || !e.retriable, code).toBe(true);
    }
  });

  it('claims no side effects for a 4xx', () => {
    for (const code of ERROR_CODES) {
      const e = ERRORS[code];
      if (e.origin === 'server' && e.httpStatus < 500) expect(e.retrySideEffects, code).toBe(false);
    }
  });
});

describe('the engine error classes come from the table', () => {
  const instances = engineErrorInstances();

  it('one class per server code', () => {
    const serverCodes = ERROR_CODES.filter((c) => ERRORS[c].origin === 'server').sort();
    expect(instances.map((e) => e.code).sort()).toEqual(serverCodes);
  });

  it.each(instances.map((e) => [e.code, e] as const))('%s', (code, err) => {
    const [kafkaCode, retriable] = EXPECTED[code];
    expect(err).toMatchObject({ kafkaCode, retriable, httpStatus: ERRORS[code].httpStatus });
    expect(err.retrySideEffects).toBe(ERRORS[code].retrySideEffects);
    // And on the wire: the status and the retriable flag of the error body.
    const res = errorResult(err, () => {});
    expect(res.statusCode).toBe(ERRORS[code].httpStatus);
    expect(JSON.parse(res.body as string).error).toMatchObject({ code, retriable });
  });
});

describe('the client errors come from the table', () => {
  it.each(ERROR_CODES.filter((c) => ERRORS[c].origin === 'server'))('%s without a flag', (code) => {
    const [kafkaCode, retriable] = EXPECTED[code];
    const err = errorFromResponse(ERRORS[code].httpStatus, { error: { code, message: 'm' } });
    expect(err).toMatchObject({ code, kafkaCode, retriable, status: ERRORS[code].httpStatus });
    expect(err.retrySideEffects).toBe(ERRORS[code].retrySideEffects);
    expect(isRetriableCode(code)).toBe(retriable);
  });

  it('client-made codes', () => {
    expect(new StrataConnectionError('x')).toMatchObject({
      code: 'NETWORK_EXCEPTION',
      kafkaCode: EXPECTED.NETWORK_EXCEPTION[0],
      retriable: EXPECTED.NETWORK_EXCEPTION[1],
      retrySideEffects: true,
    });
    expect(new StrataRequestTimeoutError('x')).toMatchObject({
      code: 'REQUEST_TIMED_OUT',
      kafkaCode: EXPECTED.REQUEST_TIMED_OUT[0],
      retriable: EXPECTED.REQUEST_TIMED_OUT[1],
      retrySideEffects: true,
    });
    // A usage error never left the client: nothing to retry, nothing applied.
    expect(new StrataUsageError('x')).toMatchObject({ retriable: false, retrySideEffects: false });
    // A code the table does not know: side effects are possible only when the outcome is unknown.
    expect(
      new StrataClientError('x', { code: 'HTTP_403', retriable: false, status: 403 }).retrySideEffects,
    ).toBe(false);
    expect(
      new StrataClientError('x', { code: 'HTTP_502', retriable: true, status: 502 }).retrySideEffects,
    ).toBe(true);
  });
});
