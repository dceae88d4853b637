/** `strata topic create | list | describe | alter | delete | add-partitions`. */
import type { Command } from 'commander';
import { StrataClientError } from '../../client/errors.js';
import { collectKeyValue, collectList, parsePositiveInt, UsageError } from '../args.js';
import type { Context } from '../context.js';

export function topicCommands(program: Command, ctx: Context): void {
  const topic = ctx
    .command(program, 'topic')
    .description('create, list, describe, alter, delete topics; add partitions');

  ctx
    .command(topic, 'create')
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
        const strata = ctx.strata(cmd);
        try {
          await strata.api.createTopic(name, opts.partitions, opts.config);
        } catch (err) {
          if (opts.ifNotExists && err instanceof StrataClientError && err.code === 'TOPIC_ALREADY_EXISTS') {
            await ctx.say(`topic ${name} already exists`);
            return;
          }
          throw err;
        }
        await ctx.say(
          `created topic ${name} with ${opts.partitions} partition${opts.partitions === 1 ? '' : 's'}`,
        );
      },
    );

  ctx
    .command(topic, 'list')
    .description('list topics (NAME PARTITIONS)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { topics } = await ctx.strata(cmd).api.listTopics();
      await ctx.print(ctx.listing(opts.json), {
        rows: [...topics].sort((a, b) => a.name.localeCompare(b.name)),
        columns: ['NAME', 'PARTITIONS'],
        cells: (t) => [t.name, t.partitions],
        empty: 'no topics',
      });
    });

  ctx
    .command(topic, 'describe')
    .description('show partitions (PARTITION EARLIEST-OFFSET LATEST-OFFSET RECORDS) and config')
    .argument('<topic>')
    .option('--json', 'the description as one JSON object')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await ctx.strata(cmd).api.describeTopic(name);
      // --json: the whole description is the one row.
      if (opts.json) return ctx.print('json', { rows: [d] });
      const config = Object.entries(d.config ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      await ctx.say(`topic ${d.name}: ${d.partitions.length} partitions${config ? `; ${config}` : ''}`);
      await ctx.print(ctx.listing(false), {
        rows: d.partitions,
        columns: ['PARTITION', 'EARLIEST-OFFSET', 'LATEST-OFFSET', 'RECORDS'],
        cells: (p) => [
          p.partition,
          p.earliestOffset,
          p.latestOffset,
          String(BigInt(p.latestOffset) - BigInt(p.earliestOffset)),
        ],
      });
    });

  ctx
    .command(topic, 'alter')
    .description("change a topic's configs; the others keep their values (kafka-configs --alter)")
    .argument('<topic>')
    .option(
      '-c, --config <key=value>',
      'set a config (repeatable), e.g. cleanup.policy=compact',
      collectKeyValue('--config'),
    )
    .option('--delete-config <key>', 'return a config to its default (repeatable)', collectList, [])
    .option('--dry-run', 'validate the change, store nothing')
    .action(
      async (
        name: string,
        opts: { config?: Record<string, string>; deleteConfig: string[]; dryRun?: boolean },
        cmd: Command,
      ) => {
        const changes = [
          ...Object.entries(opts.config ?? {}).map(([k, value]) => ({ name: k, op: 'set' as const, value })),
          ...opts.deleteConfig.map((k) => ({ name: k, op: 'delete' as const })),
        ];
        if (changes.length === 0) throw new UsageError('give at least one --config or --delete-config');
        const res = await ctx
          .strata(cmd)
          .api.alterTopicConfigs(name, { changes, ...(opts.dryRun ? { validateOnly: true } : {}) });
        const shown = changes.map((c) => `${c.name}=${res.config[c.name] ?? ''}`).join(' ');
        await ctx.say(`${opts.dryRun ? 'would alter' : 'altered'} topic ${name}: ${shown}`);
      },
    );

  ctx
    .command(topic, 'delete')
    .description('delete a topic (its data becomes unreachable at once)')
    .argument('<topic>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await ctx.strata(cmd).api.deleteTopic(name);
      await ctx.say(`deleted topic ${name}`);
    });

  ctx
    .command(topic, 'add-partitions')
    .description('add partitions to a topic')
    .argument('<topic>')
    .option('-n, --num <n>', 'partitions to add', (v) => parsePositiveInt(v, '--num'))
    .option('--total <n>', 'the new total instead', (v) => parsePositiveInt(v, '--total'))
    .action(async (name: string, opts: { num?: number; total?: number }, cmd: Command) => {
      if ((opts.num === undefined) === (opts.total === undefined))
        throw new UsageError('give exactly one of -n <add> or --total <count>');
      const strata = ctx.strata(cmd);
      let total = opts.total as number;
      if (opts.num !== undefined) total = (await strata.api.describeTopic(name)).partitions.length + opts.num;
      await strata.api.setPartitionCount(name, total);
      await ctx.say(`topic ${name} now has ${total} partitions`);
    });
}
