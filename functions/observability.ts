/**
 * The one place Powertools touches Strata: `observe(fn, handler)` wraps a Lambda entry point with a
 * structured logger (a request id on every line), CloudWatch metrics (EMF) and X-Ray tracing.
 *
 * The engine stays free of Powertools. What the engine does is observed from the outside:
 *  - from the HTTP result (records produced/fetched, bytes fetched, errors by code, fetch wait time);
 *  - from middleware on the engine's AWS SDK clients (segment bytes written and read, commit
 *    conflicts, storage throttling), added once per process by `options.engine`.
 *
 * Only the Lambda `handler` exports use this; the local server and the tests call the
 * `createXHandler(engine)` factories directly and never load it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../lib/contract/metrics.js';
import { BATCH_FETCH_HEADERS } from '../lib/contract/record-batch.js';
import type { RouteGroup } from '../lib/contract/routes.js';
import { DEFAULT_CONFIG } from '../lib/engine/config.js';
import type { Engine } from '../lib/engine/engine.js';
import { errorResult, type HttpEvent, type HttpResult } from '../lib/engine/http/api.js';
import { httpPrincipal } from '../lib/engine/http/principal.js';
import { principalName } from '../lib/engine/principal.js';
import type { AwsClients } from '../lib/engine/storage/aws-clients.js';

export { METRIC } from '../lib/contract/metrics.js';

/** A deployed function: one per route group, plus the scheduled maintenance and the live tail. */
export type ObservedFunction = RouteGroup | 'maintenance' | 'tail';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

export interface ObserveOptions {
  /** The function's engine, for SDK-level metrics and tracing. Omitted by functions without one (health). */
  engine?: () => Engine;
}

type Observed<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * Wraps a handler: per invocation it tags every log line with the request id, publishes the
 * metrics the invocation produced, and traces it. An HTTP handler that throws (they normally map
 * errors themselves) still answers with a typed 500; any other handler's error is rethrown so that
 * Lambda counts it (the maintenance alarm watches that).
 */
