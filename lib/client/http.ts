/**
 * The HTTP transport: one `fetch` per call, a timeout, an optional request signer (the hook a
 * SigV4 signer plugs into), typed errors, and retries of retriable failures. Browser-safe.
 */
import {
  errorFromResponse,
  StrataClientError,
  StrataConnectionError,
  StrataRequestTimeoutError,
} from './errors.js';
import type { Logger } from './logger.js';
import { type ResolvedRetry, withRetry } from './retry.js';

export interface SignableRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** JSON text, or the bytes of a binary body (a record batch). */
  body?: string | Uint8Array;
}

/**
 * Called for every request attempt just before it is sent; returns the request to send (for
 * example with `authorization` and `x-amz-date` headers added by a SigV4 signer).
 */
export type RequestSigner = (request: SignableRequest) => SignableRequest | Promise<SignableRequest>;

export interface TransportOptions {
  endpoint: string;
  fetch?: typeof fetch;
  requestSigner?: RequestSigner;
  clientId?: string;
  /** Per request, ms; long polls get their wait time on top. */
  requestTimeout?: number;
  retry: ResolvedRetry;
  logger: Logger;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** A value is sent as JSON; a string is sent as it is (already JSON). */
  body?: unknown;
  /** A binary body instead of `body`, sent as it is with its content type. */
  rawBody?: { bytes: Uint8Array; contentType: string };
  /** Extra time on top of the request timeout (a long poll's wait). */
  extraTimeoutMs?: number;
  /** Replaces the request timeout for this call. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** `false`: one attempt only; the caller handles failures. */
  retry?: ResolvedRetry | false;
}

export class Transport {
  readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly requestTimeout: number;

  constructor(private readonly options: TransportOptions) {
    if (!options.endpoint) throw new TypeError('Strata: `endpoint` is required, e.g. http://localhost:4510');
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('Strata: no global fetch; pass `fetch` in the options');
    this.fetchFn = f;
    this.requestTimeout = options.requestTimeout ?? 30_000;
  }

  get retry(): ResolvedRetry {
    return this.options.retry;
  }

  /** A JSON answer, parsed. */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.withRetries(method, path, opts, () => this.once(method, path, opts, readJson<T>));
  }

  /**
   * A binary answer of the given content type: its bytes and headers (an error answer is still
   * the JSON error body, and throws as from `request`).
   */
  requestBytes(
    method: string,
    path: string,
    contentType: string,
    opts: RequestOptions = {},
  ): Promise<BinaryResponse> {
    return this.withRetries(method, path, opts, () =>
      this.once(method, path, { ...opts, accept: contentType }, readBytes(contentType)),
    );
  }

  private withRetries<T>(
    method: string,
    path: string,
    opts: RequestOptions,
    attempt: () => Promise<T>,
  ): Promise<T> {
    const retry = opts.retry === undefined ? this.options.retry : opts.retry;
    if (retry === false) return attempt();
    return withRetry(attempt, retry, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onRetry: (err, attempt, delay) =>
        this.options.logger.debug('retrying request', {
          method,
          path,
          attempt: attempt + 1,
          delayMs: delay,
          error: (err as Error).message,
        }),
    });
  }

  private async once<T>(
    method: string,
    path: string,
    opts: RequestOptions & { accept?: string },
    read: ResponseReader<T>,
  ): Promise<T> {
    let url = this.endpoint + path;
    if (opts.query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) params.set(k, String(v));
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    const headers: Record<string, string> = {
      accept: opts.accept ? `${opts.accept}, application/json` : 'application/json',
    };
    if (this.options.clientId) headers['x-strata-client-id'] = this.options.clientId;
    let body: string | Uint8Array | undefined;
    if (opts.rawBody) {
      body = opts.rawBody.bytes;
      headers['content-type'] = opts.rawBody.contentType;
    } else if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let request: SignableRequest = { method, url, headers, ...(body === undefined ? {} : { body }) };
    if (this.options.requestSigner) request = await this.options.requestSigner(request);

    const controller = new AbortController();
    const timeoutMs = (opts.timeoutMs ?? this.requestTimeout) + (opts.extraTimeoutMs ?? 0);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) throw abortedError();
      let res: Response;
      try {
        res = await this.fetchFn(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body as BodyInit }),
          signal: controller.signal,
        });
      } catch (err) {
        if (timedOut)
          throw new StrataRequestTimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, err);
        if (opts.signal?.aborted) throw abortedError(err);
        throw new StrataConnectionError(`${method} ${path} failed: ${(err as Error)?.message ?? err}`, err);
      }
      const fail = (err: unknown): never => {
        if (timedOut)
          throw new StrataRequestTimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, err);
        if (opts.signal?.aborted) throw abortedError(err);
        throw new StrataConnectionError(`${method} ${path}: reading the response failed`, err);
      };
      return await read(res, `${method} ${path}`, fail);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A binary answer: the body's bytes and the response headers. */
export interface BinaryResponse {
  bytes: Uint8Array;
  headers: Headers;
}

/** Reads an answer: `fail` maps a failure to read the body to the transport's errors. */
type ResponseReader<T> = (res: Response, what: string, fail: (err: unknown) => never) => Promise<T>;

async function readJson<T>(res: Response, what: string, fail: (err: unknown) => never): Promise<T> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return fail(err);
  }
  let parsed: unknown;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) throw errorFromResponse(res.status, parsed, res.statusText);
  if (text !== '' && parsed === undefined) {
    throw new StrataClientError(`${what}: response is not JSON`, {
      code: 'INVALID_RESPONSE',
      retriable: false,
      status: res.status,
    });
  }
  return parsed as T;
}

function readBytes(contentType: string): ResponseReader<BinaryResponse> {
  return async (res, what, fail) => {
    if (!res.ok) return readJson<never>(res, what, fail);
    const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      return fail(err);
    }
    if (type !== contentType) {
      throw new StrataClientError(`${what}: response is ${type ?? 'untyped'}, not ${contentType}`, {
        code: 'INVALID_RESPONSE',
        retriable: false,
        status: res.status,
      });
    }
    return { bytes, headers: res.headers };
  };
}

export function abortedError(cause?: unknown): StrataClientError {
  return new StrataClientError('request aborted', { code: 'ABORTED', retriable: false, status: 0, cause });
}

export function isAborted(err: unknown): boolean {
  return err instanceof StrataClientError && err.code === 'ABORTED';
}
