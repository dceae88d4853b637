/**
 * A live tail of one partition as Server-Sent Events, behind a Lambda Function URL with response
 * streaming (the HTTP API cannot stream). It long-polls the engine's fetch and writes each record as
 * an SSE `record` event whose id is its offset, so a reconnecting EventSource resumes after the last
 * record it saw (Last-Event-ID). Before the function's timeout it sends `end` with the next offset.
 *
 *   GET <tail url>?topic=orders&partition=0&offset=earliest|latest|<n>[&encoding=base64]
 *
 * Without Lambda's streaming runtime (the `awslambda` global: local runs, tests) the same handler
 * answers buffered: it reads until caught up (after waiting up to `waitMs` for the first records)
 * and returns the events as one body.
 */
import type { Writable } from 'node:stream';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { LIMITS } from '../lib/contract/limits.js';
import { tailQuery } from '../lib/contract/schemas.js';
import type { Engine } from '../lib/engine/engine.js';
import { StrataError } from '../lib/engine/errors.js';
import { errorResult, type HttpEvent, type HttpResult, parseQuery } from '../lib/engine/http/api.js';
import { requestAuthorizer } from '../lib/engine/http/authorization.js';
import { wireRecord } from '../lib/engine/http/wire.js';
import { fetchRecords } from '../lib/engine/ops/fetch.js';
import { listOffsets } from '../lib/engine/ops/list-offsets.js';
import type { LogRecord } from '../lib/engine/types.js';
import { parseOffset } from '../lib/engine/validation.js';
import { METRIC, observe, type Telemetry } from './observability.js';
import { lambdaEngine } from './runtime.js';

