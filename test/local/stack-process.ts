import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` as a separate process, for tests that kill it. Process facts come from /proc directly,
 * not from local/data-dir-lock.ts, so that a bug there cannot hide here.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StackProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs local/main.ts as `npm start` does (tsx), in its own process group, as a terminal would. */
export function spawnStack(dataDir: string, extraEnv: Record<string, string> = {}): StackProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STRATA_DATA_DIR: dataDir,
    STRATA_PORT: '0',
    STRATA_KAFKA_PORT: '0',
    STRATA_MAINTENANCE_INTERVAL_MS: '0',
    ...extraEnv,
  };
  delete env.S3_ENDPOINT;
  delete env.DYNAMODB_ENDPOINT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('cannot spawn the local stack');
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, exited };
}

/** A test's cleanup: SIGTERM to `stack` if it still runs (then its exit), and `dataDir` removed. */
export async function stopStackAndRemove(
  stack: StackProcess | undefined,
  dataDir: string | undefined,
): Promise<void> {
  if (stack && stack.child.exitCode === null) {
    process.kill(stack.pid, 'SIGTERM');
    await stack.exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

const SERVING = /serving the HTTP API on (http:\/\/\S+)/;

/**
 * Resolves with the stack's URL once it has said it serves (it says so after it listens) and
 * /healthz answers 200; rejects if the stack exits first, or at the deadline.
 */
export async function waitUntilServing(stack: StackProcess, timeoutMs = 60_000): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const settle = (result: { url: string } | { error: Error }) => {
      clearTimeout(deadline);
      stack.child.stdout?.off('data', onOutput);
      if ('url' in result) resolve(result.url);
      else reject(result.error);
    };
    // spawnStack's own listener runs first, so stdout() already holds the chunk.
    const onOutput = () => {
      const found = SERVING.exec(stack.stdout())?.[1];
      if (found) settle({ url: found });
    };
    const deadline = setTimeout(
      () =>
        settle({
          error: new Error(`stack not serving after ${timeoutMs} ms:\n${stack.stdout()}\n${stack.stderr()}`),
        }),
      timeoutMs,
    );
    stack.child.stdout?.on('data', onOutput);
    void stack.exited.then((exit) =>
      settle({
        error: new Error(`stack exited (${JSON.stringify(exit)}) before serving:\n${stack.stderr()}`),
      }),
    );
    onOutput();
  });
  const health = await fetch(`${url}/healthz`);
  if (health.status !== 200)
    throw new Error(`stack says it serves ${url}, but /healthz answered ${health.status}`);
  return url;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot: a later process with the same pid differs. */
  startTicks: string;
  cmdline: string;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return {
      pid,
      state: fields[0] ?? '',
      ppid: Number(fields[1]),
      startTicks: fields[19] ?? '',
      cmdline,
    };
  } catch {
    return undefined;
  }
}

/** Every process below `pid`, found through the parent links in /proc. */
export function descendants(pid: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => processInfo(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
  const found: ProcessInfo[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop();
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        parents.push(p.pid);
      }
    }
  }
  return found;
}

/** Gone: no such pid, a zombie (it has exited, only its exit status is left), or the pid was reused. */
export function isGone(p: ProcessInfo): boolean {
  const now = processInfo(p.pid);
  return now === undefined || now.state === 'Z' || now.state === 'X' || now.startTicks !== p.startTicks;
}

const WAIT_EXIT = fileURLToPath(new URL('./wait-exit.py', import.meta.url));

/**
 * Waits until every process in `processes` has exited (on pidfds, through wait-exit.py: these are
 * not our children, so Node has no exit event for them), or until the deadline; resolves with
 * those still there.
 */
export async function waitUntilGone(processes: ProcessInfo[], timeoutMs: number): Promise<ProcessInfo[]> {
  const running = processes.filter((p) => !isGone(p));
  if (running.length > 0) {
    const waiter = spawn('python3', [WAIT_EXIT, String(timeoutMs), ...running.map((p) => String(p.pid))], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [code] = (await once(waiter, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`wait-exit.py exited ${code}`);
  }
  return processes.filter((p) => !isGone(p));
}
