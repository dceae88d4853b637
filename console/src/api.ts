/**
 * The console's HTTP client: the public API at relative URLs (same origin), with an optional
 * `Authorization: Bearer <jwt>` from the sign-in field (sessionStorage). Offsets stay strings.
 */

const TOKEN_KEY = 'strata.console.token';

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(jwt: string): void {
  if (jwt === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, jwt);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  if (json) h['content-type'] = 'application/json';
  const t = token();
  if (t) h.authorization = `Bearer ${t}`;
  return h;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read by the screens that know their shape.
export type Json = any;

export async function api(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Json> {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    throw new ApiError(
      res.status,
      parsed?.error?.code ?? `HTTP_${res.status}`,
      parsed?.error?.message ?? text,
    );
  }
  return parsed;
}

export const enc = encodeURIComponent;

/** A record as fetched with `encoding=base64`: bytes, decoded once. */
export interface Rec {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, Uint8Array | null>;
}

export function fromBase64(s: string | null): Uint8Array | null {
  if (s === null) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(b: Uint8Array | null): string | null {
  if (b === null) return null;
  let bin = '';
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

interface WireRecord {
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export function toRec(topic: string, partition: number, r: WireRecord): Rec {
  const headers: Record<string, Uint8Array | null> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = fromBase64(v);
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: fromBase64(r.key),
    value: fromBase64(r.value),
    headers,
  };
}

export interface Page {
  records: Rec[];
  nextOffset: string;
  highWatermark: string;
  logStartOffset: string;
}

/** One fetch of a partition, bytes as base64 (so binary keys and values survive). */
export async function fetchPage(
  topic: string,
  partition: number,
  offset: string,
  maxRecords: number,
  signal?: AbortSignal,
): Promise<Page> {
  const body = await api(
    'GET',
    `/v1/topics/${enc(topic)}/partitions/${partition}/records?offset=${offset}&maxRecords=${maxRecords}&maxBytes=4194304&encoding=base64`,
    undefined,
    signal,
  );
  return {
    records: (body.records as WireRecord[]).map((r) => toRec(topic, partition, r)),
    nextOffset: body.nextOffset,
    highWatermark: body.highWatermark,
    logStartOffset: body.logStartOffset,
  };
}

/** The path the console reads the live tail from: `npm start` serves it; in AWS, CloudFront routes it to the tail Function URL. */
export const TAIL_PATH = '/v1/tail';

/**
 * Follows one partition's live tail (SSE over fetch, so the Authorization header goes along;
 * EventSource cannot send it). Reconnects after the server's `end` event (the function's
 * timeout) or a dropped connection, from the next offset, until `signal` aborts.
 */
export async function followTail(
  topic: string,
  partition: number,
  from: string,
  onRecord: (r: Rec) => void,
  signal: AbortSignal,
  onState?: (state: string) => void,
): Promise<void> {
  let next = from;
  while (!signal.aborted) {
    try {
      const res = await fetch(
        `${TAIL_PATH}?topic=${enc(topic)}&partition=${partition}&offset=${next}&encoding=base64`,
        {
          headers: headers(false),
          signal,
        },
      );
      if (!res.ok || !res.body) {
        const text = await res.text();
        onState?.(`tail refused: ${res.status} ${text.slice(0, 200)}`);
        if (res.status >= 400 && res.status < 500) return;
        await pause(2000, signal);
        continue;
      }
      onState?.('live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = parseSse(block);
          if (event.event === 'record' && event.data) {
            const r = JSON.parse(event.data) as WireRecord;
            onRecord(toRec(topic, partition, r));
            next = (BigInt(r.offset) + 1n).toString();
          } else if (event.event === 'end' && event.data) {
            next = JSON.parse(event.data).nextOffset;
          }
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      onState?.(`tail reconnecting: ${(err as Error).message}`);
      await pause(1000, signal);
    }
  }
}

function parseSse(block: string): { event?: string; data?: string } {
  const out: { event?: string; data?: string } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) out.event = line.slice(6).trim();
    else if (line.startsWith('data:'))
      out.data = (out.data ? `${out.data}\n` : '') + line.slice(5).trimStart();
  }
  return out;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
