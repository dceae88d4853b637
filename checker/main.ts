/**
 * `npm run check:faults -- [--workload http|kafka] [--compacted] --ops N --faults all|none|<list>
 * [--no-idempotence] [--break-commit] [--seed S] [--json]`: a Jepsen-style queue run against an in-process local stack, with faults
 * injected into the engine's AWS SDK clients. Exit code 1 when a must-be-zero anomaly is found.
 * See docs/checker.md.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { FAULT_CLASSES, parseFaults } from './nemesis.js';
import { formatReport, jsonReport } from './report.js';
import { runChecker } from './run.js';

const positiveInt = (raw: string) => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const probability = (raw: string) => {
  const n = Number(raw);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be in (0, 1]');
  return n;
};
const faultSpec = (raw: string) => {
  try {
    return parseFaults(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const program = new Command()
  .name('check:faults')
  .description('Jepsen-style queue workload against a local Strata stack, with AWS faults injected')
  .option('--ops <n>', 'operations to invoke (sends and polls)', positiveInt, 1000)
  .option(
    '--workload <kind>',
    'http (the HTTP API in-process) or kafka (the Kafka protocol through gateway processes, a classic group)',
    (raw: string) => {
      if (raw !== 'http' && raw !== 'kafka') throw new InvalidArgumentError('must be http or kafka');
      return raw;
    },
    'http',
  )
  .option(
    '--compacted',
    'http workload on a compacted topic: keyed records, tombstones, two compactors racing (docs/checker.md)',
  )
  .option('--gateways <n>', 'kafka workload: gateway processes (default 2)', positiveInt)
  .option('--members <n>', 'kafka workload: consumer group members (default 3)', positiveInt)
  .option('--no-kill', 'kafka workload: never SIGKILL a gateway')
  .option('--faults <list>', `all, none, or a comma list of: ${FAULT_CLASSES.join(', ')}`, faultSpec, [
    ...FAULT_CLASSES,
  ])
  .option(
    '--fault-probability <p>',
    'chance a matching request is faulted while its class is active (default 0.2)',
    probability,
  )
  .option('--no-idempotence', 'every producer plain (retries may duplicate)')
  .option('--break-commit', 'TEST ONLY: drop the commit conditions; producers contend on partition 0')
  .option('--seed <n>', 'seed for every random choice (timing stays nondeterministic)', positiveInt)
  .option('--partitions <n>', 'partitions of the topic (default 4; 1 with --break-commit)', positiveInt)
  .option(
    '--client-timeout <ms>',
    'HTTP client timeout; a timed-out send is indefinite (default 5000)',
    positiveInt,
  )
  .option(
    '--engines <n>',
    'engines (Lambda instances) behind the server, each with its own caches (default 1)',
    positiveInt,
  )
  .option('--time-limit <s>', 'stop invoking operations after this many seconds', positiveInt)
  .option('--history <file>', 'save the full history (JSON) to this file')
  .option('--json', 'print the report as JSON')
  .option('--server-logs', "print the server's 5xx logs (counted otherwise)")
  .parse();

const opts = program.opts<{
  ops: number;
  workload: 'http' | 'kafka';
  compacted?: boolean;
  gateways?: number;
  members?: number;
  kill: boolean;
  faults: ReturnType<typeof parseFaults>;
  idempotence: boolean;
  breakCommit?: boolean;
  seed?: number;
  partitions?: number;
  engines?: number;
  timeLimit?: number;
  clientTimeout?: number;
  faultProbability?: number;
  history?: string;
  json?: boolean;
  serverLogs?: boolean;
}>();

const result = await runChecker({
  ops: opts.ops,
  workload: opts.workload,
  compacted: opts.compacted ?? false,
  ...(opts.gateways !== undefined ? { gateways: opts.gateways } : {}),
  ...(opts.members !== undefined ? { members: opts.members } : {}),
  ...(opts.kill ? {} : { killEveryMs: null }),
  faults: opts.faults,
  idempotence: opts.idempotence,
  breakCommit: opts.breakCommit ?? false,
  ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  ...(opts.partitions !== undefined ? { partitions: opts.partitions } : {}),
  ...(opts.engines !== undefined ? { engines: opts.engines } : {}),
  ...(opts.faultProbability !== undefined ? { nemesis: { probability: opts.faultProbability } } : {}),
  ...(opts.clientTimeout !== undefined ? { clientTimeoutMs: opts.clientTimeout } : {}),
  ...(opts.timeLimit !== undefined ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
  serverLogs: opts.serverLogs ?? false,
  log: opts.json ? () => {} : (m) => process.stderr.write(`${m}\n`),
});
if (opts.history) await writeFile(opts.history, JSON.stringify(result.history));
process.stdout.write(`${opts.json ? JSON.stringify(jsonReport(result), null, 2) : formatReport(result)}\n`);
process.exitCode = result.valid ? 0 : 1;
