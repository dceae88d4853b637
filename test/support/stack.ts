import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { DEFAULT_CONFIG, type EngineConfig } from '../../lib/engine/config.js';
import { createEngine, type Engine } from '../../lib/engine/engine.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { createAwsClients } from '../../lib/engine/storage/aws-clients.js';
import { ensureStorage } from '../../lib/engine/storage/provision.js';
import { createHandlers } from '../../local/handlers.js';
import { startHttpServer } from '../../local/server.js';

/**
 * An engine on the run's shared DynamoDB Local and s3rver (see global-setup.ts), with its own
 * tables and bucket, created here: no two calls, hence no two test files, ever see each other's data.
 */
export async function createTestEngine(overrides: Partial<EngineConfig> = {}): Promise<Engine> {
  const id = `strata-t-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const config: EngineConfig = {
    ...DEFAULT_CONFIG,
    metaTable: `${id}-meta`,
    indexTable: `${id}-index`,
    bucket: id,
    ...overrides,
    s3Endpoint: inject('s3Endpoint'),
    dynamodbEndpoint: inject('dynamodbEndpoint'),
  };
  const clients = createAwsClients(config);
  await ensureStorage(clients, config);
  return createEngine(config, clients);
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The real handlers over HTTP, through the local API Gateway stand-in, on a free port.
 * `localPrincipals`: requests may act as a principal with `x-strata-local-principal` (local/server.ts).
 */
export async function startTestServer(
  engine: Engine,
  options: { localPrincipals?: boolean } = {},
): Promise<TestServer> {
  const server = await startHttpServer({
    handlers: createHandlers(engine),
    port: 0,
    ...(options.localPrincipals ? { localPrincipals: { jwtClaim: engine.config.jwtPrincipalClaim } } : {}),
  });
  return { url: server.url, close: server.close };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read parsed JSON freely and assert on it.
export type JsonBody = any;

export interface ApiResponse<T = JsonBody> {
  status: number;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  body: T;
  headers: Headers;
}

export interface ApiClient {
  /** `body`: a value is sent as JSON; a string or bytes are sent as they are (for malformed input). */
  request<T = JsonBody>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  get<T = JsonBody>(path: string): Promise<ApiResponse<T>>;
  post<T = JsonBody>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = JsonBody>(path: string): Promise<ApiResponse<T>>;
}

/** `api(url).post('/v1/topics', { name: 'a', partitions: 1 })` -> `{ status, body }`. */
export function api(baseUrl: string): ApiClient {
  const request = async <T = JsonBody>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    let payload: string | Uint8Array | undefined;
    if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else if (body !== undefined) payload = JSON.stringify(body);
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(payload === undefined ? {} : { body: payload as BodyInit }),
    });
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    delete: (path) => request('DELETE', path),
  };
}

export interface TestServerContext {
  readonly engine: Engine;
  readonly server: TestServer;
  readonly http: ApiClient;
}

/**
 * The usual setup of an HTTP test file: one engine with its own tables, the real handlers served
 * on a free port, and an API client, started before the file's tests and closed after them.
 */
export function useTestServer(overrides: Partial<EngineConfig> = {}): TestServerContext {
  let current: { engine: Engine; server: TestServer; http: ApiClient } | undefined;
  const get = () => {
    if (!current) throw new Error('useTestServer: used outside a test');
    return current;
  };
  beforeAll(async () => {
    const engine = await createTestEngine(overrides);
    const server = await startTestServer(engine);
    current = { engine, server, http: api(server.url) };
  });
  afterAll(async () => {
    await current?.server.close();
  });
  return {
    get engine() {
      return get().engine;
    },
    get server() {
      return get().server;
    },
    get http() {
      return get().http;
    },
  };
}

/** Resolves once a fetch of `partition` of `topic` on `engine` is waiting in its long poll. */
export async function longPollWaiting(engine: Engine, topic: string, partition = 0): Promise<void> {
  const { topicId } = await getTopic(engine, topic);
  await engine.watch.whenWaiting(topicId, partition);
}