export function observe<E, R>(
  fn: ObservedFunction,
  handler: (event: E, telemetry: Telemetry) => Promise<R>,
  options: ObserveOptions = {},
): Observed<E, R> {
  const telemetry = createTelemetry(fn);
  const { logger, metrics } = telemetry;
  let instrumented = false;

  return async (event, context) => {
    const started = performance.now();
    const http = httpInfo(
      event,
      options.engine?.().config.jwtPrincipalClaim ?? DEFAULT_CONFIG.jwtPrincipalClaim,
    );
    if (context) logger.addContext(context);
    logger.appendKeys({
      requestId: http?.requestId ?? context?.awsRequestId,
      // Who asked, as the authorizer saw it: every line of an HTTP request names its principal.
      ...(http ? { routeKey: http.routeKey, principal: http.principal } : {}),
    });
    metrics.captureColdStartMetric();
    const tracer = await loadTracer(fn);
    if (!instrumented && options.engine) {
      instrumentClients(options.engine().clients, metrics, tracer);
      instrumented = true;
    }
    const trace = startTrace(tracer, fn, http?.routeKey);
    try {
      const result = await handler(event, telemetry);
      if (http && isHttpResult(result)) recordHttp(telemetry, http, result, performance.now() - started);
      return result;
    } catch (err) {
      trace?.error(err);
      if (!http) {
        logger.error('invocation failed', err as Error);
        throw err;
      }
      const result = errorResult(err, (message, cause) => logger.error(message, cause as Error));
      recordHttp(telemetry, http, result, performance.now() - started);
      return result as R;
    } finally {
      trace?.end();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

/** Logger and metrics for one function; also used directly by the streaming tail between flushes. */
export function createTelemetry(fn: ObservedFunction): Telemetry {
  const logger = new Logger({ serviceName: fn });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: fn });
  // Several clusters may share an account and region: the construct passes its own name.
  metrics.setDefaultDimensions({ [METRIC_DIMENSIONS.cluster]: process.env.STRATA_CLUSTER_NAME || 'strata' });
  return { logger, metrics };
}

interface HttpInfo {
  requestId: string | undefined;
  /** `User:<name>` (lib/engine/http/principal.ts). */
  principal: string;
  routeKey: string;
  query: Record<string, string | undefined>;
}

function httpInfo(event: unknown, jwtPrincipalClaim: string): HttpInfo | undefined {
  const e = event as {
    routeKey?: string;
    requestContext?: { requestId?: string; http?: unknown };
    queryStringParameters?: Record<string, string | undefined>;
  };
  if (!e?.requestContext?.http) return undefined;
  return {
    requestId: e.requestContext.requestId,
    principal: principalName(httpPrincipal(event as HttpEvent, jwtPrincipalClaim)),
    routeKey: e.routeKey ?? '',
    query: e.queryStringParameters ?? {},
  };
}

function isHttpResult(value: unknown): value is HttpResult {
  return typeof (value as HttpResult)?.statusCode === 'number';
}

const FETCH_ROUTE = 'GET /v1/topics/{topic}/partitions/{partition}/records';
const PRODUCE_ROUTE = 'POST /v1/topics/{topic}/records';
const FETCH_BATCHES_ROUTE = 'GET /v1/topics/{topic}/partitions/{partition}/batches';
const PRODUCE_BATCHES_ROUTE = 'POST /v1/topics/{topic}/partitions/{partition}/batches';

/** Metrics read off an HTTP result. Never parses a large body: produce answers are small, fetch answers are read at the tail. */
function recordHttp(
  { logger, metrics }: Telemetry,
  http: HttpInfo,
  result: HttpResult,
  elapsedMs: number,
): void {
  const body = typeof result.body === 'string' ? result.body : '';
  if (result.statusCode >= 400) {
    const code = errorCode(body) ?? `HTTP_${result.statusCode}`;
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.errorCode, code);
    single.addMetric(METRIC.errors, MetricUnit.Count, 1);
    if (code.endsWith('_AUTHORIZATION_FAILED')) {
      const refused = metrics.singleMetric();
      refused.addDimension(METRIC_DIMENSIONS.principal, http.principal);
      refused.addMetric(METRIC.authorizationFailures, MetricUnit.Count, 1);
    }
    logger.debug('request failed', { statusCode: result.statusCode, code, elapsedMs: Math.round(elapsedMs) });
    return;
  }
  if (http.routeKey === PRODUCE_ROUTE) {
    const offsets = (JSON.parse(body) as { offsets?: unknown[] }).offsets;
    if (Array.isArray(offsets)) metrics.addMetric(METRIC.recordsProduced, MetricUnit.Count, offsets.length);
  } else if (http.routeKey === PRODUCE_BATCHES_ROUTE) {
    const count = (JSON.parse(body) as { recordCount?: unknown }).recordCount;
    if (typeof count === 'number') metrics.addMetric(METRIC.recordsProduced, MetricUnit.Count, count);
  } else if (http.routeKey === FETCH_BATCHES_ROUTE) {
    // The answer is base64 RecordBatch bytes; the offsets are in its headers.
    metrics.addMetric(METRIC.bytesFetched, MetricUnit.Bytes, Buffer.from(body, 'base64').length);
    const header = (name: string) => Number(result.headers?.[name]);
    const next = header(BATCH_FETCH_HEADERS.nextOffset);
    const highWatermark = header(BATCH_FETCH_HEADERS.highWatermark);
    const from = Number(http.query.offset);
    if (Number.isSafeInteger(next) && Number.isSafeInteger(from)) {
      metrics.addMetric(METRIC.recordsFetched, MetricUnit.Count, Math.max(0, next - from));
      if (Number.isSafeInteger(highWatermark))
        metrics.addMetric(METRIC.fetchLag, MetricUnit.Count, Math.max(0, highWatermark - next));
    }
    if (Number(http.query.waitMs ?? 0) > 0) {
      metrics.addMetric(METRIC.fetchWaitTime, MetricUnit.Milliseconds, Math.round(elapsedMs));
    }
  } else if (http.routeKey === FETCH_ROUTE) {
    metrics.addMetric(METRIC.bytesFetched, MetricUnit.Bytes, Buffer.byteLength(body));
    const tail = fetchTail(body);
    const from = Number(http.query.offset);
    if (tail && Number.isSafeInteger(from)) {
      // Offsets are dense, and a fetch returns a contiguous run from the requested offset.
      metrics.addMetric(METRIC.recordsFetched, MetricUnit.Count, Math.max(0, tail.nextOffset - from));
      metrics.addMetric(METRIC.fetchLag, MetricUnit.Count, Math.max(0, tail.highWatermark - tail.nextOffset));
    }
    if (Number(http.query.waitMs ?? 0) > 0) {
      metrics.addMetric(METRIC.fetchWaitTime, MetricUnit.Milliseconds, Math.round(elapsedMs));
    }
  }
  logger.debug('request served', { statusCode: result.statusCode, elapsedMs: Math.round(elapsedMs) });
}

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } })?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The fetch answer ends with `"nextOffset":"N","highWatermark":"H",...}`: read those without parsing megabytes. */
export function fetchTail(body: string): { nextOffset: number; highWatermark: number } | undefined {
  const m = /"nextOffset":"(\d+)","highWatermark":"(\d+)"/.exec(body.slice(-256));
  if (!m) return undefined;
  return { nextOffset: Number(m[1]), highWatermark: Number(m[2]) };
}

