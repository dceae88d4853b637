import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteGroup } from '../../lib/contract/routes.js';
import { type HttpEvent, type HttpHandler, json, MAX_REQUEST_BYTES } from '../../lib/engine/http/api.js';
import { type RunningHttpServer, startHttpServer } from '../../local/server.js';
import { api } from '../support/stack.js';

/** Handlers that record the events they receive and answer with what a test asks for. */
function recordingHandlers(
  answer: (event: HttpEvent) => Promise<ReturnType<typeof json>> = async () => json(200, {}),
) {
  const events: HttpEvent[] = [];
  const handler: HttpHandler = async (event) => {
    events.push(event);
    return answer(event);
  };
  const groups: RouteGroup[] = ['health', 'topics', 'produce', 'fetch', 'groups'];
  const handlers = Object.fromEntries(groups.map((g) => [g, handler])) as Record<RouteGroup, HttpHandler>;
  return { events, handlers };
}

describe('local HTTP server (API Gateway HTTP API v2 stand-in)', () => {
  const servers: RunningHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async (handlers: Record<RouteGroup, HttpHandler>) => {
    const server = await startHttpServer({ handlers, port: 0 });
    servers.push(server);
    return server;
  };

  it('hands the handler a v2 event with route key, raw path parameters, query and lower-case headers', async () => {
    const { events, handlers } = recordingHandlers();
    const server = await start(handlers);
    const res = await fetch(`${server.url}/v1/topics/a%2Fb/partitions/3/records?offset=5&x=1&x=2&e=a%20b`, {
      headers: { 'X-Custom': 'Yes', 'User-Agent': 'tester' },
    });
    expect(res.status).toBe(200);
    const event = events[0] as HttpEvent;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/topics/{topic}/partitions/{partition}/records',
      rawPath: '/v1/topics/a%2Fb/partitions/3/records',
      rawQueryString: 'offset=5&x=1&x=2&e=a%20b',
      queryStringParameters: { offset: '5', x: '1,2', e: 'a b' },
      pathParameters: { topic: 'a%2Fb', partition: '3' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /v1/topics/{topic}/partitions/{partition}/records',
        stage: '$default',
        http: { method: 'GET', path: '/v1/topics/a%2Fb/partitions/3/records', userAgent: 'tester' },
      },
    });
    expect(event.headers['x-custom']).toBe('Yes');
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof event.requestContext.timeEpoch).toBe('number');
    expect(event.requestContext.http.sourceIp).toMatch(/127\.0\.0\.1/);
  });

  it('passes the body as a UTF-8 string and no query parameters as undefined', async () => {
    const { events, handlers } = recordingHandlers();
    const server = await start(handlers);
    await api(server.url).post('/v1/topics', { name: 'é✓', partitions: 1 });
    expect(events[0]?.queryStringParameters).toBeUndefined();
    expect(events[0]?.pathParameters).toBeUndefined();
    expect(JSON.parse(events[0]?.body ?? '')).toEqual({ name: 'é✓', partitions: 1 });
  });

  it('answers 404 for an unknown path and 405 for a known path with another method', async () => {
    const { events, handlers } = recordingHandlers();
    const server = await start(handlers);
    const notFound = await api(server.url).get('/v2/nothing');
    expect(notFound.status).toBe(404);
    expect(notFound.body.error.code).toBe('NOT_FOUND');
    const wrongMethod = await api(server.url).request('PUT', '/v1/topics', { name: 'x' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(events).toHaveLength(0);
  });

  it('answers 413 to a body over the request limit without calling the handler', async () => {
    const { events, handlers } = recordingHandlers();
    const server = await start(handlers);
    const big = 'x'.repeat(MAX_REQUEST_BYTES + 1);
    const res = await api(server.url).post('/v1/topics/t/records', big);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('RECORD_LIST_TOO_LARGE');

    // Without a content-length (chunked), the limit is enforced while reading.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/v1/topics/t/records`, { method: 'POST' }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => {
          body += c.toString();
        });
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 'y');
      for (let i = 0; i < 7; i++) req.write(chunk);
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.code).toBe('RECORD_LIST_TOO_LARGE');
    expect(events).toHaveLength(0);

    // A body of exactly the limit goes through.
    const atLimit = await api(server.url).post('/v1/topics/t/records', 'z'.repeat(MAX_REQUEST_BYTES));
    expect(atLimit.status).toBe(200);
    expect(events[0]?.body).toHaveLength(MAX_REQUEST_BYTES);
  });

  it('turns a throwing handler into a typed 500', async () => {
    const { handlers } = recordingHandlers(async () => {
      throw new Error('handler bug');
    });
    const server = await start(handlers);
    const res = await api(server.url).get('/healthz');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('UNKNOWN_SERVER_ERROR');
  });

  it('writes status, headers and a base64-encoded body as Lambda would', async () => {
    const { handlers } = recordingHandlers(async () => ({
      statusCode: 202,
      headers: { 'content-type': 'application/octet-stream', 'x-strata': 'yes' },
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    }));
    const server = await start(handlers);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(202);
    expect(res.headers.get('x-strata')).toBe('yes');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  it('close() lets an in-flight request finish, then stops accepting', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((r) => {
      entered = r;
    });
    const { handlers } = recordingHandlers(async () => {
      entered();
      await gate;
      return json(200, { done: true });
    });
    const server = await startHttpServer({ handlers, port: 0 });
    const pending = api(server.url).get('/healthz');
    await inHandler;

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false); // still waiting for the in-flight request
    release();
    const res = await pending;
    expect(res).toMatchObject({ status: 200, body: { done: true } });
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('close() does not wait for idle keep-alive connections', async () => {
    const { handlers } = recordingHandlers();
    const server = await startHttpServer({ handlers, port: 0 });
    // fetch keeps the connection alive after this request.
    expect((await api(server.url).get('/healthz')).status).toBe(200);
    // Kept idle sockets would hold close() until Node's 5 s keep-alive timeout.
    const outcome = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still open'), 2500)),
    ]);
    expect(outcome).toBe('closed');
  });
});
