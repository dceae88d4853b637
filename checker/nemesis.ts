/**
 * The nemesis: rotates fault classes through the engine's AWS SDK middleware (and the produce
 * response seam of checker/stack.ts), with quiet periods in between. Every activation is bounded
 * in time and in the number of faults it injects.
 */
import type { Engine } from '../lib/engine/engine.js';
import { ambiguousNext, delay, type Fault, type FaultContext, failNext } from '../lib/testing/faults.js';
import type { Random } from './random.js';
import type { ResponseFaults } from './stack.js';

export const FAULT_CLASSES = [
  /** The request reaches S3 or DynamoDB and takes effect; the caller gets a timeout. */
  'ambiguous',
  /** ThrottlingException, ProvisionedThroughputExceededException, S3 503 SlowDown. */
  'throttle',
  /** TransactWriteItems cancelled with TransactionConflict (DynamoDB Local never does it). */
  'conflict',
  /** Requests held before sending or after their response: reorders concurrent requests. */
  'delay',
  /** The produce dies after the upload, before its commit: a non-retriable error on the commit. */
  'crash-before-commit',
  /** The produce commits, then its HTTP response is lost (502). */
  'lost-response',
] as const;

export type FaultClass = (typeof FAULT_CLASSES)[number];

export function parseFaults(spec: string): FaultClass[] {
  if (spec === 'all') return [...FAULT_CLASSES];
  if (spec === 'none' || spec === '') return [];
  const names = spec.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(FAULT_CLASSES as readonly string[]).includes(n)) {
      throw new Error(`unknown fault class ${n}: use all, none, or some of ${FAULT_CLASSES.join(', ')}`);
    }
  }
  return [...new Set(names)] as FaultClass[];
}

export interface NemesisOptions {
  faults: FaultClass[];
  /** Chance that a matching request is faulted while its class is active (default 0.2). */
  probability?: number;
  /** Faults one activation may inject per target (default 10). */
  maxPerActivation?: number;
  /** Quiet period between activations, ms (default [200, 600]). */
  quietMs?: [number, number];
  /** How long one activation lasts, ms (default [400, 1200]). */
  activeMs?: [number, number];
}

export interface NemesisEvent {
  fault: FaultClass;
  /** ms since the start of the run. */
  start: number;
  end: number;
  /** Faults injected during this activation. */
  injected: number;
  detail: string;
}

export interface Nemesis {
  /** Stops rotating, removes every fault, and resolves once the current activation is undone. */
  stop(): Promise<void>;
  events: NemesisEvent[];
  /** Faults injected per class so far. */
  injected(): Record<FaultClass, number>;
}

interface Activation {
  detail: string;
  injected(): number;
  remove(): void;
}

