/**
 * `strata consume`: a topic's records, by partition or as a member of a consumer group; with
 * `--table`, the latest record of every key (the client's table view, strata.table()).
 */
import { type Command, Option } from 'commander';
import { fromBase64, utf8Encode } from '../../client/bytes.js';
import { CONSUMER_EVENTS } from '../../client/consumer.js';
import { StrataClientError, StrataOffsetOutOfRangeError } from '../../client/errors.js';
import { isAborted } from '../../client/http.js';
import { isRetriable, sleep } from '../../client/retry.js';
import type { Strata } from '../../client/strata.js';
import { TABLE_EVENTS, type TableUpdate } from '../../client/table.js';
import type { KafkaMessage } from '../../client/types.js';
import {
  type OffsetSpec,
  parseNonNegativeInt,
  parseOffsetSpec,
  parsePositiveInt,
  startOffsetFor,
  UsageError,
} from '../args.js';
import type { Context } from '../context.js';
import { type PrintedRecord, type RowStyle, recordToJson, renderFormat } from '../format.js';

interface ConsumeOptions {
  offset?: string;
  partition?: number;
  group?: string;
  exit?: boolean;
  count?: number;
  format?: string;
  json?: boolean;
  table?: boolean;
  follow?: boolean;
}

/** Prints one record, as it arrives. */
type PrintRecord = (rec: PrintedRecord) => Promise<void>;

export function consumeCommands(program: Command, ctx: Context): void {
  ctx
    .command(program, 'consume')
    .description("print a topic's records; follows new ones until Ctrl-C unless -e or -n")
    .argument('<topic>')
    .option(
      '-o, --offset <spec>',
      'start: beginning | end | <offset> | -<N> (N before the end) | @<epoch ms>',
    )
    .option('-p, --partition <n>', 'read only this partition', (v) => parseNonNegativeInt(v, '-p'))
    .option('-g, --group <group>', 'read as a member of this consumer group, committing as it goes')
    .option('-e, --exit', 'exit at the end of the log instead of following')
    .option('-n, --count <n>', 'exit after <n> records', (v) => parsePositiveInt(v, '-n'))
    .option(
      '-f, --format <format>',
      'output format: %t topic, %p partition, %o offset, %k key, %v value, %T timestamp, %h headers',
    )
    .addOption(new Option('--json', 'one JSON object per record').conflicts('format'))
    .addOption(
      new Option(
        '--table',
        'the latest record of every key, one line per key (default format: %k<TAB>%v); reads from the beginning to the end and exits',
      ).conflicts(['group', 'count']),
    )
    .addOption(
      new Option(
        '--follow',
        'with --table: after the table, print each change as it arrives (a delete has an empty value)',
      ).conflicts('exit'),
    )
    .action(async (name: string, opts: ConsumeOptions, cmd: Command) =>
      consume(ctx, ctx.strata(cmd), name, opts),
    );
}

async function consume(ctx: Context, strata: Strata, topic: string, opts: ConsumeOptions): Promise<void> {
  const spec = parseOffsetSpec(opts.offset ?? 'beginning');
  if (opts.follow && !opts.table)
    throw new UsageError('--follow goes with --table (consume follows by default)');
  if (opts.table) {
    if (spec.kind !== 'beginning')
      throw new UsageError('--table reads from the beginning: -o cannot be used');
    return consumeTable(ctx, strata, topic, opts);
  }
  const format = opts.format ?? '%v';
  // The same on a terminal and in a pipe: the user's format (kcat's -f), or JSON lines.
  const style: RowStyle = opts.json ? 'json' : 'lines';
  const print: PrintRecord = (rec) =>
    ctx.print(style, { rows: [rec], line: (r) => renderFormat(format, r), json: recordToJson });
  if (opts.group !== undefined) {
    if (opts.partition !== undefined)
      throw new UsageError('-p cannot be used with -g: the group assigns partitions');
    if (spec.kind !== 'beginning' && spec.kind !== 'end') {
      throw new UsageError(
        'with -g, -o is beginning or end (where to start when the group has no committed offset)',
      );
    }
    // Fail fast on a missing topic: a group would otherwise wait for it to appear.
    await strata.api.describeTopic(topic);
    return consumeAsGroup(ctx, strata, topic, opts, spec.kind === 'beginning', print);
  }
  return consumePartitions(ctx, strata, topic, opts, spec, print);
}

