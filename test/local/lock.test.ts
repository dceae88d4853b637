import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataDirInUseError,
  type DataDirLock,
  LOCK_FILE,
  lockDataDir,
  processRef,
} from '../../local/data-dir-lock.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The data-dir lock: one local stack per STRATA_DATA_DIR, stale locks taken over, never two owners. */
describe('data dir lock', () => {
  let dir: string;
  const locks: DataDirLock[] = [];
  const processes: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-lock-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill('SIGKILL');
    for (const lock of locks.splice(0)) await lock.release();
    await rm(dir, { recursive: true, force: true });
  });

  const lock = async () => {
    const taken = await lockDataDir(dir);
    locks.push(taken);
    return taken;
  };
  const lockFile = () => join(dir, LOCK_FILE);
  const holderPid = async () => (JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number }).pid;

  /** The pid of a process that has exited and been reaped: nothing runs under it now. */
  const deadPid = async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid as number;
  };
  const staleLock = (pid: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', children: [], nonce: 'stale', ...extra });

  /** Runs test/local/fixtures/lock-holder.ts; resolves with its first line of output. */
  const holder = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/fixtures/lock-holder.ts', dir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    processes.push(child);
    const firstLine = new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) without a word: ${out}`)));
    });
    return { child, firstLine };
  };

  it('refuses a second lock while the first is held, naming its pid, and allows one after release', async () => {
    const first = await lock();
    const before = await readFile(lockFile(), 'utf8');
    const refused = await lockDataDir(dir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).pid).toBe(process.pid);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect(await readFile(lockFile(), 'utf8')).toBe(before);

    await first.release();
    locks.splice(locks.indexOf(first), 1);
    await expect(readdir(dir)).resolves.toEqual([]);
    await lock();
    expect(await holderPid()).toBe(process.pid);
  });

  it('refuses while another process holds it, and takes it over once that process is SIGKILLed', {
    timeout: 60_000,
  }, async () => {
    const other = holder();
    expect(await other.firstLine).toBe('locked');
    const refused = await lockDataDir(dir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).pid).toBe(other.child.pid);
    expect((refused as Error).message).toContain(`pid ${other.child.pid}`);

    other.child.kill('SIGKILL');
    await once(other.child, 'exit');
    // A SIGKILL runs no cleanup: its lock is still there, naming a dead pid.
    expect(await holderPid()).toBe(other.child.pid);
    await lock();
    expect(await holderPid()).toBe(process.pid);
  });

  it('takes over a lock whose pid is dead, or that is not a lock at all', async () => {
    await writeFile(lockFile(), staleLock(await deadPid()));
    const taken = await lock();
    expect(await holderPid()).toBe(process.pid);
    await taken.release();
    locks.splice(0);

    await writeFile(lockFile(), 'not json');
    await lock();
    expect(await holderPid()).toBe(process.pid);
  });

  it('takes over a lock whose pid now belongs to another process, or to an earlier life of this one', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)']);
    processes.push(sleeper);
    await once(sleeper, 'spawn');
    const ref = processRef(sleeper.pid as number);
    // Where /proc tells processes apart, a live pid with another start time is not the holder.
    if (ref.start !== undefined) {
      await writeFile(lockFile(), staleLock(ref.pid, { start: `${ref.start}0` }));
      const taken = await lock();
      expect(await holderPid()).toBe(process.pid);
      await taken.release();
      locks.splice(0);
    }
    // Our own pid, on a lock this process did not make: a container restarted with the same pids.
    await writeFile(lockFile(), staleLock(process.pid, { ...processRef(process.pid) }));
    await lock();
    expect(JSON.parse(await readFile(lockFile(), 'utf8')).nonce).not.toBe('stale');
  });

  it('waits for the children of a dead stack to exit before taking over', { timeout: 30_000 }, async () => {
    // Still exiting, as DynamoDB Local is for a moment after its stack was killed.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)']);
    processes.push(child);
    await once(child, 'spawn');
    const childExited = once(child, 'exit').then(() => 'child exited' as const);
    await writeFile(lockFile(), staleLock(await deadPid(), { children: [processRef(child.pid as number)] }));
    const taking = lockDataDir(dir).then((taken) => {
      locks.push(taken);
      return 'locked' as const;
    });
    expect(await Promise.race([taking, childExited])).toBe('child exited');
    expect(await taking).toBe('locked');
    expect(await holderPid()).toBe(process.pid);
  });

  it('gives a stale lock to exactly one of many stacks taking it over at once', async () => {
    await writeFile(lockFile(), staleLock(await deadPid()));
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDir(dir)));
    const taken = outcomes.filter((o) => o.status === 'fulfilled');
    expect(taken).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'fulfilled') locks.push(o.value);
      else expect(o.reason).toBeInstanceOf(DataDirInUseError);
    }
    // No takeover marker or temporary file left behind: only the lock.
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });

  it('gives a stale lock to exactly one of several processes taking it over at once', {
    timeout: 60_000,
  }, async () => {
    await writeFile(lockFile(), staleLock(await deadPid()));
    const racers = Array.from({ length: 3 }, () => holder());
    const lines = await Promise.all(racers.map((r) => r.firstLine));
    const winners = racers.filter((_, i) => lines[i] === 'locked');
    expect(winners).toHaveLength(1);
    const winnerPid = winners[0]?.child.pid;
    expect(lines.filter((l) => l !== 'locked')).toEqual([`in use by ${winnerPid}`, `in use by ${winnerPid}`]);
    expect(await holderPid()).toBe(winnerPid);
  });

  it('takes over past a takeover that died half-way', async () => {
    const stale = staleLock(await deadPid());
    await writeFile(lockFile(), stale);
    // The marker a taking-over process holds while it removes the stale lock; its maker is dead.
    const digest = createHash('sha256').update(stale).digest('hex').slice(0, 16);
    await writeFile(`${lockFile()}.takeover-${digest}`, staleLock(await deadPid(), { nonce: 'crashed' }));
    await lock();
    expect(await holderPid()).toBe(process.pid);
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });

  it('records children, and release leaves a lock that is no longer ours', async () => {
    const taken = await lock();
    await taken.addChild(process.ppid);
    const content = JSON.parse(await readFile(lockFile(), 'utf8')) as { children: { pid: number }[] };
    expect(content.children.map((c) => c.pid)).toEqual([process.ppid]);

    const someoneElses = staleLock(process.ppid, { nonce: 'other' });
    await writeFile(lockFile(), someoneElses);
    await taken.release();
    locks.splice(0);
    expect(await readFile(lockFile(), 'utf8')).toBe(someoneElses);
  });
});
