import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { matchRoute, ROUTES, type RouteGroup } from '../lib/contract/routes.js';
import { MethodNotAllowedError, RecordListTooLargeError, RouteNotFoundError } from '../lib/engine/errors.js';
import {
  errorResult,
  type HttpEvent,
  type HttpHandler,
  type HttpResult,
  MAX_REQUEST_BYTES,
} from '../lib/engine/http/api.js';

/**
 * The local stand-in for API Gateway (HTTP API, payload format 2.0): it turns each request into the
 * event Lambda would receive and calls the very handler the Lambda function runs.
 */
export interface HttpServerOptions {
  handlers: Record<RouteGroup, HttpHandler>;
  /** 0 picks a free port; the returned `port` is the real one. */
  port: number;
  host?: string;
  /**
   * LOCAL AND TESTS ONLY: lets a request say who it is with the header
   * `x-strata-local-principal`, standing in for API Gateway's authorizer (which the stand-in does
   * not have). A value starting with `arn:` becomes the IAM caller
   * (`requestContext.authorizer.iam.userArn`); any other value the JWT claim `jwtClaim` (default
   * `sub`). Off unless set; the Lambda path has no such header: there only API Gateway's
   * authorizer fills requestContext.authorizer, and the header is never read.
   */
  localPrincipals?: { jwtClaim?: string };
  /**
   * GET paths served outside the route table, streamed (the live tail at `/v1/tail`): the handler
   * gets the event and writes the response itself. They do not hold up close(): it ends them.
   */
  streams?: Record<string, StreamHandler>;
  /** Static files of the web console (console/build.ts output), served under `/console/`. */
  consoleDir?: string;
}

/** A streamed GET: writes its own status, headers and body to `res`. */
export type StreamHandler = (event: HttpEvent, res: ServerResponse) => Promise<void>;

/** The header of HttpServerOptions.localPrincipals. */
export const LOCAL_PRINCIPAL_HEADER = 'x-strata-local-principal';

export interface RunningHttpServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** After answering 413 we drain at most this much more of the body before dropping the connection. */
const MAX_DISCARD_BYTES = 8 * MAX_REQUEST_BYTES;