export function startNemesis(
  engines: Engine[],
  responses: ResponseFaults,
  rng: Random,
  options: NemesisOptions,
  clock: () => number,
  onActivation?: (event: NemesisEvent) => void,
): Nemesis {
  const events: NemesisEvent[] = [];
  const totals = Object.fromEntries(FAULT_CLASSES.map((f) => [f, 0])) as Record<FaultClass, number>;
  const p = options.probability ?? 0.2;
  const times = options.maxPerActivation ?? 10;
  const [quietMin, quietMax] = options.quietMs ?? [200, 600];
  const [activeMin, activeMax] = options.activeMs ?? [400, 1200];
  const sometimes = { when: () => rng() < p, times };
  /** The same faults on every engine's clients (each engine is one Lambda instance). */
  const everywhere = (install: (clients: Engine['clients']) => Fault[]) =>
    engines.flatMap((e) => install(e.clients));

  const activate: Record<FaultClass, () => Activation> = {
    ambiguous: () => {
      const insideRetries = rng.chance(0.5);
      const other = rng.pick(['UpdateItem', 'PutItem', 'GetItem', 'BatchGetItem', 'Query']);
      const faults = everywhere(({ dynamodb, s3 }) => [
        ambiguousNext(dynamodb, 'TransactWriteItems', { ...sometimes, insideRetries }),
        ambiguousNext(dynamodb, other, { ...sometimes, insideRetries }),
        ambiguousNext(s3, 'PutObject', { ...sometimes, insideRetries }),
      ]);
      return fromFaults(faults, `TransactWriteItems, ${other}, PutObject${where(insideRetries)}`);
    },
    throttle: () => {
      const insideRetries = rng.chance(0.5);
      const faults = everywhere(({ dynamodb, s3 }) => [
        failNext(dynamodb, '*', () => throttled(rng), { ...sometimes, insideRetries }),
        failNext(s3, '*', slowDown, { ...sometimes, insideRetries }),
      ]);
      return fromFaults(faults, `DynamoDB throttling, S3 SlowDown${where(insideRetries)}`);
    },
    conflict: () =>
      fromFaults(
        everywhere(({ dynamodb }) => [
          failNext(dynamodb, 'TransactWriteItems', (ctx) => transactionConflict(ctx, rng), sometimes),
        ]),
        'TransactionCanceledException [TransactionConflict]',
      ),
    delay: () => {
      const ms = rng.int(5, 250);
      const phase = rng.pick(['before', 'after'] as const);
      const faults = everywhere(({ dynamodb, s3 }) => [
        delay(dynamodb, '*', ms, { ...sometimes, times: times * 5, phase }),
        delay(s3, '*', ms, { ...sometimes, times: times * 5, phase }),
      ]);
      return fromFaults(faults, `${ms} ms ${phase} DynamoDB and S3 requests`);
    },
    'crash-before-commit': () =>
      fromFaults(
        everywhere(({ dynamodb }) => [
          failNext(dynamodb, 'TransactWriteItems', crashed, {
            when: (input) => isProduceCommit(input) && rng() < p,
            times,
          }),
        ]),
        'produce commit fails after the upload',
      ),
    'lost-response': () => {
      let injected = 0;
      responses.loseProduceResponse = () => {
        if (injected >= times || rng() >= p) return false;
        injected++;
        return true;
      };
      return {
        detail: 'produce response lost after the commit',
        injected: () => injected,
        remove: () => {
          responses.loseProduceResponse = undefined;
        },
      };
    },
  };

  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    if (options.faults.length === 0) return;
    let order: FaultClass[] = [];
    while (!stopping) {
      await sleep(rng.int(quietMin, quietMax));
      if (stopping) break;
      if (order.length === 0) order = shuffle([...options.faults], rng);
      const fault = order.shift() as FaultClass;
      const start = clock();
      const activation = activate[fault]();
      try {
        await sleep(rng.int(activeMin, activeMax));
      } finally {
        activation.remove();
        const injected = activation.injected();
        totals[fault] += injected;
        const event = { fault, start, end: clock(), injected, detail: activation.detail };
        events.push(event);
        onActivation?.(event);
      }
    }
  })();

  return {
    events,
    injected: () => ({ ...totals }),
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}

function fromFaults(faults: Fault[], detail: string): Activation {
  return {
    detail,
    injected: () => faults.reduce((n, f) => n + f.injected, 0),
    remove: () => {
      for (const f of faults) f.remove();
    },
  };
}

const where = (insideRetries: boolean) =>
  insideRetries ? ' (inside SDK retries)' : ' (outside SDK retries)';

function shuffle<T>(items: T[], rng: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

function awsError(name: string, message: string, status: number, extra: Record<string, unknown> = {}): Error {
  const err = new Error(`injected fault: ${message}`);
  err.name = name;
  Object.assign(err, {
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...extra,
  });
  return err;
}

function throttled(rng: Random): Error {
  return rng.chance(0.5)
    ? awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 400)
    : awsError(
        'ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded.',
        400,
      );
}

function slowDown(): Error {
  return awsError('SlowDown', 'Please reduce your request rate.', 503);
}

/** A cancelled transaction applies nothing; one action (any) reports the conflict. */
function transactionConflict(ctx: FaultContext, rng: Random): Error {
  const count = Array.isArray(ctx.input.TransactItems) ? ctx.input.TransactItems.length : 1;
  const conflicted = rng.int(0, count - 1);
  const reasons = Array.from({ length: count }, (_, i) =>
    i === conflicted
      ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
      : { Code: 'None' },
  );
  return awsError(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    400,
    { CancellationReasons: reasons },
  );
}

/** Not an AWS error at all: the process died. Nothing retries it. */
function crashed(): Error {
  const err = new Error('injected fault: the process crashed between the upload and the commit');
  err.name = 'InjectedCrash';
  return err;
}

/** A produce commit updates the object's segment record (`segment#<object key>`) with its bases. */
function isProduceCommit(input: Record<string, unknown>): boolean {
  const items = input.TransactItems;
  if (!Array.isArray(items)) return false;
  return items.some((item: { Put?: { Item?: { pk?: unknown } }; Update?: { Key?: { pk?: unknown } } }) => {
    const pk = item.Update?.Key?.pk ?? item.Put?.Item?.pk;
    const text = typeof pk === 'string' ? pk : (pk as { S?: string } | undefined)?.S;
    return text?.startsWith('segment#') ?? false;
  });
}
