/**
 * Counts the requests an AWS SDK v3 client really sends, per command (each attempt, retries
 * included), with their inputs, through a middleware in the finalizeRequest step (the pattern of
 * bench/request-counter.ts). The DynamoDB document client shares its raw client's stack, so one
 * counter on `engine.clients.dynamodb` sees both; by this step every input is marshalled
 * (`{ pk: { S: '...' } }`), whichever client sent it.
 */
import type { ClientWithMiddleware } from '../../lib/testing/faults.js';

export interface SentRequest {
  /** The raw command's name: 'GetItem', 'BatchGetItem', 'GetObject'... */
  command: string;
  input: Record<string, unknown>;
}

export interface RequestCounts {
  readonly sent: readonly SentRequest[];
  /** Requests of `command` sent so far, that pass `when` if given. */
  count(command: string, when?: (input: Record<string, unknown>) => boolean): number;
  reset(): void;
  remove(): void;
}

let nextId = 0;

export function countRequests(client: ClientWithMiddleware): RequestCounts {
  const sent: SentRequest[] = [];
  const name = `strata-test-count-${++nextId}`;
  const middleware =
    (
      next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
      context: { commandName?: string },
    ) =>
    async (args: { input: Record<string, unknown> }) => {
      sent.push({ command: (context.commandName ?? '').replace(/Command$/, ''), input: args.input });
      return next(args);
    };
  (client.middlewareStack.add as unknown as (m: unknown, o: unknown) => void)(middleware, {
    step: 'finalizeRequest',
    name,
    priority: 'low',
  });
  let removed = false;
  return {
    sent,
    count: (command, when) => sent.filter((r) => r.command === command && (!when || when(r.input))).length,
    reset: () => {
      sent.length = 0;
    },
    remove: () => {
      if (removed) return;
      removed = true;
      client.middlewareStack.remove(name);
    },
  };
}

/** A key attribute's string, marshalled (`{ S: 'x' }`) or plain. */
const text = (v: unknown): string =>
  typeof v === 'object' && v !== null ? String((v as { S?: unknown }).S) : String(v);

/** A GetItem of a partition head. */
export const isHeadGet = (input: Record<string, unknown>): boolean =>
  text((input.Key as { pk?: unknown } | undefined)?.pk).startsWith('head#');

/** How many partition heads a BatchGetItem asks for. */
export function headKeysOf(input: Record<string, unknown>): number {
  let n = 0;
  for (const req of Object.values(input.RequestItems as Record<string, { Keys: { pk?: unknown }[] }>)) {
    for (const k of req.Keys) if (text(k.pk).startsWith('head#')) n++;
  }
  return n;
}
