/**
 * Counts the HTTP requests an AWS SDK client really sends (each attempt, retries included), in
 * total and per command (PutObject, GetObject, TransactWriteItems, ...).
 */
export interface RequestCounter {
  readonly count: number;
  /** Attempts per command, by the SDK's command name without "Command" (PutObject, Query, ...). */
  readonly byCommand: Readonly<Record<string, number>>;
  reset(): void;
}

interface ClientWithStack {
  middlewareStack: { add(...args: never[]): unknown };
}

type Handler = (args: unknown) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

function addMiddleware(client: ClientWithStack, middleware: Middleware, options: object) {
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(middleware, options);
}

/** "TransactWriteItemsCommand" and lib-dynamodb's "TransactWriteCommand" both become "TransactWriteItems". */
function commandOf(context: { commandName?: string }): string {
  const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
  const doc: Record<string, string> = {
    TransactWrite: 'TransactWriteItems',
    TransactGet: 'TransactGetItems',
    Get: 'GetItem',
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
  };
  return doc[name] ?? name;
}

export function countRequests(client: ClientWithStack, name: string): RequestCounter {
  let count = 0;
  let byCommand: Record<string, number> = {};
  addMiddleware(
    client,
    (next, context) => async (args) => {
      count++;
      const command = commandOf(context);
      byCommand[command] = (byCommand[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: `benchCount-${name}` },
  );
  return {
    get count() {
      return count;
    },
    get byCommand() {
      return byCommand;
    },
    reset() {
      count = 0;
      byCommand = {};
    },
  };
}

/** DynamoDB capacity units, as on-demand DynamoDB would bill them. */
export interface CapacityCounter {
  /** Read request units, as DynamoDB Local reports them (1 per 4 KB strongly consistent read). */
  readonly rru: number;
  /** Write request units: 2 per KB per item in a transaction (computed), 1 per KB otherwise (reported). */
  readonly wru: number;
  /** TransactWriteItems items sent, successful or not. */
  readonly transactItems: number;
  reset(): void;
}

const WRITES = new Set(['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * The stored size of a value as DynamoDB counts it, estimated from the request: UTF-8 bytes of
 * strings and attribute names, ~1 byte per 2 digits of a number, binary length, 3 bytes per map or
 * list plus its elements.
 */
export function itemBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + itemBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + itemBytes(v), 0);
  if (typeof value === 'object') {
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + 1 + itemBytes(v),
        0,
      )
    );
  }
  return 8;
}

/**
 * The WRU of one TransactWriteItems: 2 per started KB per item. A Put's size is its item's; an
 * Update, Delete or ConditionCheck is counted from its key and values (Strata's heads and
 * sequence states are far below 1 KB, so 2 WRU each).
 */
export function transactWriteUnits(items: readonly Record<string, unknown>[]): number {
  let units = 0;
  for (const item of items) {
    const action = (item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck ?? {}) as Record<
      string,
      unknown
    >;
    const size = item.Put
      ? itemBytes(action.Item)
      : itemBytes(action.Key) + itemBytes(action.ExpressionAttributeValues ?? {});
    units += 2 * Math.max(1, Math.ceil(size / 1024));
  }
  return units;
}

/**
 * Sums the capacity every DynamoDB request consumes. Reads and plain writes: as DynamoDB Local
 * reports them (it adds `ReturnConsumedCapacity: TOTAL` to requests that do not set it; Local
 * rounds item sizes as DynamoDB does). Transactions: computed from the items sent, because Local
 * reports one item's units per table for a transaction (4 items on 2 tables come back as 2 + 2),
 * and because a cancelled transaction reports nothing although DynamoDB bills its items.
 */
export function countCapacity(client: ClientWithStack): CapacityCounter {
  let rru = 0;
  let wru = 0;
  let transactItems = 0;
  addMiddleware(
    client,
    (next, context) => async (args) => {
      const command = commandOf(context);
      const a = args as { input: Record<string, unknown> };
      if (command === 'TransactWriteItems') {
        const items = (a.input.TransactItems ?? []) as Record<string, unknown>[];
        transactItems += items.length;
        wru += transactWriteUnits(items);
        return next(args);
      }
      const input = a.input.ReturnConsumedCapacity
        ? a.input
        : { ...a.input, ReturnConsumedCapacity: 'TOTAL' };
      const result = (await next({ ...a, input })) as { output?: { ConsumedCapacity?: unknown } };
      const consumed = result.output?.ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Consumed[];
      for (const c of list) {
        const units = c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0);
        if (WRITES.has(command)) wru += units;
        else rru += units;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCapacity' },
  );
  return {
    get rru() {
      return rru;
    },
    get wru() {
      return wru;
    },
    get transactItems() {
      return transactItems;
    },
    reset() {
      rru = 0;
      wru = 0;
      transactItems = 0;
    },
  };
}