class BodyTooLarge extends Error {}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const streaming = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const stream = options.streams?.[path];
    if (stream && (req.method ?? 'GET').toUpperCase() === 'GET') {
      // Not in flight: a tail runs until its reader leaves, and close() ends it.
      streaming.add(res);
      res.once('close', () => streaming.delete(res));
      serveStream(stream, req, res).catch((err) => res.destroy(err as Error));
      return;
    }
    const done = serve(req, res).catch((err) => {
      // Only writing the response can fail here (the client went away); nothing to answer.
      res.destroy(err as Error);
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  async function serveStream(stream: StreamHandler, req: IncomingMessage, res: ServerResponse) {
    discardBody(req);
    const url = new URL(req.url ?? '/', 'http://local');
    const event = toEvent(
      req,
      url,
      'GET',
      { routeKey: `GET ${url.pathname}`, pathParameters: {} },
      Buffer.alloc(0),
      options.localPrincipals,
    );
    await stream(event, res);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = url.pathname;
    if (options.consoleDir && (rawPath === '/console' || rawPath.startsWith('/console/'))) {
      discardBody(req);
      await writeResult(req, res, await consoleFile(options.consoleDir, rawPath, method));
      return;
    }
    const match = matchRoute(ROUTES, method, rawPath);

    if (match === undefined || 'methodNotAllowed' in match) {
      discardBody(req);
      const err =
        match === undefined
          ? new RouteNotFoundError(`no route for ${method} ${rawPath}`)
          : new MethodNotAllowedError(`method ${method} is not allowed on ${rawPath}`);
      await writeResult(req, res, errorResult(err));
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      // Close the connection after answering: the rest of the body is not worth reading.
      res.setHeader('connection', 'close');
      discardBody(req);
      await writeResult(
        req,
        res,
        errorResult(new RecordListTooLargeError(`request body exceeds ${MAX_REQUEST_BYTES} bytes`)),
      );
      return;
    }

    const event = toEvent(req, url, method, match, body, options.localPrincipals);
    let result: HttpResult;
    try {
      result = await options.handlers[match.route.group](event);
    } catch (err) {
      result = errorResult(err);
    }
    await writeResult(req, res, result);
  }

  function writeResult(req: IncomingMessage, res: ServerResponse, result: HttpResult): Promise<void> {
    const payload =
      result.body === undefined || result.body === ''
        ? Buffer.alloc(0)
        : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
    if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
    if (closing) res.setHeader('connection', 'close');
    res.setHeader('content-length', payload.length);
    res.statusCode = result.statusCode;
    // 'close' fires once the response is written or the client has gone away, whichever is first.
    return new Promise((resolve) => {
      res.once('close', resolve);
      res.end(req.method === 'HEAD' ? undefined : payload);
      // A client that went away while the handler ran (an aborted long poll) has closed the
      // response already, and 'close' does not fire twice.
      if (res.destroyed) resolve();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closed ??= (async () => {
        closing = true;
        for (const res of streaming) res.destroy();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // A handler may still be running after its client went away: wait for it too, so that
        // whatever it commits is done before the caller tears down storage.
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        // Keep-alive sockets that turned idle once their last response was written.
        server.closeIdleConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** A file of the console: `/console/` is its index.html; names only, no directories. */
async function consoleFile(dir: string, path: string, method: string): Promise<HttpResult> {
  if (path === '/console') return { statusCode: 301, headers: { location: '/console/' }, body: '' };
  if (method !== 'GET' && method !== 'HEAD') {
    return errorResult(new MethodNotAllowedError(`method ${method} is not allowed on ${path}`));
  }
  const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) {
    return errorResult(new RouteNotFoundError(`no console file ${path}`));
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, name));
  } catch {
    return errorResult(new RouteNotFoundError(`no console file ${path}`));
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_REQUEST_BYTES) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        cleanup();
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * Reads and drops the rest of a body we will not use, so the client can finish sending and read
 * our answer; past MAX_DISCARD_BYTES the connection is dropped instead.
 */
function discardBody(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARD_BYTES) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  match: { routeKey: string; pathParameters: Record<string, string> },
  body: Buffer,
  localPrincipals: HttpServerOptions['localPrincipals'],
): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // Never passed on: a handler must not come to rely on a header the Lambda path does not have.
  const actingAs = headers[LOCAL_PRINCIPAL_HEADER];
  delete headers[LOCAL_PRINCIPAL_HEADER];
  const authorizer =
    localPrincipals && actingAs
      ? actingAs.startsWith('arn:')
        ? { iam: { userArn: actingAs } }
        : { jwt: { claims: { [localPrincipals.jwtClaim ?? 'sub']: actingAs }, scopes: null } }
      : undefined;
  // API Gateway decodes query parameters and joins repeated ones with commas.
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }
  const cookies = headers.cookie?.split(/;\s*/).filter(Boolean);
  const now = new Date();
  const rawPath = url.pathname;
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath,
    rawQueryString: url.search.startsWith('?') ? url.search.slice(1) : url.search,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    // As API Gateway gives them: still URL-encoded; handlers decode (see pathParam).
    pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      ...(authorizer ? { authorizer } : {}),
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    // As API Gateway does: a text body as it is, any other (a record batch) base64-encoded.
    ...(body.length === 0
      ? { body: undefined, isBase64Encoded: false }
      : isTextBody(headers['content-type'])
        ? { body: body.toString('utf8'), isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }),
  };
}

/** Text media types (and none at all) reach the handler as text; the rest as base64, as in API Gateway. */
function isTextBody(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return true;
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|x-www-form-urlencoded)$/.test(type) ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time` format: 12/Mar/2020:19:03:58 +0000. */
function formatRequestTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
