/** `strata produce`: stdin to a topic, one record per line. */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Strata } from '../../client/strata.js';
import type { RecordMetadata } from '../../client/types.js';
import { collectKeyValue, parseNonNegativeInt } from '../args.js';
import type { Context } from '../context.js';
import { InputError, parseProduceLine } from '../format.js';

interface ProduceOptions {
  keySeparator?: string;
  header?: Record<string, string>;
  partition?: number;
  json?: boolean;
  verbose?: boolean;
}

export function produceCommands(program: Command, ctx: Context): void {
  ctx
    .command(program, 'produce')
    .description('send stdin to a topic, one record per line; prints the offsets')
    .argument('<topic>')
    .option('-K, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'a header on every record (repeatable)', collectKeyValue('-H'))
    .option('-p, --partition <n>', 'send every record to this partition', (v) => parseNonNegativeInt(v, '-p'))
    .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
    .option('-v, --verbose', "print each record's partition and offset as it is acknowledged")
    .action(async (name: string, opts: ProduceOptions, cmd: Command) =>
      produce(ctx, ctx.strata(cmd), name, opts),
    );
}

interface PartitionSummary {
  partition: number;
  first: bigint;
  last: bigint;
  count: number;
}

async function produce(ctx: Context, strata: Strata, topic: string, opts: ProduceOptions): Promise<void> {
  const producer = strata.producer({ linger: 10 });
  const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  // Ctrl-C: stop reading, send what was read, print the summary.
  ctx.io.signal?.addEventListener('abort', () => lines.close(), { once: true });
  // --json describes the input; the output is sentences on a terminal and TSV in a pipe.
  const style = ctx.human ? 'lines' : 'tsv';
  const window: Promise<RecordMetadata[]>[] = [];
  const perPartition = new Map<number, PartitionSummary>();
  let total = 0;
  const settle = async (n: number) => {
    for (const p of window.splice(0, n)) {
      const md = (await p)[0] as RecordMetadata;
      const offset = md.offsets[0] as string;
      total++;
      const o = BigInt(offset);
      const s = perPartition.get(md.partition);
      if (!s) perPartition.set(md.partition, { partition: md.partition, first: o, last: o, count: 1 });
      else {
        if (o < s.first) s.first = o;
        if (o > s.last) s.last = o;
        s.count++;
      }
      if (opts.verbose) {
        await ctx.print(style, {
          rows: [{ partition: md.partition, offset }],
          line: (r) => `partition ${r.partition} offset ${r.offset}`,
          cells: (r) => [r.partition, r.offset],
        });
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
  await ctx.say(`produced ${total} record${total === 1 ? '' : 's'} to ${topic}`);
  await ctx.print(style, {
    rows: [...perPartition.values()].sort((a, b) => a.partition - b.partition),
    line: (s) =>
      `  partition ${s.partition}: ${s.first === s.last ? `offset ${s.first}` : `offsets ${s.first}-${s.last}`} (${s.count})`,
    cells: (s) => [s.partition, String(s.first), String(s.last), s.count],
  });
}