export interface TailRequest {
  topic: string;
  partition: number;
  /** Where to start: a named end, or an offset. */
  from: 'earliest' | 'latest' | number;
  encoding: 'utf8' | 'base64';
  /** Buffered mode only: how long to wait for the first records. */
  waitMs: number;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/** Stop this long before the function's timeout: time to write `end` and close cleanly. */
const END_MARGIN_MS = 3000;
const POLL_RECORDS = 500;
const POLL_BYTES = 1024 * 1024;
/** Buffered answers must fit Lambda's 6 MB response with room for SSE framing. */
const BUFFERED_MAX_BYTES = 4 * 1024 * 1024;
/** A long stream publishes its metrics at most this often (each flush is one log line). */
const METRICS_FLUSH_MS = 60_000;

export function parseTailRequest(event: HttpEvent): TailRequest {
  const q = parseQuery(event, tailQuery);
  // An EventSource reconnecting sends the id of the last event it received: resume after it.
  const lastEventId = event.headers?.['last-event-id'];
  let from: TailRequest['from'];
  if (lastEventId !== undefined && lastEventId !== '') from = parseOffset(lastEventId, 'Last-Event-ID') + 1;
  else if (q.offset === undefined || q.offset === 'latest') from = 'latest';
  else if (q.offset === 'earliest') from = 'earliest';
  else from = Number(q.offset);
  return {
    topic: q.topic,
    partition: Number(q.partition ?? 0),
    from,
    encoding: q.encoding ?? 'utf8',
    waitMs: Number(q.waitMs ?? 0),
  };
}

export function sseRecord(
  topic: string,
  partition: number,
  r: LogRecord,
  encoding: 'utf8' | 'base64',
): string {
  const data = JSON.stringify({ topic, partition, ...wireRecord(r, encoding) });
  return `id: ${r.offset}\nevent: record\ndata: ${data}\n\n`;
}

function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface TailSink {
  /** Resolves when the chunk may be followed by more (backpressure). */
  write(chunk: string): Promise<void>;
  /** True once the reader went away. */
  readonly closed: boolean;
}

export interface TailOptions {
  /** Time left for this tail, ms (the Lambda context's remaining time). */
  remainingMs: () => number;
  /** Buffered mode: stop once caught up with the high watermark, or past this many bytes. */
  untilCaughtUp?: { maxBytes: number; firstWaitMs: number };
  telemetry?: Telemetry;
}

/**
 * Streams records from the start offset until time runs out, the reader leaves, or (buffered) the
 * tail caught up. Resolves the start offset first (so an unknown topic fails before any byte is
 * sent) and returns the next offset to read.
 */
export async function runTail(
  engine: Engine,
  req: TailRequest,
  sink: TailSink,
  options: TailOptions,
): Promise<number> {
  let offset =
    typeof req.from === 'number' ? req.from : await listOffsets(engine, req.topic, req.partition, req.from);
  await sink.write(`retry: 1000\n: tail ${req.topic}/${req.partition} from offset ${offset}\n\n`);
  let bytes = 0;
  let lastFlush = Date.now();
  let first = true;
  const metrics = options.telemetry?.metrics;
  for (;;) {
    if (sink.closed) return offset;
    const budget = options.remainingMs() - END_MARGIN_MS;
    if (budget <= 0) break;
    const waitMs = options.untilCaughtUp
      ? first
        ? Math.min(options.untilCaughtUp.firstWaitMs, budget)
        : 0
      : Math.min(LIMITS.maxWaitMs, budget);
    first = false;
    let result: Awaited<ReturnType<typeof fetchRecords>>;
    try {
      result = await fetchRecords(engine, req.topic, req.partition, {
        offset,
        maxRecords: POLL_RECORDS,
        maxBytes: POLL_BYTES,
        waitMs,
      });
    } catch (err) {
      // Mid-stream the status line is gone: report the error as an event and stop.
      const known = err instanceof StrataError ? err : undefined;
      await sink.write(
        sseEvent('error', {
          error: { code: known?.code ?? 'UNKNOWN_SERVER_ERROR', message: known?.message ?? 'internal error' },
        }),
      );
      if (!known) throw err;
      return offset;
    }
    let chunk = '';
    for (const r of result.records) chunk += sseRecord(req.topic, req.partition, r, req.encoding);
    if (chunk === '') chunk = ': keepalive\n\n';
    await sink.write(chunk);
    bytes += chunk.length;
    offset = result.nextOffset;
    if (metrics && result.records.length > 0) {
      metrics.addMetric(METRIC.recordsFetched, MetricUnit.Count, result.records.length);
      metrics.addMetric(METRIC.bytesFetched, MetricUnit.Bytes, Buffer.byteLength(chunk));
      if (Date.now() - lastFlush > METRICS_FLUSH_MS) {
        metrics.publishStoredMetrics();
        lastFlush = Date.now();
      }
    }
    if (options.untilCaughtUp && (offset >= result.highWatermark || bytes >= options.untilCaughtUp.maxBytes))
      break;
  }
  await sink.write(sseEvent('end', { nextOffset: String(offset) }));
  return offset;
}

/** Buffered tail: the whole answer in one response body (no streaming runtime). */
export function createBufferedTailHandler(engine: Engine) {
  return async (event: HttpEvent, telemetry?: Telemetry): Promise<HttpResult> => {
    try {
      const req = parseTailRequest(event);
      // The tail reads records, as a fetch does: READ on the topic.
      await requestAuthorizer(engine, event).require('READ', 'TOPIC', req.topic);
      let body = '';
      const sink: TailSink = {
        closed: false,
        write: async (chunk) => {
          body += chunk;
        },
      };
      const deadline = Date.now() + req.waitMs + 10_000;
      await runTail(engine, req, sink, {
        remainingMs: () => deadline - Date.now(),
        untilCaughtUp: { maxBytes: BUFFERED_MAX_BYTES, firstWaitMs: req.waitMs },
        ...(telemetry ? { telemetry } : {}),
      });
      return { statusCode: 200, headers: { ...SSE_HEADERS }, body };
    } catch (err) {
      return errorResult(err);
    }
  };
}

/** A writable stream as a tail sink: waits for 'drain', notices the reader leaving. */
export function streamSink(stream: Writable): TailSink {
  let closed = false;
  const onClose = () => {
    closed = true;
  };
  stream.once('close', onClose);
  stream.once('error', onClose);
  return {
    get closed() {
      return closed || stream.destroyed || stream.writableEnded;
    },
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (closed || stream.destroyed) return resolve();
        if (stream.write(chunk)) resolve();
        else {
          const done = () => {
            stream.off('drain', done);
            stream.off('close', done);
            resolve();
          };
          stream.once('drain', done);
          stream.once('close', done);
        }
      }),
  };
}

