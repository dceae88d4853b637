/**
 * Faults the emulators cannot produce, injected through an AWS SDK v3 client's middleware stack:
 * the client stays real and every other request goes to DynamoDB Local or s3rver untouched.
 *
 * The DynamoDB document client shares its middleware stack with the raw client it wraps, so a
 * fault added to `engine.clients.dynamodb` also hits `engine.clients.doc`; document-client
 * commands carry the name of the raw command they become (PutCommand -> PutItem).
 *
 * By default a fault sits in the `initialize` step, outside the SDK's retry loop: the caller sees
 * it exactly as injected, after exactly one attempt reached the service (or none, for failNext).
 * `insideRetries: true` puts it per attempt instead (failNext before the request is sent, in
 * `finalizeRequest`; ambiguousNext after the response, in `deserialize`), so the SDK's own retry
 * strategy sees it and may retry, as it would a real transient failure.
 */

/** Any SDK v3 client (S3Client, DynamoDBClient, DynamoDBDocumentClient). */
export interface ClientWithMiddleware {
  middlewareStack: {
    // The SDK overloads add() per step; any of them will do here.
    add(...args: never[]): unknown;
    remove(toRemove: string): boolean;
  };
}

type Step = 'initialize' | 'serialize' | 'build' | 'finalizeRequest' | 'deserialize';

interface MiddlewareContext {
  commandName?: string;
  clientName?: string;
}

type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Middleware = (next: Next, context: MiddlewareContext) => Next;

/** Which requests a fault applies to. */
export interface FaultCommandFilter {
  /** Only requests whose command input passes this test (e.g. a given table or key prefix). */
  when?: (input: Record<string, unknown>) => boolean;
}

export interface FaultOptions extends FaultCommandFilter {
  /** How many matching requests to fault; then the fault passes requests through. Default 1. */
  times?: number;
  insideRetries?: boolean;
}

export interface Fault {
  /** Matching requests seen so far (faulted or not). */
  readonly calls: number;
  /** Faults injected so far. */
  readonly injected: number;
  /** Takes the middleware off the client. Idempotent. */
  remove(): void;
}

/** The context of the request being faulted, for building an error. */
export interface FaultContext {
  commandName: string;
  input: Record<string, unknown>;
}

let nextId = 0;

/**
 * The next `times` matching requests fail with `makeError()` before anything is sent, so the
 * service never sees them. `commandName` is 'PutItem', 'PutItemCommand', or '*' for any.
 */
export function failNext(
  client: ClientWithMiddleware,
  commandName: string,
  makeError: (ctx: FaultContext) => Error,
  options: FaultOptions = {},
): Fault {
  return install(client, commandName, options.insideRetries ? 'finalizeRequest' : 'initialize', options, {
    around: async (next, args, ctx, fault) => {
      if (!fault.take()) return next(args);
      throw makeError(ctx);
    },
  });
}

/**
 * The next `times` matching requests reach the service and take effect (or fail there), but the
 * caller gets a timeout instead of the outcome, as when a response is lost on the network.
 */
export function ambiguousNext(
  client: ClientWithMiddleware,
  commandName: string,
  options: FaultOptions = {},
): Fault {
  return install(client, commandName, options.insideRetries ? 'deserialize' : 'initialize', options, {
    around: async (next, args, ctx, fault) => {
      if (!fault.take()) return next(args);
      await next(args).catch(() => {});
      throw timeoutError(ctx.commandName);
    },
  });
}

/**
 * Every matching request (until `remove()`, or for `times` requests if given) waits `ms` before
 * it is sent (`phase: 'before'`, default) or after its response arrived (`phase: 'after'`: the
 * service has applied it, the caller does not know yet).
 */
export function delay(
  client: ClientWithMiddleware,
  commandName: string,
  ms: number,
  options: FaultCommandFilter & { times?: number; phase?: 'before' | 'after' } = {},
): Fault {
  const times = options.times ?? Number.POSITIVE_INFINITY;
  return install(
    client,
    commandName,
    'finalizeRequest',
    { ...options, times },
    {
      around: async (next, args, _ctx, fault) => {
        if (!fault.take()) return next(args);
        if (options.phase === 'after') {
          const out = await next(args);
          await sleep(ms);
          return out;
        }
        await sleep(ms);
        return next(args);
      },
    },
  );
}

export interface Hold extends Fault {
  /** Resolves when the first held request has arrived: the code under test has reached it. */
  readonly reached: Promise<void>;
  /** Lets the held requests go on (and any later matching one, unheld). */
  release(): void;
}

