/**
 * Bug: a client that aborts a request while its handler is still running (a consumer stopping
 * during a long poll) left the local server's close() waiting forever: the response's 'close'
 * event had already fired before the server started waiting for it.
 */
import { describe, expect, it } from 'vitest';
import type { RouteGroup } from '../../lib/contract/routes.js';
import type { HttpHandler } from '../../lib/engine/http/api.js';
import { startHttpServer } from '../../local/server.js';

describe('local server', () => {
  it('closes after a client aborted a request whose handler was still running', async () => {
    let finished = false;
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((r) => {
      started = r;
    });
    const slow: HttpHandler = async () => {
      started();
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"records":[]}' };
    };
    // Every route group gets the slow handler.
    const handlers = new Proxy({}, { get: () => slow }) as Record<RouteGroup, HttpHandler>;
    const server = await startHttpServer({ handlers, port: 0 });
    const abort = new AbortController();
    const request = fetch(`${server.url}/v1/topics/t/partitions/0/records?offset=0&waitMs=300`, {
      signal: abort.signal,
    }).catch((err) => err);
    // Abort only once the handler runs (a fixed sleep raced the request on a loaded machine).
    await handlerStarted;
    abort.abort();
    expect(await request).toBeInstanceOf(Error);
    const closed = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('hung'), 5_000)),
    ]);
    expect(finished).toBe(true);
    expect(closed).toBe('closed');
  });
});
