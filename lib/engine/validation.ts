import * as z from 'zod/mini';
import {
  InvalidConfigError,
  InvalidRequestError,
  InvalidTopicError,
  RecordListTooLargeError,
} from './errors.js';
import type { TopicConfig } from './types.js';

/** Limits the API promises; docs/api.md lists them. */
export const LIMITS = {
  maxPartitions: 1000,
  maxRecordsPerRequest: 10_000,
  maxHeadersPerRecord: 100,
  maxHeaderNameBytes: 256,
  /** A fetch response must fit Lambda's 6 MB payload even after base64 and JSON overhead. */
  maxFetchBytes: 4 * 1024 * 1024,
  maxFetchRecords: 10_000,
  maxWaitMs: 20_000,
} as const;

export const DEFAULT_TOPIC_CONFIG: TopicConfig = {
  'retention.ms': 7 * 24 * 60 * 60 * 1000,
  'retention.bytes': -1,
  'cleanup.policy': 'delete',
  'max.message.bytes': 1024 * 1024,
};

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function validateTopicName(name: string): string {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new InvalidTopicError(
      `invalid topic name ${JSON.stringify(name.slice(0, 300))}: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
  return name;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.gte(min), z.lte(max));
const digits = (re: RegExp, message: string) => z.string().check(z.regex(re, message));

/** An offset on the wire: a decimal string (numbers are accepted too); parseOffset converts it. */
export const offsetValue = z.union([
  z.int().check(z.gte(0)),
  digits(/^\d{1,16}$/, 'must be a non-negative integer'),
]);

/** Kafka configs travel as strings; numbers are accepted too. Ranges are checked after parsing. */
const configValue = z.optional(z.union([z.number(), digits(/^-?\d+$/, 'must be an integer')]));

const topicConfigSchema = z.strictObject({
  'retention.ms': configValue,
  'retention.bytes': configValue,
  'cleanup.policy': z.optional(z.enum(['delete', 'compact'])),
  'max.message.bytes': configValue,
});

/** Allowed ranges; a record must fit one 6 MB request with room for the JSON around it. */
const CONFIG_RANGES: Record<string, [number, number]> = {
  'retention.ms': [-1, Number.MAX_SAFE_INTEGER],
  'retention.bytes': [-1, Number.MAX_SAFE_INTEGER],
  'max.message.bytes': [1, 5 * 1024 * 1024],
};

export function validateTopicConfig(config: unknown): TopicConfig {
  const res = topicConfigSchema.safeParse(config ?? {});
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
    const range = CONFIG_RANGES[key];
    if (!range) {
      out[key] = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < range[0] || n > range[1]) {
      throw new InvalidConfigError(
        `invalid value for ${key}: must be an integer in [${range[0]}, ${range[1]}]`,
      );
    }
    out[key] = n;
  }
  return out as unknown as TopicConfig;
}

export const createTopicBody = z.strictObject({
  name: z.string(),
  partitions: z.optional(z.int()),
  config: z.optional(z.record(z.string(), z.unknown())),
});

export const deleteRecordsBody = z.strictObject({
  partition: int(0),
  beforeOffset: z.union([digits(/^(-1|\d{1,16})$/, 'must be an offset or -1'), int(-1)]),
});

export const addPartitionsBody = z.strictObject({ count: z.int() });

const timestamp = z.union([int(0), digits(/^\d{1,16}$/, 'must be epoch milliseconds')]);

const produceRecord = z.strictObject({
  key: z.optional(z.nullable(z.string())),
  value: z.optional(z.nullable(z.string())),
  headers: z.optional(z.record(z.string(), z.nullable(z.string()))),
  partition: z.optional(int(0)),
  timestamp: z.optional(timestamp),
});

export const produceBody = z.strictObject({
  records: z.array(produceRecord).check(z.minLength(1, 'at least one record is required')),
  encoding: z.optional(z.enum(['utf8', 'base64'])),
  compression: z.optional(z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])),
  /** Idempotent produce: see docs/api.md. */
  producer: z.optional(
    z.strictObject({
      producerId: digits(/^\d{1,16}$/, 'must be a producer id from POST /v1/producers'),
      producerEpoch: int(0, 32_767),
      sequences: z
        .array(z.strictObject({ partition: int(0), baseSequence: int(0, 2 ** 31 - 1) }))
        .check(z.minLength(1)),
    }),
  ),
  /** Exactly-once pipelines: a group's offset commit applied in the same transaction. */
  groupCommit: z.optional(
    z.strictObject({
      groupId: z.string().check(z.minLength(1)),
      memberId: z.string().check(z.minLength(1)),
      memberEpoch: z.int(),
      offsets: z
        .array(
          z.strictObject({
            topic: z.string(),
            partition: int(0),
            offset: offsetValue,
            metadata: z.optional(z.string()),
          }),
        )
        .check(z.minLength(1)),
    }),
  ),
});

export type ProduceBody = z.infer<typeof produceBody>;

export const initProducerBody = z.optional(z.strictObject({ transactionalId: z.optional(z.string()) }));

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