/**
 * The next `times` matching requests (default 1) wait before they are sent until `release()`, so
 * a test can act at the moment the code reaches that request instead of sleeping "long enough".
 */
export function hold(
  client: ClientWithMiddleware,
  commandName: string,
  options: FaultCommandFilter & { times?: number } = {},
): Hold {
  let arrived: () => void = () => {};
  const reached = new Promise<void>((r) => {
    arrived = r;
  });
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const fault = install(client, commandName, 'initialize', options, {
    around: async (next, args, _ctx, state) => {
      if (!state.take()) return next(args);
      arrived();
      await released;
      return next(args);
    },
  });
  return {
    get calls() {
      return fault.calls;
    },
    get injected() {
      return fault.injected;
    },
    remove: () => {
      release();
      fault.remove();
    },
    reached,
    release,
  };
}

/**
 * The next `times` matching BatchGetItem calls reach DynamoDB with only the first `keep` keys of
 * each table (default: half of them, rounded down), and answer the others as UnprocessedKeys, as
 * DynamoDB does under throttling or past its 16 MB response limit: the caller must ask again.
 */
export function unprocessedKeysNext(
  client: ClientWithMiddleware,
  options: FaultCommandFilter & { times?: number; keep?: number } = {},
): Fault {
  return install(client, 'BatchGetItem', 'initialize', options, {
    around: async (next, args, _ctx, fault) => {
      if (!fault.take()) return next(args);
      const requested = args.input.RequestItems as Record<string, { Keys: unknown[] }>;
      const sent: Record<string, { Keys: unknown[] }> = {};
      const unprocessed: Record<string, { Keys: unknown[] }> = {};
      for (const [table, req] of Object.entries(requested)) {
        const keep = Math.min(req.Keys.length, options.keep ?? Math.floor(req.Keys.length / 2));
        if (keep > 0) sent[table] = { ...req, Keys: req.Keys.slice(0, keep) };
        if (keep < req.Keys.length) unprocessed[table] = { ...req, Keys: req.Keys.slice(keep) };
      }
      const out = (
        Object.keys(sent).length > 0
          ? await next({ ...args, input: { ...args.input, RequestItems: sent } })
          : { output: { Responses: {}, $metadata: {} }, response: {} }
      ) as { output: Record<string, unknown> };
      out.output.UnprocessedKeys = unprocessed;
      return out;
    },
  });
}

/** The error the SDK's Node HTTP handler raises when a request times out. */
export function timeoutError(commandName = 'request'): Error {
  const err = new Error(`injected fault: ${commandName} timed out after the service received it`);
  err.name = 'TimeoutError';
  Object.assign(err, { code: 'ETIMEDOUT', $metadata: {} });
  return err;
}

interface FaultState {
  /** Counts a matching request; true if this one is to be faulted. */
  take(): boolean;
}

function install(
  client: ClientWithMiddleware,
  commandName: string,
  step: Step,
  options: FaultOptions,
  behaviour: {
    around: (
      next: Next,
      args: { input: Record<string, unknown> },
      ctx: FaultContext,
      fault: FaultState,
    ) => Promise<unknown>;
  },
): Fault {
  const wanted = commandName === '*' ? undefined : commandName.replace(/Command$/, '');
  const times = options.times ?? 1;
  let calls = 0;
  let injected = 0;
  const state: FaultState = {
    take() {
      calls++;
      if (injected >= times) return false;
      injected++;
      return true;
    },
  };
  const name = `strata-test-fault-${++nextId}`;
  const middleware: Middleware = (next, context) => async (args) => {
    const command = (context.commandName ?? '').replace(/Command$/, '');
    if (wanted !== undefined && command !== wanted) return next(args);
    if (options.when && !options.when(args.input)) return next(args);
    return behaviour.around(next, args, { commandName: command, input: args.input }, state);
  };
  // `low` in finalizeRequest and deserialize: inside the SDK's retry middleware (priority high).
  const add = client.middlewareStack.add.bind(client.middlewareStack) as unknown as (
    middleware: Middleware,
    options: { step: Step; name: string; priority: 'high' | 'low' },
  ) => void;
  add(middleware, { step, name, priority: step === 'initialize' ? 'high' : 'low' });
  let removed = false;
  return {
    get calls() {
      return calls;
    },
    get injected() {
      return injected;
    },
    remove() {
      if (removed) return;
      removed = true;
      client.middlewareStack.remove(name);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
