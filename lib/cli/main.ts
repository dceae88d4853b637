/**
 * The `strata` CLI, built on the client. `bin/strata.ts` gives it the process's streams, env and
 * signals; tests give it their own. Human output (aligned tables, sentences) when stdout is a
 * terminal, machine output (TSV without header, or JSON lines) when it is not.
 * Exit codes: 0 ok, 1 error (`error: CODE: message` on stderr), 2 usage.
 */
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import { fromBase64 } from '../client/bytes.js';
import { CONSUMER_EVENTS } from '../client/consumer.js';
import { StrataClientError, StrataOffsetOutOfRangeError } from '../client/errors.js';
import { isAborted, type RequestSigner } from '../client/http.js';
import { type LogCreator, type LogLevel, logLevel } from '../client/logger.js';
import { isRetriable, sleep } from '../client/retry.js';
import { Strata } from '../client/strata.js';
import type { RecordMetadata } from '../client/types.js';
import {
  collectKeyValue,
  type OffsetSpec,
  parseDatetime,
  parseDuration,
  parseNonNegativeInt,
  parseOffsetSpec,
  parsePositiveInt,
  startOffsetFor,
  UsageError,
} from './args.js';
import {
  InputError,
  type PrintedRecord,
  parseProduceLine,
  renderFormat,
  renderJson,
  renderTable,
  renderTsv,
} from './format.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4510';

export interface CliOutput {
  write(chunk: string): boolean;
  isTTY?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream;
  /** STRATA_ENDPOINT, read by bin/strata.ts. */
  defaultEndpoint?: string;
  /** Aborted on Ctrl-C: following commands stop cleanly. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** The signer for an endpoint (SigV4 for a deployed API; bin/strata.ts), or undefined to send unsigned. */
  requestSigner?: (endpoint: string) => RequestSigner | undefined;
}

interface GlobalOptions {
  endpoint: string;
  debug?: boolean;
}