async function consumePartitions(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: ConsumeOptions,
  spec: OffsetSpec,
  print: PrintRecord,
): Promise<void> {
  const api = strata.api;
  const description = await api.describeTopic(topic);
  const partitions =
    opts.partition !== undefined
      ? description.partitions.filter((p) => p.partition === opts.partition)
      : description.partitions;
  if (partitions.length === 0) {
    throw new StrataClientError(`topic ${topic} has no partition ${opts.partition}`, {
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: false,
      status: 404,
    });
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  ctx.io.signal?.addEventListener('abort', onSignal, { once: true });
  let remaining = opts.count ?? Number.POSITIVE_INFINITY;
  try {
    await Promise.all(
      partitions.map(async (p) => {
        const bounds = { earliest: BigInt(p.earliestOffset), latest: BigInt(p.latestOffset) };
        let tsOffset: bigint | undefined;
        if (spec.kind === 'timestamp') {
          tsOffset = BigInt((await api.listOffset(topic, p.partition, spec.timestamp)).offset);
        }
        let offset = startOffsetFor(spec, bounds, tsOffset);
        let failures = 0;
        while (!stop.signal.aborted && remaining > 0) {
          let res: Awaited<ReturnType<typeof api.fetch>>;
          try {
            res = await api.fetch(
              topic,
              p.partition,
              {
                offset: offset.toString(),
                waitMs: opts.exit ? 0 : 10_000,
                maxBytes: 1024 * 1024,
                encoding: 'base64',
              },
              { signal: stop.signal, retry: false },
            );
            failures = 0;
          } catch (err) {
            if (isAborted(err) || stop.signal.aborted) return;
            if (err instanceof StrataOffsetOutOfRangeError && err.logStartOffset !== undefined) {
              // Retention moved the log start past us: carry on from it.
              offset = BigInt(err.logStartOffset);
              continue;
            }
            if (isRetriable(err) && failures < 10) {
              await sleep(Math.min(5_000, 100 * 2 ** failures++), stop.signal);
              continue;
            }
            throw err;
          }
          for (const r of res.records) {
            if (remaining <= 0 || stop.signal.aborted) break;
            remaining--;
            await print(wireToPrinted(topic, p.partition, r));
            if (remaining <= 0) stop.abort();
          }
          offset = BigInt(res.nextOffset);
          if (opts.exit && offset >= BigInt(res.highWatermark)) return;
        }
      }),
    );
  } finally {
    ctx.io.signal?.removeEventListener('abort', onSignal);
    stop.abort();
  }
}

/**
 * `--table`: the client's table view (strata.table) from the beginning to the high watermark,
 * then one line per key in key order; with --follow, each change after that as it arrives.
 */
async function consumeTable(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: ConsumeOptions,
): Promise<void> {
  const format = opts.format ?? '%k\t%v';
  const style: RowStyle = opts.json ? 'json' : 'lines';
  const print = (rows: PrintedRecord[]) =>
    ctx.print(style, { rows, line: (r) => renderFormat(format, r), json: recordToJson });
  const table = strata.table<KafkaMessage>({
    topic,
    valueDecoder: (_value, message) => message,
    ...(opts.partition !== undefined ? { partitions: [opts.partition] } : {}),
  });
  // The rows as printed records: the table's updates say which partition each came from.
  const rows = new Map<string, PrintedRecord>();
  let following = false;
  let printing = Promise.resolve();
  table.on<TableUpdate<KafkaMessage>>(TABLE_EVENTS.UPDATE, ({ payload: u }) => {
    const rec: PrintedRecord = u.value
      ? messageToPrinted(topic, u.partition, u.value)
      : {
          topic,
          partition: u.partition,
          offset: u.offset,
          timestamp: '',
          key: utf8Encode(u.key),
          value: null,
          headers: {},
        };
    if (u.deleted) rows.delete(u.key);
    else rows.set(u.key, rec);
    if (following) printing = printing.then(() => print([rec]));
  });
  let crashed: unknown;
  table.on<{ error: unknown }>(TABLE_EVENTS.CRASH, (e) => {
    crashed = e.payload.error;
  });
  const stopped = new Promise<void>((resolve) => {
    if (ctx.io.signal?.aborted) resolve();
    ctx.io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    if (opts.partition !== undefined) {
      const description = await strata.api.describeTopic(topic);
      if (!description.partitions.some((p) => p.partition === opts.partition)) {
        throw new StrataClientError(`topic ${topic} has no partition ${opts.partition}`, {
          code: 'UNKNOWN_TOPIC_OR_PARTITION',
          retriable: false,
          status: 404,
        });
      }
    }
    await table.start();
    const interrupted = await Promise.race([table.caughtUp().then(() => false), stopped.then(() => true)]);
    if (interrupted) return;
    await print([...rows.keys()].sort().map((k) => rows.get(k) as PrintedRecord));
    if (!opts.follow) return;
    following = true;
    await Promise.race([
      stopped,
      new Promise<void>((resolve) => table.on(TABLE_EVENTS.CRASH, () => resolve())),
    ]);
    await printing;
    if (crashed !== undefined) throw crashed;
  } finally {
    await table.stop();
  }
}

function messageToPrinted(topic: string, partition: number, m: KafkaMessage): PrintedRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key,
    value: m.value,
    headers: m.headers,
  };
}

