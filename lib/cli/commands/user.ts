/** `strata user create | list | delete`: the SASL users of the Kafka gateway. */
import type { Command } from 'commander';
import { UsageError } from '../args.js';
import type { Context } from '../context.js';

/** Everything on stdin, less one trailing newline (what `echo pw |` adds). */
async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function userCommands(program: Command, ctx: Context): void {
  const user = ctx
    .command(program, 'user')
    .description('create, list, delete SASL users of the Kafka gateway');

  ctx
    .command(user, 'create')
    .description('create a user, or set its password (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512)')
    .argument('<name>')
    .option('--password <password>', 'the password (visible to other local users: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option(
      '--mechanism <mechanism>',
      'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default both)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(
      async (
        name: string,
        opts: { password?: string; passwordStdin?: boolean; mechanism?: string[] },
        cmd: Command,
      ) => {
        if ((opts.password === undefined) === !opts.passwordStdin)
          throw new UsageError('give exactly one of --password <p> or --password-stdin');
        const password = opts.passwordStdin ? await readStdin(ctx.io.stdin) : (opts.password as string);
        for (const m of opts.mechanism ?? []) {
          if (m !== 'SCRAM-SHA-256' && m !== 'SCRAM-SHA-512')
            throw new UsageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got ${m}`);
        }
        const res = await ctx.strata(cmd).api.createUser({
          name,
          password,
          ...(opts.mechanism ? { mechanisms: opts.mechanism as ('SCRAM-SHA-256' | 'SCRAM-SHA-512')[] } : {}),
        });
        await ctx.say(`user ${res.name}: ${res.mechanisms.map((m) => m.mechanism).join(', ')}`);
      },
    );

  ctx
    .command(user, 'list')
    .description('list users (NAME MECHANISMS); no secret is ever shown')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { users } = await ctx.strata(cmd).api.listUsers();
      await ctx.print(ctx.listing(opts.json), {
        rows: [...users].sort((a, b) => a.name.localeCompare(b.name)),
        columns: ['NAME', 'MECHANISMS'],
        cells: (u) => [u.name, u.mechanisms.map((m) => `${m.mechanism}:${m.iterations}`).join(',')],
        empty: 'no users',
      });
    });

  ctx
    .command(user, 'delete')
    .description('delete a user and its credentials')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await ctx.strata(cmd).api.deleteUser(name);
      await ctx.say(`deleted user ${name}`);
    });
}