const THROTTLING_ERRORS = new Set([
  'SlowDown',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottledException',
]);

interface SdkMiddlewareStack {
  add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
}

/** The SDK's stack overloads add() per step; this is the one shape used here. */
function stackOf(client: { middlewareStack: unknown }): SdkMiddlewareStack {
  return client.middlewareStack as SdkMiddlewareStack;
}

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

/**
 * Middleware on the engine's SDK clients. The document client shares the raw DynamoDB client's
 * stack, so one middleware sees every DynamoDB call.
 */
export function instrumentClients(
  clients: Pick<AwsClients, 's3' | 'dynamodb'>,
  metrics: Metrics,
  tracer?: Tracer,
): void {
  stackOf(clients.s3).add(
    (next: Next, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      const res = await next(args);
      if (context.commandName === 'PutObjectCommand') {
        const bytes = Number(args.input.ContentLength ?? 0);
        if (bytes > 0) metrics.addMetric(METRIC.bytesProduced, MetricUnit.Bytes, bytes);
      } else if (context.commandName === 'GetObjectCommand') {
        const bytes = Number(res.output.ContentLength ?? 0);
        if (bytes > 0) metrics.addMetric(METRIC.segmentBytesRead, MetricUnit.Bytes, bytes);
      }
      return res;
    },
    { step: 'initialize', name: 'strataStorageMetrics' },
  );
  stackOf(clients.dynamodb).add(
    (next: Next) => async (args: { input: Record<string, unknown> }) => {
      try {
        return await next(args);
      } catch (err) {
        const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if (reasons?.some((r) => r.Code === 'ConditionalCheckFailed')) {
          metrics.addMetric(METRIC.commitConflicts, MetricUnit.Count, 1);
        }
        throw err;
      }
    },
    { step: 'initialize', name: 'strataConflictMetrics' },
  );
  // Per attempt, inside the SDK's retry loop: throttling the SDK absorbed is still worth seeing.
  for (const client of [clients.s3, clients.dynamodb]) {
    stackOf(client).add(
      (next: Next) => async (args: { input: Record<string, unknown> }) => {
        try {
          return await next(args);
        } catch (err) {
          const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
          const throttled =
            THROTTLING_ERRORS.has(e.name ?? '') ||
            e.CancellationReasons?.some((r) => r.Code === 'ThrottlingError');
          if (throttled) metrics.addMetric(METRIC.storageThrottles, MetricUnit.Count, 1);
          throw err;
        }
      },
      { step: 'deserialize', name: 'strataThrottleMetrics' },
    );
  }
  if (tracer) {
    tracer.captureAWSv3Client(clients.s3);
    tracer.captureAWSv3Client(clients.dynamodb);
  }
}

let tracerPromise: Promise<Tracer | undefined> | undefined;

/**
 * X-Ray only inside Lambda, and loaded lazily: the X-Ray SDK installs async hooks when it loads,
 * which nothing outside Lambda should pay for (the bundle keeps it, but only evaluates it here).
 */
function loadTracer(fn: ObservedFunction): Promise<Tracer | undefined> {
  tracerPromise ??=
    !process.env.AWS_EXECUTION_ENV || process.env.POWERTOOLS_TRACE_ENABLED === 'false'
      ? Promise.resolve(undefined)
      : import('@aws-lambda-powertools/tracer').then(
          (m) => new m.Tracer({ serviceName: fn, captureHTTPsRequests: false }),
        );
  return tracerPromise;
}

interface Trace {
  error(err: unknown): void;
  end(): void;
}

function startTrace(
  tracer: Tracer | undefined,
  fn: ObservedFunction,
  routeKey: string | undefined,
): Trace | undefined {
  if (!tracer) return undefined;
  const segment = tracer.getSegment();
  if (!segment) return undefined;
  const sub = segment.addNewSubsegment(`## ${fn}`);
  tracer.setSegment(sub);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  if (routeKey) tracer.putAnnotation('routeKey', routeKey);
  return {
    error: (err) => tracer.addErrorAsMetadata(err as Error),
    end: () => {
      sub.close();
      tracer.setSegment(segment);
    },
  };
}
