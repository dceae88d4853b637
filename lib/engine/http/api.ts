import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { LIMITS } from '../../contract/limits.js';
import type { errorResponse } from '../../contract/schemas.js';
import {
  InvalidRequestError,
  KafkaStorageError,
  RecordListTooLargeError,
  StrataError,
  UnknownServerError,
} from '../errors.js';
import { isRetriableAwsError } from '../storage/aws-errors.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };
export type HttpHandler = (event: HttpEvent) => Promise<HttpResult>;

/** Lambda's buffered request limit (lib/contract/limits.ts); the local server enforces the same. */
export const MAX_REQUEST_BYTES = LIMITS.maxRequestBytes;

export function json(statusCode: number, body?: unknown): HttpResult {
  if (body === undefined) return { statusCode, headers: {}, body: '' };
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Maps any thrown value to `{"error":{"code","message"}}`. Only non-StrataErrors become a 500. */
export function errorResult(err: unknown, log: (msg: string, err: unknown) => void = defaultLog): HttpResult {
  const known = err instanceof StrataError ? err : undefined;
  // Throttling, timeouts and 5xx from AWS: the client may retry (the operation may or may not have happened).
  const error =
    known ??
    (isRetriableAwsError(err)
      ? new KafkaStorageError(`storage temporarily unavailable: ${(err as Error).name}`, { cause: err })
      : new UnknownServerError('internal error', { cause: err }));
  if (!known || error.httpStatus >= 500) log(`request failed: ${error.code}`, err);
  const body: z.infer<typeof errorResponse> = {
    error: {
      code: error.code,
      message: error.message,
      retriable: error.retriable,
      ...(error.details() ?? {}),
    },
  };
  return json(error.httpStatus, body);
}

function defaultLog(msg: string, err: unknown) {
  console.error(
    JSON.stringify({ level: 'ERROR', message: msg, error: String((err as Error)?.stack ?? err) }),
  );
}

/**
 * Bodies already parsed, per event: authorization (lib/engine/http/authorization.ts) reads the
 * body before the handler does, and a 6 MB produce body should be parsed once.
 */
const parsedBodies = new WeakMap<HttpEvent, unknown>();

/** Decodes and size-checks the body, then parses it as JSON (once per event). */
export function readJson(event: HttpEvent): unknown {
  if (parsedBodies.has(event)) return parsedBodies.get(event);
  const value = parseJsonBody(event);
  parsedBodies.set(event, value);
  return value;
}

function parseJsonBody(event: HttpEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) {
    throw new RecordListTooLargeError(`request body exceeds ${MAX_REQUEST_BYTES} bytes`);
  }
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError('request body is not valid JSON', { cause: err });
  }
}

/** Reads the JSON body and validates it against a zod schema. */
export function parseBody<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, readJson(event), 'request body');
}

export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) {
    const issue = res.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : what;
    throw new InvalidRequestError(`invalid ${where}: ${issue?.message ?? 'malformed'}`);
  }
  return res.data;
}

/**
 * Validates the query string against a schema. An empty parameter (`?maxRecords=`) counts as
 * absent, as it always has; unknown parameters are left to the schema (the contract's ignore them).
 */
export function parseQuery<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  const present = Object.entries(event.queryStringParameters ?? {}).filter(
    ([, v]) => v !== undefined && v !== '',
  );
  return parseWith(schema, Object.fromEntries(present), 'query string');
}

export function pathParam(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new InvalidRequestError(`missing path parameter ${name}`);
  return decodeURIComponent(value);
}

/** Wraps a route group's dispatcher so that every failure becomes a typed JSON error. */
export function withErrors(handler: HttpHandler): HttpHandler {
  return async (event) => {
    try {
      return await handler(event);
    } catch (err) {
      return errorResult(err);
    }
  };
}
