/**
 * The server's side of the wire contract: the schemas and limits themselves live in lib/contract;
 * this module turns what they cannot say (ranges checked after parsing, byte decoding) into the
 * engine's typed errors.
 */
import type * as z from 'zod/mini';
import {
  CLEANUP_POLICIES,
  KAFKA_LONG_MAX,
  LIMITS,
  TOPIC_CONFIG_DEFAULTS,
  TOPIC_CONFIG_DOUBLE_RANGES,
  TOPIC_CONFIG_LONG_MAX,
  TOPIC_CONFIG_RANGES,
  TOPIC_NAME_PATTERN,
} from '../contract/limits.js';
import {
  addPartitionsRequest,
  createTopicRequest,
  deleteRecordsRequest,
  initProducerRequest,
  produceRequest,
  topicConfigRequest,
} from '../contract/schemas.js';
import {
  InvalidConfigError,
  InvalidRequestError,
  InvalidTopicError,
  RecordListTooLargeError,
} from './errors.js';
import type { TopicConfig } from './types.js';

export { LIMITS } from '../contract/limits.js';
export { offsetValue } from '../contract/schemas.js';

export const DEFAULT_TOPIC_CONFIG: TopicConfig = { ...TOPIC_CONFIG_DEFAULTS };

export function validateTopicName(name: string): string {
  if (!TOPIC_NAME_PATTERN.test(name) || name === '.' || name === '..') {
    throw new InvalidTopicError(
      `invalid topic name ${JSON.stringify(name.slice(0, 300))}: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
  return name;
}

const CONFIG_RANGES: Record<string, readonly [number, number]> = TOPIC_CONFIG_RANGES;
const DOUBLE_RANGES: Record<string, readonly [number, number]> = TOPIC_CONFIG_DOUBLE_RANGES;

/**
 * A topic's config from a request's (strings or numbers), every key left out at its default.
 * INVALID_CONFIG for an unknown key, a value out of its range, or `min.compaction.lag.ms` above
 * `max.compaction.lag.ms` (as Kafka's LogConfig refuses it). `cleanup.policy` is stored as
 * `delete`, `compact` or `compact,delete` however the list was written.
 */
export function validateTopicConfig(config: unknown): TopicConfig {
  const res = topicConfigRequest.safeParse(config ?? {});
  if (!res.success) {
    const issue = res.error.issues[0];
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown topic config ${issue.keys.join(', ')}`
        : `invalid value for ${String(issue?.path[0])}: ${issue?.message}`;
    throw new InvalidConfigError(message);
  }
  const out: Record<string, unknown> = { ...DEFAULT_TOPIC_CONFIG };
  for (const [key, value] of Object.entries(res.data)) {
    if (value === undefined) continue;
    if (key === 'cleanup.policy') {
      const parts = new Set(
        String(value)
          .split(',')
          .map((p) => p.trim()),
      );
      out[key] = CLEANUP_POLICIES.filter((p) => parts.has(p)).join(',');
      continue;
    }
    const double = DOUBLE_RANGES[key];
    if (double) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < double[0] || n > double[1]) {
        throw new InvalidConfigError(
          `invalid value for ${key}: must be a number in [${double[0]}, ${double[1]}]`,
        );
      }
      out[key] = n;
      continue;
    }
    const range = CONFIG_RANGES[key];
    if (!range) {
      out[key] = value;
      continue;
    }
    out[key] = integerConfig(key, value, range);
  }
  if ((out['min.compaction.lag.ms'] as number) > (out['max.compaction.lag.ms'] as number)) {
    throw new InvalidConfigError(
      `invalid value for min.compaction.lag.ms: ${out['min.compaction.lag.ms']} is above max.compaction.lag.ms (${out['max.compaction.lag.ms']})`,
    );
  }
  return out as unknown as TopicConfig;
}

function integerConfig(key: string, value: string | number, range: readonly [number, number]): number {
  const n = Number(value);
  if (Number.isSafeInteger(n) && n >= range[0] && n <= range[1]) return n;
  if (TOPIC_CONFIG_LONG_MAX.has(key)) {
    // Up to Kafka's Long.MAX_VALUE; past the safe integers it means no bound.
    const big =
      typeof value === 'string' ? BigInt(value) : Number.isInteger(value) ? BigInt(value) : undefined;
    if (big !== undefined && big > BigInt(Number.MAX_SAFE_INTEGER) && big <= BigInt(KAFKA_LONG_MAX)) {
      return Number.MAX_SAFE_INTEGER;
    }
    throw new InvalidConfigError(
      `invalid value for ${key}: must be an integer in [${range[0]}, ${KAFKA_LONG_MAX}]`,
    );
  }
  throw new InvalidConfigError(`invalid value for ${key}: must be an integer in [${range[0]}, ${range[1]}]`);
}

// The request schemas under the names the handlers have always imported.
export const createTopicBody = createTopicRequest;
export const deleteRecordsBody = deleteRecordsRequest;
export const addPartitionsBody = addPartitionsRequest;
export const produceBody = produceRequest;
export const initProducerBody = initProducerRequest;
export type ProduceBody = z.infer<typeof produceRequest>;

/** Checked before the schema so that an oversized request gets its own error, not a schema message. */
export function checkRecordCount(body: unknown): void {
  const records = (body as { records?: unknown })?.records;
  if (Array.isArray(records) && records.length > LIMITS.maxRecordsPerRequest) {
    throw new RecordListTooLargeError(
      `a request holds at most ${LIMITS.maxRecordsPerRequest} records, got ${records.length}`,
    );
  }
}

/** An offset on the wire: a decimal string (or number) that is a safe non-negative integer. */
export function parseOffset(raw: unknown, what = 'offset'): number {
  const s = typeof raw === 'number' ? String(raw) : raw;
  if (typeof s !== 'string' || !/^\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new InvalidRequestError(`${what} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return Number(s);
}

export function parseIntParam(
  raw: string | undefined,
  what: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new InvalidRequestError(`${what} is required`);
    return fallback;
  }
  if (!/^-?\d+$/.test(raw))
    throw new InvalidRequestError(`${what} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new InvalidRequestError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Turns a wire string into bytes: UTF-8 by default, base64 when the request asks for it. */
export function decodePayload(value: string, encoding: 'utf8' | 'base64', what: string): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(value);
  if (!BASE64.test(value)) throw new InvalidRequestError(`${what} is not valid base64`);
  const buf = Buffer.from(value, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodePayload(value: Uint8Array, encoding: 'utf8' | 'base64'): string {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return encoding === 'base64' ? buf.toString('base64') : buf.toString('utf8');
}
