/**
 * The `strata` CLI, built on the client. `bin/strata.ts` gives it the process's streams, env and
 * signals; tests give it their own. Human output (aligned tables, sentences) when stdout is a
 * terminal, machine output (TSV without header, or JSON lines) when it is not; every command
 * prints its rows through Context.print (lib/cli/format.ts renders them). One file per noun
 * under commands/.
 * Exit codes: 0 ok, 1 error (`error: CODE: message` on stderr), 2 usage.
 */
import { Command } from 'commander';
import { aclCommands } from './commands/acl.js';
import { consumeCommands } from './commands/consume.js';
import { groupCommands } from './commands/group.js';
import { produceCommands } from './commands/produce.js';
import { topicCommands } from './commands/topic.js';
import { userCommands } from './commands/user.js';
import { type CliIO, type CommandGroup, Context, DEFAULT_ENDPOINT } from './context.js';

export { type CliIO, type CliOutput, DEFAULT_ENDPOINT } from './context.js';

/** The nouns, in the order --help lists them. */
const COMMANDS: readonly CommandGroup[] = [
  topicCommands,
  produceCommands,
  consumeCommands,
  groupCommands,
  aclCommands,
  userCommands,
];

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

function buildProgram(ctx: Context): Command {
  const program = new Command('strata');
  program
    .description('Strata: a Kafka-model log over HTTP. Topics, produce, consume, consumer groups and ACLs.')
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
  for (const register of COMMANDS) register(program, ctx);
  return program;
}
