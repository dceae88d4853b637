import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  StrataClientError,
  StrataConnectionError,
  StrataMemberError,
  StrataOffsetOutOfRangeError,
  StrataRequestTimeoutError,
  StrataTopicAlreadyExistsError,
} from '../../../lib/client/errors.js';
import { Transport } from '../../../lib/client/http.js';
import { createLogger, logLevel } from '../../../lib/client/logger.js';
import { backoffDelay, DEFAULT_RETRY, resolveRetry, withRetry } from '../../../lib/client/retry.js';

describe('backoff', () => {
  const retry = resolveRetry({ initialRetryTime: 100, maxRetryTime: 3000, factor: 0.2, multiplier: 2 });

  it('grows by the multiplier from initialRetryTime, within ±factor', () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const base = 100 * 2 ** attempt;
      expect(backoffDelay(attempt, retry, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffDelay(attempt, retry, () => 0.5)).toBe(base);
      expect(backoffDelay(attempt, retry, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.2));
    }
  });

  it('never exceeds maxRetryTime', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      expect(backoffDelay(attempt, retry, () => 0.999)).toBeLessThanOrEqual(3000);
    }
    expect(backoffDelay(30, retry, () => 0.5)).toBe(3000);
  });

  it('has KafkaJS-shaped defaults', () => {
    expect(DEFAULT_RETRY).toMatchObject({ retries: 5, initialRetryTime: 100, factor: 0.2, multiplier: 2 });
    expect(resolveRetry({ retries: 2 }, undefined, { maxRetryTime: 7 })).toMatchObject({
      retries: 2,
      maxRetryTime: 7,
    });
  });
});

describe('withRetry', () => {
  const noSleep = { sleep: async () => {} };
  const retriable = () =>
    new StrataClientError('busy', { code: 'KAFKA_STORAGE_ERROR', retriable: true, status: 503 });
  const fatal = () =>
    new StrataClientError('bad', { code: 'INVALID_REQUEST', retriable: false, status: 400 });

  it('retries retriable errors up to `retries` times, then throws the last with its retry count', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw retriable();
      },
      resolveRetry({ retries: 3 }),
      noSleep,
    ).catch((e) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(StrataClientError);
    expect(err.retryCount).toBe(3);
  });

  it('does not retry a non-retriable error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw fatal();
        },
        resolveRetry({ retries: 3 }),
        noSleep,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(calls).toBe(1);
  });

  it('returns once an attempt succeeds, sleeping the backoff between attempts', async () => {
    const slept: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw retriable();
        return 'ok';
      },
      resolveRetry({ retries: 5, initialRetryTime: 10, factor: 0 }),
      { sleep: async (ms) => void slept.push(ms) },
    );
    expect(value).toBe('ok');
    expect(slept).toEqual([10, 20]);
  });

  it("does not retry errors that are not the client's (a bug in a callback, say)", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new TypeError('boom');
        },
        DEFAULT_RETRY,
        noSleep,
      ),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });
});

