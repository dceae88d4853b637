import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';
import type { EngineConfig } from '../../lib/engine/config.js';

/**
 * The `strata` CLI as a child process (node bin/strata.js), for the tests of `strata gateway`:
 * its stdout read line by line (a line can be waited on), its stderr kept for failure messages,
 * and every child killed (and waited for) after the file.
 */
export interface StrataProcess {
  readonly child: ChildProcess;
  /** The first stdout line (seen so far or later) that matches; rejects when the process exits or `timeoutMs` pass first. */
  lineMatching(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stderr(): string;
}

const children = new Set<ChildProcess>();

/** SIGKILLs, in afterAll, every `strata` child of this file that is still running, and waits for each to exit. */
export function killStrataAfterAll(): void {
  afterAll(async () => {
    const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
    const exits = running.map((c) => once(c, 'exit'));
    for (const c of running) c.kill('SIGKILL');
    await Promise.all(exits);
    children.clear();
  });
}

export function spawnStrata(args: readonly string[], env: Record<string, string> = {}): StrataProcess {
  const child = spawn(process.execPath, ['bin/strata.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  let exit: string | undefined;
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  child.once('exit', (code, signal) => {
    exit = String(code ?? signal);
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    stderr: () => stderr,
    lineMatching(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        const check = () => {
          for (const line of lines) {
            const m = line.match(pattern);
            if (m) {
              clearTimeout(timer);
              return resolve(m);
            }
          }
          if (exit !== undefined) {
            clearTimeout(timer);
            return reject(
              new Error(`exited with ${exit} before printing ${pattern}: ${stderr.slice(-2000)}`),
            );
          }
          waiters.push(check);
        };
        check();
      });
    },
  };
}

/** The environment `strata gateway` reads to serve `config`'s tables and bucket on the test emulators, on a free port. */
export function gatewayEnv(
  config: Pick<EngineConfig, 'metaTable' | 'indexTable' | 'bucket' | 'dynamodbEndpoint' | 's3Endpoint'>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    STRATA_META_TABLE: config.metaTable,
    STRATA_INDEX_TABLE: config.indexTable,
    STRATA_BUCKET: config.bucket,
    DYNAMODB_ENDPOINT: config.dynamodbEndpoint ?? '',
    S3_ENDPOINT: config.s3Endpoint ?? '',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    STRATA_KAFKA_PORT: '0',
    ...extra,
  };
}

/** `strata gateway` over `config`'s tables, started: the process and the address it advertises. */
export async function startGatewayProcess(
  config: Parameters<typeof gatewayEnv>[0],
  extra: Record<string, string> = {},
): Promise<{ proc: StrataProcess; bootstrap: string }> {
  const proc = spawnStrata(['gateway'], gatewayEnv(config, extra));
  const [, bootstrap] = await proc.lineMatching(/advertised as (\S+)/);
  return { proc, bootstrap: bootstrap as string };
}
