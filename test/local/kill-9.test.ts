import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/data-dir-lock.js';
import { api } from '../support/stack.js';
import {
  descendants,
  isGone,
  type ProcessInfo,
  processInfo,
  type StackProcess,
  spawnStack,
  waitUntilGone,
  waitUntilServing,
} from './stack-process.js';

/**
 * `npm start` killed with SIGKILL leaves nothing behind: DynamoDB Local (Java) goes with it, and the
 * next start serves the data the killed one had acknowledged.
 */
describe.skipIf(process.platform !== 'linux')('local stack killed with SIGKILL', () => {
  let dataDir: string;
  const running: StackProcess[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-kill-9-'));
  });
  /** Every process a stack had when a step looked: what a failed step may have left running. */
  const seen: ProcessInfo[] = [];
  afterAll(async () => {
    for (const stack of running.splice(0)) {
      seen.push(...[processInfo(stack.pid), ...descendants(stack.pid)].filter((p) => p !== undefined));
    }
    for (const p of seen.filter((p) => !isGone(p))) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const stack = spawnStack(dataDir);
    running.push(stack);
    const url = await waitUntilServing(stack);
    return { stack, url };
  };

  /** Kills the stack, then waits for every process it had to go. */
  const killAndCheckNothingSurvives = async (stack: StackProcess, kill: () => void) => {
    const self = processInfo(stack.pid);
    const children = descendants(stack.pid);
    seen.push(...children);
    // Without Java among them the check below would pass for the wrong reason.
    expect(children.map((p) => p.cmdline).join('\n')).toContain('DynamoDBLocal.jar');
    kill();
    await stack.exited;
    const survivors = await waitUntilGone([...(self ? [self] : []), ...children], 20_000);
    expect(survivors.map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
    running.splice(running.indexOf(stack), 1);
  };

  // One scenario in steps, each on the data the step before left: every start of DynamoDB Local
  // costs seconds, so the steps share them.
  const topic = 'survives-kill-9';
  let current: { stack: StackProcess; url: string } | undefined;
  const produce = async (url: string, value: string) => {
    const produced = await api(url).post(`/v1/topics/${topic}/records`, {
      records: [{ value, partition: 0 }],
    });
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
  };
  const values = async (url: string) => {
    const fetched = await api(url).get(`/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    return fetched.body.records.map((r: { value: string }) => r.value);
  };

  it('SIGKILL of its process group (kill -9 -pgid, the terminal closing): no child survives', {
    timeout: 90_000,
  }, async () => {
    current = await start();
    expect((await api(current.url).post('/v1/topics', { name: topic, partitions: 1 })).status).toBe(201);
    await produce(current.url, 'before-group-kill');
    const { stack } = current;
    await killAndCheckNothingSurvives(stack, () => process.kill(-stack.pid, 'SIGKILL'));
  });

  it('the next start takes over the stale lock and serves the old data', { timeout: 90_000 }, async () => {
    current = await start();
    expect(await values(current.url)).toEqual(['before-group-kill']);
  });

  it('SIGKILL of only its main process (a crash): no child survives', { timeout: 90_000 }, async () => {
    if (!current) throw new Error('needs the stack of the step before');
    await produce(current.url, 'before-crash');
    const { stack } = current;
    await killAndCheckNothingSurvives(stack, () => process.kill(stack.pid, 'SIGKILL'));
    current = await start();
    expect(await values(current.url)).toEqual(['before-group-kill', 'before-crash']);
  });

  it('a second stack on the same data dir refuses to start, naming the running pid', {
    timeout: 90_000,
  }, async () => {
    if (!current) throw new Error('needs the stack of the step before');
    const second = spawnStack(dataDir);
    running.push(second);
    const exit = await Promise.race([
      second.exited,
      // Fails fast, instead of waiting for an exit that never comes, if it starts serving.
      waitUntilServing(second).then(
        (url) => ({ servesTheSameDataDirOn: url }),
        () => new Promise<never>(() => {}),
      ),
    ]);
    expect(exit).not.toHaveProperty('servesTheSameDataDirOn');
    running.splice(running.indexOf(second), 1);
    expect(exit).toMatchObject({ code: expect.any(Number) });
    expect(exit).not.toMatchObject({ code: 0 });
    expect(second.stderr()).toContain(`in use by another Strata local stack (pid ${current.stack.pid}`);
    // It started nothing on the data dir, and the first one still serves.
    expect(second.stdout()).not.toContain('serving');
    expect(await values(current.url)).toEqual(['before-group-kill', 'before-crash']);
  });

  it('SIGTERM stops the stack cleanly, its children and its lock with it', { timeout: 90_000 }, async () => {
    if (!current) throw new Error('needs the stack of the step before');
    const { stack } = current;
    const children = descendants(stack.pid);
    seen.push(...children);
    expect(children.map((p) => p.cmdline).join('\n')).toContain('DynamoDBLocal.jar');
    process.kill(stack.pid, 'SIGTERM');
    expect(await stack.exited).toEqual({ code: 0, signal: null });
    running.splice(running.indexOf(stack), 1);
    expect((await waitUntilGone(children, 20_000)).map((p) => p.cmdline)).toEqual([]);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
