/**
 * functions/observability.ts names the principal: on every log line of an HTTP request, and as
 * the Principal dimension of AuthorizationFailures when a request is refused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { observe } from '../../functions/observability.js';
import { json } from '../../lib/engine/http/api.js';
import { httpEvent } from '../infra/support.js';

const written: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  written.length = 0;
});

function capture() {
  const grab = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  vi.spyOn(console, 'log').mockImplementation(grab);
  vi.spyOn(console, 'info').mockImplementation(grab);
  vi.spyOn(console, 'debug').mockImplementation(grab);
}

const lines = () =>
  written
    .join('\n')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe('observe, for HTTP requests', () => {
  it('logs the principal and counts a refusal per principal', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const handler = observe('topics', async (_event: unknown, { logger }) => {
      logger.info('working');
      return json(403, { error: { code: 'TOPIC_AUTHORIZATION_FAILED', message: 'no', retriable: false } });
    });
    const event = httpEvent('GET', '/v1/topics/orders');
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
      jwt: { claims: { sub: 'alice' }, scopes: null },
    };
    capture();
    const result = await handler(event);
    vi.restoreAllMocks();
    expect(result.statusCode).toBe(403);
    const out = lines();
    const working = out.find((l) => l.message === 'working');
    expect(working).toMatchObject({ principal: 'User:alice', routeKey: 'GET /v1/topics/{topic}' });
    const refused = out.find((l) => 'AuthorizationFailures' in l);
    expect(refused, JSON.stringify(out)).toMatchObject({ Principal: 'User:alice', AuthorizationFailures: 1 });
  });
});
