/**
 * The checker's HTTP client. It classifies every call the way Jepsen does: ok (2xx), fail (4xx:
 * typed and definite, nothing changed) or info (5xx, a dropped connection, a timeout: it may or
 * may not have happened).
 */
export type CallResult<T> =
  | { kind: 'ok'; status: number; body: T }
  | { kind: 'fail'; status: number; code: string; message: string }
  | { kind: 'info'; status?: number; code: string; message: string };

export interface CheckerHttp {
  call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<CallResult<T>>;
}

export function checkerHttp(baseUrl: string, timeoutMs: number): CheckerHttp {
  return {
    async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<CallResult<T>> {
      let res: Response;
      let text: string;
      try {
        res = await fetch(new URL(path, baseUrl), {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        return { kind: 'info', code: e.cause?.code ?? e.name, message: e.message };
      }
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
      if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status, body: parsed as T };
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = error?.code ?? `HTTP_${res.status}`;
      const message = error?.message ?? String(text).slice(0, 200);
      if (res.status >= 400 && res.status < 500) return { kind: 'fail', status: res.status, code, message };
      return { kind: 'info', status: res.status, code, message };
    },
  };
}
