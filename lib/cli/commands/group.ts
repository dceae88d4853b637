/** `strata group list | describe | reset | delete`, after kafka-consumer-groups. */
import type { Command } from 'commander';
import type { Strata } from '../../client/strata.js';
import { parseDatetime, parseDuration, parseNonNegativeInt, UsageError } from '../args.js';
import type { Context } from '../context.js';

export function groupCommands(program: Command, ctx: Context): void {
  const group = ctx.command(program, 'group').description('list, describe, reset and delete consumer groups');

  ctx
    .command(group, 'list')
    .description('list groups (GROUP STATE MEMBERS)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { groups } = await ctx.strata(cmd).api.listGroups();
      await ctx.print(ctx.listing(opts.json), {
        rows: [...groups].sort((a, b) => a.groupId.localeCompare(b.groupId)),
        columns: ['GROUP', 'STATE', 'MEMBERS'],
        cells: (g) => [g.groupId, g.state, g.members],
        empty: 'no groups',
      });
    });

  ctx
    .command(group, 'describe')
    .description('per partition: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID')
    .argument('<group>')
    .option('--json', 'one JSON object per partition')
    .action(async (groupId: string, opts: { json?: boolean }, cmd: Command) =>
      describeGroup(ctx, ctx.strata(cmd), groupId, opts),
    );

  ctx
    .command(group, 'reset')
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
      resetGroup(ctx, ctx.strata(cmd), groupId, opts),
    );

  ctx
    .command(group, 'delete')
    .description('delete an empty group and its committed offsets')
    .argument('<group>')
    .action(async (groupId: string, _opts: unknown, cmd: Command) => {
      await ctx.strata(cmd).api.deleteGroup(groupId);
      await ctx.say(`deleted group ${groupId}`);
    });
}

interface PartitionRow {
  topic: string;
  partition: number;
  committed: string | null;
  logEnd: string | null;
  lag: string | null;
}

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
  const rows: PartitionRow[] = (d.offsets ?? []).map((o) => {
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
  const consumerId = (r: PartitionRow) => owner.get(`${r.topic}\u0000${r.partition}`);
  const style = ctx.listing(opts.json);
  if (style === 'table' && (d.members ?? []).length === 0)
    await ctx.out(`group ${groupId} has no active members (state ${d.state})\n\n`);
  await ctx.print(style, {
    rows,
    columns: ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID'],
    cells: (r) => [
      groupId,
      r.topic,
      r.partition,
      r.committed ?? '-',
      r.logEnd ?? '-',
      r.lag ?? '-',
      consumerId(r) ?? '-',
    ],
    json: (r) => ({
      group: groupId,
      topic: r.topic,
      partition: r.partition,
      currentOffset: r.committed,
      logEndOffset: r.logEnd,
      lag: r.lag,
      consumerId: consumerId(r) ?? null,
    }),
  });
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
  await ctx.print(ctx.listing(opts.json), {
    rows: [...res.offsets].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    columns: ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
    cells: (r) => [groupId, r.topic, r.partition, r.before ?? '-', r.after],
    json: (r) => ({ group: groupId, ...r, dryRun: !opts.execute }),
  });
  if (!opts.execute) ctx.err('dry run: nothing changed (add --execute to apply)\n');
}