/** Runs one command line; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const ctx = new Context(io);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    return ctx.fail(err);
  }
}

class Context {
  exitCode = 0;
  constructor(readonly io: CliIO) {}

  get human(): boolean {
    return this.io.stdout.isTTY === true;
  }

  /** Writes to stdout, waiting when the pipe is full. */
  async out(text: string): Promise<void> {
    if (text === '') return;
    if (!this.io.stdout.write(text) && this.io.stdout.once) {
      await new Promise<void>((resolve) => this.io.stdout.once?.('drain', resolve));
    }
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  strata(opts: GlobalOptions): Strata {
    const stderr = this.io.stderr;
    const logCreator: LogCreator = () => (entry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry.log;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      stderr.write(`${entry.label.toLowerCase()}: ${message}${extra}\n`);
    };
    const requestSigner = this.io.requestSigner?.(opts.endpoint);
    return new Strata({
      endpoint: opts.endpoint,
      ...(requestSigner ? { requestSigner } : {}),
      clientId: 'strata-cli',
      logLevel: (opts.debug ? logLevel.DEBUG : logLevel.ERROR) as LogLevel,
      logCreator,
      ...(this.io.fetch ? { fetch: this.io.fetch } : {}),
    });
  }

  fail(err: unknown): number {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return 0;
      return 2;
    }
    if (err instanceof UsageError) {
      this.err(`error: USAGE: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StrataClientError) {
      this.err(`error: ${err.code}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof InputError) {
      this.err(`error: INVALID_INPUT: ${err.message}\n`);
      return 1;
    }
    this.err(`error: UNKNOWN: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

function buildProgram(ctx: Context): Command {
  const program = new Command('strata');
  program
    .description('Strata: a Kafka-model log over HTTP. Topics, produce, consume and consumer groups.')
    .option(
      '--endpoint <url>',
      'API base URL (env STRATA_ENDPOINT)',
      ctx.io.defaultEndpoint && ctx.io.defaultEndpoint !== '' ? ctx.io.defaultEndpoint : DEFAULT_ENDPOINT,
    )
    .option('--debug', 'log client activity on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .exitOverride();

  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
  const sub = (parent: Command, name: string) =>
    parent
      .command(name)
      .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) })
      .exitOverride();

  // -- topic ---------------------------------------------------------------------------------
  const topic = sub(program, 'topic').description('create, list, describe, delete topics; add partitions');

  sub(topic, 'create')
    .description('create a topic')
    .argument('<topic>')
    .option('-p, --partitions <n>', 'number of partitions', (v) => parsePositiveInt(v, '--partitions'), 1)
    .option(
      '-c, --config <key=value>',
      'topic config (repeatable), e.g. retention.ms=86400000',
      collectKeyValue('--config'),
    )
    .option('--if-not-exists', 'succeed when the topic already exists')
    .action(
      async (
        name: string,
        opts: { partitions: number; config?: Record<string, string>; ifNotExists?: boolean },
        cmd: Command,
      ) => {
        const strata = ctx.strata(globals(cmd));
        try {
          await strata.api.createTopic(name, opts.partitions, opts.config);
        } catch (err) {
          if (opts.ifNotExists && err instanceof StrataClientError && err.code === 'TOPIC_ALREADY_EXISTS') {
            if (ctx.human) await ctx.out(`topic ${name} already exists\n`);
            return;
          }
          throw err;
        }
        if (ctx.human)
          await ctx.out(
            `created topic ${name} with ${opts.partitions} partition${opts.partitions === 1 ? '' : 's'}\n`,
          );
      },
    );

  sub(topic, 'list')
    .description('list topics (NAME PARTITIONS)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { topics } = await ctx.strata(globals(cmd)).api.listTopics();
      const sorted = [...topics].sort((a, b) => a.name.localeCompare(b.name));
      if (opts.json) await ctx.out(sorted.map((t) => `${JSON.stringify(t)}\n`).join(''));
      else if (ctx.human) {
        await ctx.out(
          sorted.length === 0
            ? 'no topics\n'
            : renderTable(
                ['NAME', 'PARTITIONS'],
                sorted.map((t) => [t.name, t.partitions]),
              ),
        );
      } else await ctx.out(renderTsv(sorted.map((t) => [t.name, t.partitions])));
    });

  sub(topic, 'describe')
    .description('show partitions (PARTITION EARLIEST-OFFSET LATEST-OFFSET RECORDS) and config')
    .argument('<topic>')
    .option('--json', 'the description as one JSON object')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await ctx.strata(globals(cmd)).api.describeTopic(name);
      const rows = d.partitions.map((p) => [
        p.partition,
        p.earliestOffset,
        p.latestOffset,
        String(BigInt(p.latestOffset) - BigInt(p.earliestOffset)),
      ]);
      if (opts.json) await ctx.out(`${JSON.stringify(d)}\n`);
      else if (ctx.human) {
        const config = Object.entries(d.config ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        await ctx.out(`topic ${d.name}: ${d.partitions.length} partitions${config ? `; ${config}` : ''}\n`);
        await ctx.out(renderTable(['PARTITION', 'EARLIEST-OFFSET', 'LATEST-OFFSET', 'RECORDS'], rows));
      } else await ctx.out(renderTsv(rows));
    });

  sub(topic, 'delete')
    .description('delete a topic (its data becomes unreachable at once)')
    .argument('<topic>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await ctx.strata(globals(cmd)).api.deleteTopic(name);
      if (ctx.human) await ctx.out(`deleted topic ${name}\n`);
    });

  sub(topic, 'add-partitions')
    .description('add partitions to a topic')
    .argument('<topic>')
    .option('-n, --num <n>', 'partitions to add', (v) => parsePositiveInt(v, '--num'))
    .option('--total <n>', 'the new total instead', (v) => parsePositiveInt(v, '--total'))
    .action(async (name: string, opts: { num?: number; total?: number }, cmd: Command) => {
      if ((opts.num === undefined) === (opts.total === undefined))
        throw new UsageError('give exactly one of -n <add> or --total <count>');
      const strata = ctx.strata(globals(cmd));
      let total = opts.total as number;
      if (opts.num !== undefined) total = (await strata.api.describeTopic(name)).partitions.length + opts.num;
      await strata.api.setPartitionCount(name, total);
      if (ctx.human) await ctx.out(`topic ${name} now has ${total} partitions\n`);
    });

  // -- produce -------------------------------------------------------------------------------
  sub(program, 'produce')
    .description('send stdin to a topic, one record per line; prints the offsets')
    .argument('<topic>')
    .option('-K, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'a header on every record (repeatable)', collectKeyValue('-H'))
    .option('-p, --partition <n>', 'send every record to this partition', (v) => parseNonNegativeInt(v, '-p'))
    .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
    .option('-v, --verbose', "print each record's partition and offset as it is acknowledged")
    .action(
      async (
        name: string,
        opts: {
          keySeparator?: string;
          header?: Record<string, string>;
          partition?: number;
          json?: boolean;
          verbose?: boolean;
        },
        cmd: Command,
      ) => produce(ctx, ctx.strata(globals(cmd)), name, opts),
    );

  // -- consume -------------------------------------------------------------------------------
  sub(program, 'consume')
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
    .action(async (name: string, opts: ConsumeOptions, cmd: Command) =>
      consume(ctx, ctx.strata(globals(cmd)), name, opts),
    );

  // -- group ---------------------------------------------------------------------------------
  const group = sub(program, 'group').description('list, describe, reset and delete consumer groups');

  sub(group, 'list')
    .description('list groups (GROUP STATE MEMBERS)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { groups } = await ctx.strata(globals(cmd)).api.listGroups();
      const sorted = [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId));
      const rows = sorted.map((g) => [g.groupId, g.state, g.members]);
      if (opts.json) await ctx.out(sorted.map((g) => `${JSON.stringify(g)}\n`).join(''));
      else if (ctx.human)
        await ctx.out(sorted.length === 0 ? 'no groups\n' : renderTable(['GROUP', 'STATE', 'MEMBERS'], rows));
      else await ctx.out(renderTsv(rows));
    });

  sub(group, 'describe')
    .description('per partition: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID')
    .argument('<group>')
    .option('--json', 'one JSON object per partition')
    .action(async (groupId: string, opts: { json?: boolean }, cmd: Command) =>
      describeGroup(ctx, ctx.strata(globals(cmd)), groupId, opts),
    );

  sub(group, 'reset')
    .description('reset committed offsets of an empty group; a dry run unless --execute')
    .argument('<group>')
    .requiredOption('--topic <topic>', 'the topic whose offsets to reset')
    .option('--to-earliest', 'to the log start')
    .option('--to-latest', 'to the log end')
    .option('--to-datetime <when>', 'to the first offset at or after this time (ISO 8601 or epoch ms)')
    .option('--to-offset <offset>', 'to this offset')
    .option('--by-duration <duration>', 'to the first offset at or after now minus this (PT10M, 10m, 1h30m)')
    .option('--partitions <list>', 'only these partitions, e.g. 0,2')
    .option('--execute', 'apply the reset (without it nothing changes)')
    .option('--json', 'one JSON object per partition')
    .action(async (groupId: string, opts: ResetOptions, cmd: Command) =>
      resetGroup(ctx, ctx.strata(globals(cmd)), groupId, opts),
    );

  sub(group, 'delete')
    .description('delete an empty group and its committed offsets')
    .argument('<group>')
    .action(async (groupId: string, _opts: unknown, cmd: Command) => {
      await ctx.strata(globals(cmd)).api.deleteGroup(groupId);
      if (ctx.human) await ctx.out(`deleted group ${groupId}\n`);
    });

  return program;
}

// -- produce ---------------------------------------------------------------------------------

async function produce(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: {
    keySeparator?: string;
    header?: Record<string, string>;
    partition?: number;
    json?: boolean;
    verbose?: boolean;
  },
): Promise<void> {
  const producer = strata.producer({ linger: 10 });
  const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  // Ctrl-C: stop reading, send what was read, print the summary.
  ctx.io.signal?.addEventListener('abort', () => lines.close(), { once: true });
  const window: Promise<RecordMetadata[]>[] = [];
  const perPartition = new Map<number, { first: bigint; last: bigint; count: number }>();
  let total = 0;
  const settle = async (n: number) => {
    for (const p of window.splice(0, n)) {
      const md = (await p)[0] as RecordMetadata;
      const offset = md.offsets[0] as string;
      total++;
      const o = BigInt(offset);
      const s = perPartition.get(md.partition);
      if (!s) perPartition.set(md.partition, { first: o, last: o, count: 1 });
      else {
        if (o < s.first) s.first = o;
        if (o > s.last) s.last = o;
        s.count++;
      }
      if (opts.verbose) {
        await ctx.out(
          ctx.human ? `partition ${md.partition} offset ${offset}\n` : `${md.partition}\t${offset}\n`,
        );
      }
    }
  };
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (ctx.io.signal?.aborted) break;
      let rec: ReturnType<typeof parseProduceLine>;
      try {
        rec = parseProduceLine(line, {
          ...(opts.keySeparator !== undefined ? { keySeparator: opts.keySeparator } : {}),
          ...(opts.json ? { json: true } : {}),
          ...(opts.header ? { headers: opts.header } : {}),
          ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
        });
      } catch (err) {
        throw new InputError(`line ${lineNo}: ${(err as Error).message}`);
      }
      if (!rec) continue;
      const p = producer.send({
        topic,
        messages: [
          {
            key: rec.key,
            value: rec.value,
            ...(Object.keys(rec.headers).length > 0 ? { headers: rec.headers } : {}),
            ...(rec.partition !== undefined ? { partition: rec.partition } : {}),
            ...(rec.timestamp !== undefined ? { timestamp: rec.timestamp } : {}),
          },
        ],
      });
      p.catch(() => {});
      window.push(p);
      // Print as acknowledgements come in with -v; bound the records held in memory otherwise.
      if (window.length >= (opts.verbose ? 64 : 10_000)) await settle(window.length >> 1);
    }
    await settle(window.length);
  } catch (err) {
    await Promise.allSettled(window);
    await producer.disconnect();
    throw err;
  } finally {
    lines.close();
  }
  await producer.disconnect();
  if (opts.verbose) return;
  const rows = [...perPartition].sort((a, b) => a[0] - b[0]);
  if (ctx.human) {
    await ctx.out(`produced ${total} record${total === 1 ? '' : 's'} to ${topic}\n`);
    for (const [partition, s] of rows) {
      const range = s.first === s.last ? `offset ${s.first}` : `offsets ${s.first}-${s.last}`;
      await ctx.out(`  partition ${partition}: ${range} (${s.count})\n`);
    }
  } else {
    await ctx.out(
      renderTsv(rows.map(([partition, s]) => [partition, String(s.first), String(s.last), s.count])),
    );
  }
}

// -- consume ---------------------------------------------------------------------------------

interface ConsumeOptions {
  offset?: string;
  partition?: number;
  group?: string;
  exit?: boolean;
  count?: number;
  format?: string;
  json?: boolean;
}

async function consume(ctx: Context, strata: Strata, topic: string, opts: ConsumeOptions): Promise<void> {
  const spec = parseOffsetSpec(opts.offset ?? 'beginning');
  const format = opts.format ?? '%v';
  const render = (rec: PrintedRecord) => `${opts.json ? renderJson(rec) : renderFormat(format, rec)}\n`;
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
    return consumeAsGroup(ctx, strata, topic, opts, spec.kind === 'beginning', render);
  }
  return consumePartitions(ctx, strata, topic, opts, spec, render);
}

async function consumePartitions(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: ConsumeOptions,
  spec: OffsetSpec,
  render: (rec: PrintedRecord) => string,
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
            await ctx.out(render(wireToConsumed(topic, p.partition, r)));
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

async function consumeAsGroup(
  ctx: Context,
  strata: Strata,
  topic: string,
  opts: ConsumeOptions,
  fromBeginning: boolean,
  render: (rec: PrintedRecord) => string,
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
        await ctx.out(
          render({
            topic,
            partition,
            offset: message.offset,
            timestamp: message.timestamp,
            key: message.key,
            value: message.value,
            headers: message.headers,
          }),
        );
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

function wireToConsumed(
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

// -- group -----------------------------------------------------------------------------------

async function describeGroup(
  ctx: Context,
  strata: Strata,
  groupId: string,
  opts: { json?: boolean },
): Promise<void> {
  const d = await strata.api.describeGroup(groupId);
  const owner = new Map<string, string>();
  for (const m of d.members ?? []) {
    for (const a of m.assignment ?? [])
      for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m.memberId);
  }
  type Row = {
    topic: string;
    partition: number;
    committed: string | null;
    logEnd: string | null;
    lag: string | null;
  };
  const rows: Row[] = (d.offsets ?? []).map((o) => {
    let lag = o.lag ?? null;
    if (lag === null && o.committedOffset !== null && o.logEndOffset !== null) {
      lag = String(BigInt(o.logEndOffset) - BigInt(o.committedOffset));
    }
    return {
      topic: o.topic,
      partition: o.partition,
      committed: o.committedOffset ?? null,
      logEnd: o.logEndOffset ?? null,
      lag,
    };
  });
  // Assigned partitions with nothing committed yet still get a row, as kafka-consumer-groups shows them.
  const seen = new Set(rows.map((r) => `${r.topic}\u0000${r.partition}`));
  const missing = [...owner.keys()].filter((k) => !seen.has(k));
  const logEnds = new Map<string, string>();
  for (const t of new Set(missing.map((k) => k.split('\u0000')[0] as string))) {
    const td = await strata.api.describeTopic(t).catch(() => undefined);
    for (const p of td?.partitions ?? []) logEnds.set(`${t}\u0000${p.partition}`, p.latestOffset);
  }
  for (const k of missing) {
    const [t, p] = k.split('\u0000') as [string, string];
    rows.push({ topic: t, partition: Number(p), committed: null, logEnd: logEnds.get(k) ?? null, lag: null });
  }
  rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  if (opts.json) {
    await ctx.out(
      rows
        .map(
          (r) =>
            `${JSON.stringify({
              group: groupId,
              topic: r.topic,
              partition: r.partition,
              currentOffset: r.committed,
              logEndOffset: r.logEnd,
              lag: r.lag,
              consumerId: owner.get(`${r.topic}\u0000${r.partition}`) ?? null,
            })}\n`,
        )
        .join(''),
    );
    return;
  }
  const table = rows.map((r) => [
    groupId,
    r.topic,
    r.partition,
    r.committed ?? '-',
    r.logEnd ?? '-',
    r.lag ?? '-',
    owner.get(`${r.topic}\u0000${r.partition}`) ?? '-',
  ]);
  if (ctx.human) {
    if ((d.members ?? []).length === 0)
      await ctx.out(`group ${groupId} has no active members (state ${d.state})\n\n`);
    await ctx.out(
      renderTable(
        ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID'],
        table,
      ),
    );
  } else await ctx.out(renderTsv(table));
}

interface ResetOptions {
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: string;
  toOffset?: string;
  byDuration?: string;
  partitions?: string;
  execute?: boolean;
  json?: boolean;
}

async function resetGroup(ctx: Context, strata: Strata, groupId: string, opts: ResetOptions): Promise<void> {
  const targets = [opts.toEarliest, opts.toLatest, opts.toDatetime, opts.toOffset, opts.byDuration].filter(
    (v) => v !== undefined && v !== false,
  );
  if (targets.length !== 1) {
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --by-duration',
    );
  }
  let to: 'earliest' | 'latest' | 'timestamp' | 'offset';
  let value: string | undefined;
  if (opts.toEarliest) to = 'earliest';
  else if (opts.toLatest) to = 'latest';
  else if (opts.toDatetime !== undefined) {
    to = 'timestamp';
    value = String(parseDatetime(opts.toDatetime));
  } else if (opts.byDuration !== undefined) {
    to = 'timestamp';
    value = String(Date.now() - parseDuration(opts.byDuration));
  } else {
    to = 'offset';
    value = String(parseNonNegativeInt(opts.toOffset as string, '--to-offset'));
  }
  let partitions: number[] | undefined;
  if (opts.partitions !== undefined) {
    partitions = opts.partitions.split(',').map((p) => parseNonNegativeInt(p, '--partitions'));
  }
  const res = await strata.api.resetGroupOffsets(groupId, {
    topic: opts.topic,
    to,
    ...(value !== undefined ? { value } : {}),
    dryRun: !opts.execute,
    ...(partitions ? { partitions } : {}),
  });
  const rows = [...res.offsets].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  if (opts.json) {
    await ctx.out(
      rows.map((r) => `${JSON.stringify({ group: groupId, ...r, dryRun: !opts.execute })}\n`).join(''),
    );
  } else {
    const table = rows.map((r) => [groupId, r.topic, r.partition, r.before ?? '-', r.after]);
    if (ctx.human)
      await ctx.out(renderTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], table));
    else await ctx.out(renderTsv(table));
  }
  if (!opts.execute) ctx.err('dry run: nothing changed (add --execute to apply)\n');
}
