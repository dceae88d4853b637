import { z } from 'zod';
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

/** Kafka configs travel as strings; numbers are accepted too. */
const configNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.union([z.number(), z.string().regex(/^-?\d+$/, 'must be an integer')]).transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer in [${min}, ${max}]` });
      return z.NEVER;
    }
    return n;
  });

const topicConfigSchema = z
  .object({
    'retention.ms': configNumber(-1).optional(),
    'retention.bytes': configNumber(-1).optional(),
    'cleanup.policy': z.enum(['delete', 'compact']).optional(),
    // A record must fit one 6 MB request with room for the JSON around it.
    'max.message.bytes': configNumber(1, 5 * 1024 * 1024).optional(),
  })
  .strict();

export function validateTopicConfig(config: unknown): TopicConfig {
  const res = topicConfigSchema.safeParse(config ?? {});
  if (!res.success) {
    const issue = res.error.issues[0];
    const key = issue?.path[0];
    const message =
      issue?.code === 'unrecognized_keys'
        ? `unknown topic config ${issue.keys.join(', ')}`
        : `invalid value for ${String(key)}: ${issue?.message}`;
    throw new InvalidConfigError(message);
  }
  const out: TopicConfig = { ...DEFAULT_TOPIC_CONFIG };
  for (const [k, v] of Object.entries(res.data))
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export const createTopicBody = z
  .object({
    name: z.string(),
    partitions: z.number().int().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const deleteRecordsBody = z
  .object({
    partition: z.number().int().min(0),
    beforeOffset: z.union([
      z.string().regex(/^(-1|\d{1,16})$/, 'must be an offset or -1'),
      z.number().int().min(-1),
    ]),
  })
  .strict();

export const addPartitionsBody = z.object({ count: z.number().int() }).strict();

const timestamp = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^\d{1,16}$/, 'must be epoch milliseconds'),
]);

const produceRecord = z
  .object({
    key: z.string().nullable().optional(),
    value: z.string().nullable().optional(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
    partition: z.number().int().min(0).optional(),
    timestamp: timestamp.optional(),
  })
  .strict();

export const produceBody = z
  .object({
    records: z.array(produceRecord).min(1, 'at least one record is required'),
    encoding: z.enum(['utf8', 'base64']).optional(),
    compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).optional(),
    /** Idempotent produce: see docs/api.md. */
    producer: z
      .object({
        producerId: z.string().regex(/^\d{1,16}$/, 'must be a producer id from POST /v1/producers'),
        producerEpoch: z.number().int().min(0).max(32_767),
        sequences: z
          .array(
            z
              .object({
                partition: z.number().int().min(0),
                baseSequence: z
                  .number()
                  .int()
                  .min(0)
                  .max(2 ** 31 - 1),
              })
              .strict(),
          )
          .min(1),
      })
      .strict()
      .optional(),
    /** Exactly-once pipelines: a group's offset commit applied in the same transaction. */
    groupCommit: z
      .object({
        groupId: z.string().min(1),
        memberId: z.string().min(1),
        memberEpoch: z.number().int(),
        offsets: z
          .array(
            z
              .object({
                topic: z.string(),
                partition: z.number().int().min(0),
                offset: z.union([z.string(), z.number()]),
                metadata: z.string().optional(),
              })
              .strict(),
          )
          .min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export const initProducerBody = z.object({ transactionalId: z.string().optional() }).strict().optional();

export type ProduceBody = z.infer<typeof produceBody>;

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
