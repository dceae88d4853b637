/**
 * The streamed tail, both transports of functions/tail.ts `serveTail`: the Lambda streaming
 * handler (with a stand-in for the runtime's `awslambda` helpers) and the local server's
 * `GET /v1/tail` (local/handlers.ts createStreams). Same events, same refusals.
 */
import { PassThrough, type Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsLambdaStreaming, createStreamingTailHandler } from '../../functions/tail.js';
import type { Engine } from '../../lib/engine/engine.js';
import type { HttpEvent } from '../../lib/engine/http/api.js';
import { createHandlers, createStreams, LOCAL_TAIL_PATH } from '../../local/handlers.js';
import { type RunningHttpServer, startHttpServer } from '../../local/server.js';
import { api, createTestEngine } from '../support/stack.js';

let engine: Engine;
let server: RunningHttpServer;

beforeAll(async () => {
  engine = await createTestEngine();
  server = await startHttpServer({
    handlers: createHandlers(engine),
    streams: createStreams(engine),
    port: 0,
  });
  const http = api(server.url);
  expect((await http.post('/v1/topics', { name: 'tail', partitions: 1 })).status).toBe(201);
  const produced = await http.post('/v1/topics/tail/records', {
    records: [{ key: 'a', value: 'one' }, { value: 'two' }],
  });
  expect(produced.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
});

/** The parts of the runtime the handler uses, writing into one buffer. */
function fakeRuntime() {
  const out = { status: 0, headers: {} as Record<string, string>, body: '' };
  const runtime: AwsLambdaStreaming = {
    streamifyResponse: (handler) => (event, context) => {
      const sink = new PassThrough();
      sink.on('data', (chunk: Buffer) => {
        out.body += chunk.toString('utf8');
      });
      return handler(event, sink, context);
    },
    HttpResponseStream: {
      from(stream: Writable, metadata) {
        out.status = metadata.statusCode;
        out.headers = metadata.headers ?? {};
        return stream;
      },
    },
  };
  return { runtime, out };
}

function tailEvent(query: Record<string, string>): HttpEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    queryStringParameters: query,
    requestContext: {
      accountId: 'local',
      apiId: 'tail',
      domainName: 'tail.local',
      domainPrefix: 'tail',
      http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r-1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

/** A Lambda context with `remainingMs` left from now. */
function context(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return { awsRequestId: 'a-1', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
}

/** One handler for the file: each instruments the engine's clients once (observe). */
const streaming = fakeRuntime();
let handler: ReturnType<typeof createStreamingTailHandler> | undefined;
function lambdaTail() {
  handler ??= createStreamingTailHandler(streaming.runtime, () => engine);
  Object.assign(streaming.out, { status: 0, headers: {}, body: '' });
  return { handler, out: streaming.out };
}

describe('the streamed tail', () => {
  it('Lambda: streams the records as SSE, then `end` with the next offset before the timeout', async () => {
    const { handler, out } = lambdaTail();
    // 3.3 s left: the tail keeps a 3 s margin, so it polls for 0.3 s and ends.
    await handler(tailEvent({ topic: 'tail', partition: '0', offset: 'earliest' }), context(3300));
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toContain('text/event-stream');
    expect(out.body).toContain('id: 0\nevent: record\n');
    expect(out.body).toContain('"value":"two"');
    expect(out.body).toContain('event: end\ndata: {"nextOffset":"2"}');
  });

  it('Lambda: an unknown topic is a typed 404 before any event', async () => {
    const { handler, out } = lambdaTail();
    await handler(tailEvent({ topic: 'nope' }), context(60_000));
    expect(out.status).toBe(404);
    expect(JSON.parse(out.body).error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it(`locally: ${LOCAL_TAIL_PATH} streams records as they are produced`, async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}${LOCAL_TAIL_PATH}?topic=tail&partition=0&offset=latest`, {
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const utf8 = new TextDecoder();
    let seen = '';
    const first = await reader.read();
    seen += utf8.decode(first.value, { stream: true });
    expect(seen).toContain(': tail tail/0 from offset 2');
    expect(
      (await api(server.url).post('/v1/topics/tail/records', { records: [{ value: 'three' }] })).status,
    ).toBe(200);
    while (!seen.includes('"value":"three"')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += utf8.decode(value, { stream: true });
    }
    expect(seen).toContain('id: 2\nevent: record\n');
    abort.abort();
  });

  it('locally: stopping the server ends open tails instead of waiting for them', async () => {
    const own = await startHttpServer({
      handlers: createHandlers(engine),
      streams: createStreams(engine),
      port: 0,
    });
    const res = await fetch(`${own.url}${LOCAL_TAIL_PATH}?topic=tail&partition=0&offset=latest`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const started = Date.now();
    await own.close();
    // Well under the tail's 20 s long poll.
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow();
  });
});