async function consumeAsGroup(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: ConsumeOptions,
  fromBeginning: boolean,
  print: PrintRecord,
): Promise<void> {
  const consumer = strata.consumer({
    groupId: opts.group as string,
    ...(opts.exit ? { maxWaitTimeInMs: 200 } : {}),
  });
  const owned = new Set<string>();
  const atEnd = new Set<string>();
  let printed = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    // Nothing after this point is processed (so nothing after it is committed).
    consumer.pause([{ topic }]);
    finish();
  };
  const checkEnd = () => {
    if (opts.exit && owned.size > 0 && [...owned].every((k) => atEnd.has(k))) end();
  };
  type TpPayload = { payload: { partitions: { topic: string; partition: number }[] } };
  consumer.on(CONSUMER_EVENTS.PARTITIONS_ASSIGNED, (e) => {
    for (const tp of (e as TpPayload).payload.partitions) owned.add(`${tp.partition}`);
  });
  const drop = (e: unknown) => {
    for (const tp of (e as TpPayload).payload.partitions) {
      owned.delete(`${tp.partition}`);
      atEnd.delete(`${tp.partition}`);
    }
    checkEnd();
  };
  consumer.on(CONSUMER_EVENTS.PARTITIONS_REVOKED, drop);
  consumer.on(CONSUMER_EVENTS.PARTITIONS_LOST, drop);
  consumer.on(CONSUMER_EVENTS.END_OF_PARTITION, (e) => {
    atEnd.add(`${(e.payload as { partition: number }).partition}`);
    checkEnd();
  });
  const onSignal = () => end();
  ctx.io.signal?.addEventListener('abort', onSignal, { once: true });
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning });
    await consumer.run({
      eachMessage: async ({ partition, message, pause }) => {
        if (done) {
          pause();
          return;
        }
        atEnd.delete(`${partition}`);
        await print({
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers,
        });
        printed++;
        if (opts.count !== undefined && printed >= opts.count) end();
      },
    });
    await finished;
  } finally {
    ctx.io.signal?.removeEventListener('abort', onSignal);
    await consumer.disconnect();
  }
}

function wireToPrinted(
  topic: string,
  partition: number,
  r: {
    offset: string;
    timestamp: string;
    key: string | null;
    value: string | null;
    headers?: Record<string, string | null> | null;
  },
): PrintedRecord {
  const headers: Record<string, Uint8Array | undefined> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = v === null ? undefined : fromBase64(v);
  return {
    topic,
    partition,
    offset: String(r.offset),
    timestamp: String(r.timestamp),
    key: r.key === null || r.key === undefined ? null : fromBase64(r.key),
    value: r.value === null || r.value === undefined ? null : fromBase64(r.value),
    headers,
  };
}
