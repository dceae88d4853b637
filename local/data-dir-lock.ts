import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * One local stack per data directory. Two DynamoDB Locals on the same files corrupt each other, so
 * the stack holds `<dataDir>/strata.lock`, naming its pid and its children's. A lock whose
 * processes are all gone (the stack was killed or crashed) is taken over.
 */
export const LOCK_FILE = 'strata.lock';

/** How long a new stack waits for the children of a dead one to finish exiting. */
const CHILD_EXIT_TIMEOUT_MS = 20_000;
const POLL_MS = 50;
/** Each level is a takeover that died half-way; more than this means something else is wrong. */
const MAX_TAKEOVER_DEPTH = 8;

/** A process as it was when recorded: `start` tells it apart from a later one given the same pid. */
export interface ProcessRef {
  pid: number;
  /** Linux: boot id and start time in clock ticks (from /proc); absent where /proc is not. */
  start?: string;
}

interface LockHolder extends ProcessRef {
  startedAt: string;
  /** Processes the stack started (the guards of its emulators): they may outlive it by seconds. */
  children: ProcessRef[];
  /** Makes every lock file's content unique, so "unchanged" means "the same lock". */
  nonce: string;
}

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    startedAt: string,
  ) {
    super(
      `data directory ${dataDir} is in use by another Strata local stack (pid ${pid}, started ${startedAt}). ` +
        `Stop that one first (kill ${pid}), or set STRATA_DATA_DIR to another directory.`,
    );
  }
}

/** Nonces of the locks and takeover markers this process has made and not yet removed. */
const madeHere = new Set<string>();

/**
 * Whether the maker of a lock or marker still runs. Our own pid on one we did not make is an
 * earlier life of the pid (a container restarted), not a live stack.
 */
function isHeld(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return madeHere.has(holder.nonce);
  return isRunning(holder);
}

export interface DataDirLock {
  readonly path: string;
  /** Records a child, so that a stack taking over after a crash waits for it to exit. */
  addChild(pid: number): Promise<void>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export function processRef(pid: number): ProcessRef {
  const start = processStart(pid);
  return start === undefined ? { pid } : { pid, start };
}

/** False once the process has exited (a zombie has exited too) or its pid went to another process. */
function isRunning(ref: ProcessRef): boolean {
  try {
    process.kill(ref.pid, 0);
  } catch (err) {
    // EPERM: it exists, but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(ref.pid);
  // No /proc at all (macOS): the signal test is all there is. With /proc, no entry means exited.
  if (stat === undefined) return readStat(process.pid) === undefined;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return ref.start === undefined || ref.start === `${bootId()}:${stat.startTicks}`;
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = {
    ...processRef(process.pid),
    startedAt: new Date().toISOString(),
    children: [],
    nonce: randomUUID(),
  };
  let content = JSON.stringify(holder);

  for (let attempt = 1; ; attempt++) {
    if (await publish(path, content, holder.nonce)) break;
    const found = await readLock(path);
    if (found === undefined) continue;
    const previous = found.holder;
    if (previous !== undefined) {
      if (isHeld(previous)) throw new DataDirInUseError(dir, previous.pid, previous.startedAt);
      // The stack is gone, but its guards are still stopping DynamoDB Local, which still has the
      // files open: starting another one on them now is what this lock is for.
      await waitForExit(previous.children, dir, previous.pid);
    }
    await removeIfUnchanged(path, found.raw, 0);
    if (attempt >= 20) throw new Error(`cannot take ${path}: it keeps changing`);
  }

  const releaseSync = () => {
    try {
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Already gone, or never ours: nothing to undo.
    }
  };
  // process.exit() (a forced stop) skips release(); a SIGKILL skips both, hence the takeover.
  process.once('exit', releaseSync);

  return {
    path,
    async addChild(pid) {
      holder.children.push(processRef(pid));
      const next = JSON.stringify(holder);
      // Replace in one step: a reader sees the old content or the new, never half of either.
      const temp = `${path}.${process.pid}.${randomUUID()}`;
      await writeFile(temp, next);
      await rename(temp, path);
      content = next;
    },
    async release() {
      process.off('exit', releaseSync);
      if ((await readLock(path))?.raw === content) await rm(path, { force: true });
      madeHere.delete(holder.nonce);
    },
  };
}

/** Creates `path` holding `content`, atomically, unless it exists: a hard link of a complete file. */
async function publish(path: string, content: string, nonce: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(temp, content);
  // Known as ours before anyone can read it.
  madeHere.add(nonce);
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    madeHere.delete(nonce);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

async function readLock(path: string): Promise<{ raw: string; holder?: LockHolder } | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && Array.isArray(parsed.children)) {
      return { raw, holder: parsed as LockHolder };
    }
  } catch {
    // Not a lock we wrote: nobody holds it.
  }
  return { raw };
}

/**
 * Removes the stale lock at `path` if it still holds `raw`. Two new stacks may find the same stale
 * lock: both removing it could remove the one the faster of them has just made. So the removal
 * itself takes a lock named after the stale content; whoever cannot take it leaves the removal to
 * its holder. A removal whose process died half-way leaves that lock behind, stale in turn: it is
 * removed the same way, one level down.
 */
async function removeIfUnchanged(path: string, raw: string, depth: number): Promise<void> {
  if (depth > MAX_TAKEOVER_DEPTH) throw new Error(`cannot take over ${path}: too many abandoned takeovers`);
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  const marker = `${path}.takeover-${digest}`;
  const me: LockHolder = { ...processRef(process.pid), startedAt: '', children: [], nonce: randomUUID() };
  while (!(await publish(marker, JSON.stringify(me), me.nonce))) {
    const other = await readLock(marker);
    if (other === undefined) continue;
    if (other.holder !== undefined && isHeld(other.holder)) {
      // Another stack is taking over: the caller will find its lock on the next attempt.
      await sleep(POLL_MS);
      return;
    }
    await removeIfUnchanged(marker, other.raw, depth + 1);
  }
  try {
    // Nobody else can change `path` now: creating fails while it exists, its owner is dead, and
    // removing it takes the marker we hold.
    if ((await readLock(path))?.raw === raw) await rm(path, { force: true });
  } finally {
    await rm(marker, { force: true });
    madeHere.delete(me.nonce);
  }
}

async function waitForExit(children: ProcessRef[], dir: string, stackPid: number): Promise<void> {
  const deadline = Date.now() + CHILD_EXIT_TIMEOUT_MS;
  for (;;) {
    const running = children.filter(isRunning);
    if (running.length === 0) return;
    if (Date.now() > deadline) {
      const pids = running.map((c) => c.pid).join(', ');
      throw new Error(
        `data directory ${dir}: the local stack that held it (pid ${stackPid}) is gone, but its ` +
          `children (pid ${pids}) still run after ${CHILD_EXIT_TIMEOUT_MS} ms. Stop them (kill ${pids}) and retry.`,
      );
    }
    await sleep(POLL_MS);
  }
}

function processStart(pid: number): string | undefined {
  const stat = readStat(pid);
  const boot = bootId();
  return stat === undefined || boot === undefined ? undefined : `${boot}:${stat.startTicks}`;
}

let cachedBootId: string | null | undefined;
function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

/** Fields of /proc/<pid>/stat (Linux); undefined where there is no such file. */
function readStat(pid: number): { state: string; startTicks: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state === undefined || startTicks === undefined ? undefined : { state, startTicks };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
