/**
 * Exponential backoff with jitter, in KafkaJS's shape (`retry: { retries, initialRetryTime,
 * maxRetryTime, factor, multiplier }`), and a retrier that retries only retriable errors.
 */
import { StrataClientError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt. KafkaJS default 5. */
  retries?: number;
  /** First delay, ms. */
  initialRetryTime?: number;
  /** Cap on one delay, ms. */
  maxRetryTime?: number;
  /** Jitter: each delay is randomised within ±factor of its base. */
  factor?: number;
  /** Growth of the base delay per retry. */
  multiplier?: number;
  /** Consumer only: called when processing kept failing; return false to stop the consumer. */
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

export type ResolvedRetry = Required<Omit<RetryOptions, 'restartOnFailure'>> &
  Pick<RetryOptions, 'restartOnFailure'>;

export const DEFAULT_RETRY: ResolvedRetry = {
  retries: 5,
  initialRetryTime: 100,
  maxRetryTime: 30_000,
  factor: 0.2,
  multiplier: 2,
};

export function resolveRetry(...layers: (RetryOptions | undefined)[]): ResolvedRetry {
  const out: ResolvedRetry = { ...DEFAULT_RETRY };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer))
      if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): initialRetryTime * multiplier^attempt,
 * capped at maxRetryTime, then spread by ±factor. `random` is in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  retry: ResolvedRetry,
  random: () => number = Math.random,
): number {
  const base = Math.min(retry.initialRetryTime * retry.multiplier ** attempt, retry.maxRetryTime);
  const jitter = 1 - retry.factor + 2 * retry.factor * random();
  return Math.max(0, Math.min(Math.round(base * jitter), retry.maxRetryTime));
}

export function isRetriable(err: unknown): boolean {
  return err instanceof StrataClientError && err.retriable;
}

export interface RetrierHooks {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Called before each retry, with the error that caused it. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Runs `fn`, retrying retriable errors with backoff; the last error is thrown with its retryCount. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  retry: ResolvedRetry,
  hooks: RetrierHooks = {},
): Promise<T> {
  const sleepFn = hooks.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetriable(err) || attempt >= retry.retries || hooks.signal?.aborted) {
        if (err instanceof StrataClientError) err.retryCount = attempt;
        throw err;
      }
      const delay = backoffDelay(attempt, retry, hooks.random);
      hooks.onRetry?.(err, attempt, delay);
      await sleepFn(delay, hooks.signal);
    }
  }
}

/** setTimeout as a promise; resolves early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