describe('errorFromResponse', () => {
  it('maps the error body to a typed error with code, retriable, status and details', () => {
    const err = errorFromResponse(416, {
      error: {
        code: 'OFFSET_OUT_OF_RANGE',
        message: 'out',
        retriable: false,
        offset: '9',
        logStartOffset: '2',
        highWatermark: '5',
      },
    });
    expect(err).toBeInstanceOf(StrataOffsetOutOfRangeError);
    expect(err).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      type: 'OFFSET_OUT_OF_RANGE',
      status: 416,
      retriable: false,
      kafkaCode: 1,
    });
    expect((err as StrataOffsetOutOfRangeError).logStartOffset).toBe('2');
    expect((err as StrataOffsetOutOfRangeError).highWatermark).toBe('5');
    expect((err as StrataOffsetOutOfRangeError).offset).toBe('9');
  });

  it("takes the server's retriable flag over the defaults", () => {
    expect(errorFromResponse(503, { error: { code: 'X', message: 'm', retriable: false } }).retriable).toBe(
      false,
    );
    expect(errorFromResponse(409, { error: { code: 'Y', message: 'm', retriable: true } }).retriable).toBe(
      true,
    );
  });

  it('without a flag: 5xx and 429 are retriable, other 4xx are not, unless Kafka marks the code retriable', () => {
    expect(errorFromResponse(503, { error: { code: 'KAFKA_STORAGE_ERROR', message: 'm' } }).retriable).toBe(
      true,
    );
    expect(errorFromResponse(500, undefined).retriable).toBe(true);
    expect(errorFromResponse(429, { message: 'Too Many Requests' }).retriable).toBe(true);
    expect(errorFromResponse(400, { error: { code: 'INVALID_REQUEST', message: 'm' } }).retriable).toBe(
      false,
    );
    expect(
      errorFromResponse(400, { error: { code: 'COORDINATOR_NOT_AVAILABLE', message: 'm' } }).retriable,
    ).toBe(true);
  });

  it('without a flag, a code the error table knows takes its retriability from the table, whatever the status', () => {
    expect(errorFromResponse(500, { error: { code: 'UNKNOWN_SERVER_ERROR', message: 'm' } }).retriable).toBe(
      false,
    );
    expect(errorFromResponse(500, { error: { code: 'CORRUPT_MESSAGE', message: 'm' } }).retriable).toBe(true);
    expect(
      errorFromResponse(409, { error: { code: 'CONCURRENT_TRANSACTIONS', message: 'm' } }).retriable,
    ).toBe(true);
    // A code it does not know falls back on the status.
    expect(errorFromResponse(503, { error: { code: 'SOMETHING_NEW', message: 'm' } }).retriable).toBe(true);
    expect(errorFromResponse(409, { error: { code: 'SOMETHING_NEW', message: 'm' } }).retriable).toBe(false);
  });

  it('says whether a retry may apply the request twice', () => {
    const storage = errorFromResponse(503, {
      error: { code: 'KAFKA_STORAGE_ERROR', message: 'm', retriable: true },
    });
    expect(storage.retrySideEffects).toBe(true);
    const conflict = errorFromResponse(503, {
      error: { code: 'CONCURRENT_TRANSACTIONS', message: 'm', retriable: true },
    });
    expect(conflict.retrySideEffects).toBe(false);
    expect(
      errorFromResponse(400, { error: { code: 'INVALID_REQUEST', message: 'm' } }).retrySideEffects,
    ).toBe(false);
    expect(errorFromResponse(502, { message: 'Bad Gateway' }).retrySideEffects).toBe(true);
  });

  it('names a response without an error body by its status (API Gateway, proxies)', () => {
    const gw = errorFromResponse(502, { message: 'Internal Server Error' }, 'Bad Gateway');
    expect(gw).toMatchObject({
      code: 'UNKNOWN_SERVER_ERROR',
      status: 502,
      retriable: true,
      message: 'Internal Server Error',
    });
    expect(errorFromResponse(403, undefined, 'Forbidden')).toMatchObject({
      code: 'HTTP_403',
      retriable: false,
      message: 'HTTP 403 Forbidden',
    });
  });

  it('gives the common codes their own classes', () => {
    expect(errorFromResponse(409, { error: { code: 'TOPIC_ALREADY_EXISTS', message: 'm' } })).toBeInstanceOf(
      StrataTopicAlreadyExistsError,
    );
    for (const code of ['STALE_MEMBER_EPOCH', 'FENCED_MEMBER_EPOCH', 'UNKNOWN_MEMBER_ID']) {
      expect(errorFromResponse(409, { error: { code, message: 'm' } })).toBeInstanceOf(StrataMemberError);
    }
  });
});

describe('Transport over a real socket', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; url?: string; headers: Record<string, unknown>; body: string }[] = [];
  let script: ((res: import('node:http').ServerResponse) => void)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const step = script.shift();
        if (step) step(res);
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const transport = (opts: Partial<ConstructorParameters<typeof Transport>[0]> = {}) =>
    new Transport({
      endpoint: url,
      retry: resolveRetry({ retries: 2, initialRetryTime: 1 }),
      logger: createLogger(logLevel.NOTHING),
      ...opts,
    });

  it('joins the endpoint path, sends JSON, signs each attempt, and retries a 503 until it succeeds', async () => {
    seen.length = 0;
    script = [
      (res) =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"code":"KAFKA_STORAGE_ERROR","message":"slow down","retriable":true}}'),
    ];
    let signed = 0;
    const t = transport({
      clientId: 'c1',
      requestSigner: (req) => ({ ...req, headers: { ...req.headers, authorization: `sig-${++signed}` } }),
    });
    const res = await t.request<{ ok: boolean }>('POST', '/v1/x', {
      body: { a: 1 },
      query: { q: 'r s', none: undefined },
    });
    expect(res).toEqual({ ok: true });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ method: 'POST', url: '/base/v1/x?q=r+s', body: '{"a":1}' });
    expect(seen[1]?.headers).toMatchObject({
      authorization: 'sig-2',
      'content-type': 'application/json',
      'x-strata-client-id': 'c1',
    });
  });

  it('does not retry a 4xx, and reports its code', async () => {
    seen.length = 0;
    script = [
      (res) =>
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"code":"UNKNOWN_TOPIC_OR_PARTITION","message":"no topic x","retriable":false}}'),
    ];
    await expect(transport().request('GET', '/v1/topics/x')).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      status: 404,
      retriable: false,
      message: 'no topic x',
    });
    expect(seen).toHaveLength(1);
  });

  it('times out a silent server with a retriable REQUEST_TIMED_OUT', async () => {
    script = [() => {}, () => {}, () => {}];
    const err = await transport({ requestTimeout: 50 })
      .request('GET', '/slow', { retry: false })
      .catch((e) => e);
    expect(err).toBeInstanceOf(StrataRequestTimeoutError);
    expect((err as StrataRequestTimeoutError).retriable).toBe(true);
    script = [];
  });

  it('reports a refused connection as a retriable network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = new Transport({
      endpoint: `http://127.0.0.1:${port}`,
      retry: resolveRetry({ retries: 1, initialRetryTime: 1 }),
      logger: createLogger(logLevel.NOTHING),
    });
    const err = await t.request('GET', '/healthz').catch((e) => e);
    expect(err).toBeInstanceOf(StrataConnectionError);
    expect(err).toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true, status: 0, retryCount: 1 });
  });
});