/** The parts of Lambda's Node.js streaming runtime this handler uses (a global there, absent elsewhere). */
export interface AwsLambdaStreaming {
  streamifyResponse<E>(
    handler: (event: E, responseStream: Writable, context: Context) => Promise<void>,
  ): (event: E, context: Context) => Promise<void>;
  HttpResponseStream: {
    from(stream: Writable, metadata: { statusCode: number; headers?: Record<string, string> }): Writable;
  };
}

/**
 * How a streaming transport answers: with an error result before any byte went out, or by opening
 * a 200 SSE stream. Lambda's response stream and the local server's response both fit.
 */
export interface TailResponder {
  error(result: HttpResult): void;
  open(headers: Record<string, string>): Writable;
}

/**
 * One streamed tail, whatever carries it (the Lambda Function URL; `npm start`'s `GET /v1/tail`):
 * parses the request, checks READ on the topic and resolves the start offset before the status
 * line goes out (so a refusal or an unknown topic is a typed 4xx, not an event), then streams
 * until time runs out or the reader leaves. Returns what was read, or undefined when refused.
 */
export async function serveTail(
  engine: Engine,
  event: HttpEvent,
  responder: TailResponder,
  options: Pick<TailOptions, 'remainingMs' | 'telemetry'>,
): Promise<{ req: TailRequest; start: number; next: number } | undefined> {
  let req: TailRequest;
  let start: number;
  try {
    req = parseTailRequest(event);
    // READ on the topic, as a fetch.
    await requestAuthorizer(engine, event).require('READ', 'TOPIC', req.topic);
    start =
      typeof req.from === 'number' ? req.from : await listOffsets(engine, req.topic, req.partition, req.from);
  } catch (err) {
    responder.error(errorResult(err));
    return undefined;
  }
  const stream = responder.open({ ...SSE_HEADERS });
  try {
    const next = await runTail(engine, { ...req, from: start }, streamSink(stream), options);
    return { req, start, next };
  } finally {
    stream.end();
  }
}

/** The streaming handler, given the runtime's `awslambda` helpers. */
export function createStreamingTailHandler(runtime: AwsLambdaStreaming, engine: () => Engine) {
  const observed = observe(
    'tail',
    async (
      { event, responseStream, context }: { event: HttpEvent; responseStream: Writable; context: Context },
      telemetry,
    ) => {
      telemetry.logger.appendKeys({ requestId: event.requestContext?.requestId ?? context.awsRequestId });
      const served = await serveTail(
        engine(),
        event,
        {
          error: (result) => respondError(runtime, responseStream, result),
          open: (headers) => runtime.HttpResponseStream.from(responseStream, { statusCode: 200, headers }),
        },
        { remainingMs: () => context.getRemainingTimeInMillis(), telemetry },
      );
      if (served) {
        telemetry.logger.info('tail ended', {
          topic: served.req.topic,
          partition: served.req.partition,
          from: served.start,
          next: served.next,
        });
      }
    },
    { engine },
  );
  return runtime.streamifyResponse<HttpEvent>((event, responseStream, context) =>
    observed({ event, responseStream, context }, context),
  );
}

function respondError(runtime: AwsLambdaStreaming, responseStream: Writable, result: HttpResult): void {
  const stream = runtime.HttpResponseStream.from(responseStream, {
    statusCode: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string>,
  });
  stream.end(result.body ?? '');
}

const streaming = (globalThis as unknown as { awslambda?: AwsLambdaStreaming }).awslambda;

let buffered: ReturnType<typeof createBufferedTailHandler> | undefined;

export const handler =
  typeof streaming?.streamifyResponse === 'function'
    ? createStreamingTailHandler(streaming, lambdaEngine)
    : observe(
        'tail',
        (event: HttpEvent, telemetry) => {
          buffered ??= createBufferedTailHandler(lambdaEngine());
          return buffered(event, telemetry);
        },
        { engine: lambdaEngine },
      );
