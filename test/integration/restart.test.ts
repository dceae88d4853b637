import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/stack.js';
import { api } from '../support/stack.js';

/**
 * `npm start` as a user runs it: the real local stack in a child process (its own DynamoDB Local
 * and s3rver over STRATA_DATA_DIR), stopped with Ctrl-C and started again on the same data.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Stack {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: Stack[] = [];
let dataDir: string;
let port: number;

function startStack(): Stack {
  const child = spawn(TSX, ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, STRATA_DATA_DIR: dataDir, STRATA_PORT: String(port), STRATA_HOST: '127.0.0.1' },
    // Its own process group: we can signal it as a terminal's Ctrl-C would, and kill it all.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const stack = { child, output: () => output, exited };
  children.push(stack);
  return stack;
}

async function waitForHealthy(stack: Stack, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void stack.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`local stack exited during start:\n${stack.output()}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`local stack not healthy after ${timeoutMs} ms:\n${stack.output()}`);
}

/** Ctrl-C in a terminal signals the whole foreground process group: tsx and the server. */
async function interrupt(stack: Stack): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(-(stack.child.pid as number), 'SIGINT');
  return stack.exited;
}

function alive(stack: Stack): boolean {
  return stack.child.exitCode === null && stack.child.signalCode === null;
}

/** Processes (DynamoDB Local runs in its own group) whose command line mentions our data dir. */
async function pidsUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

describe('local stack restart (npm start, Ctrl-C, npm start again)', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-restart-'));
    port = await freePort();
  });

  afterAll(async () => {
    // Whatever happened above: ask politely, then kill every group, then any stray DynamoDB Local.
    for (const stack of children.filter(alive)) {
      try {
        process.kill(-(stack.child.pid as number), 'SIGTERM');
      } catch {}
      await Promise.race([stack.exited, new Promise((r) => setTimeout(r, 15_000))]);
      try {
        process.kill(-(stack.child.pid as number), 'SIGKILL');
      } catch {}
    }
    if (dataDir) {
      for (const pid of await pidsUsing(dataDir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every acknowledged record across a clean stop and start', { timeout: 240_000 }, async () => {
    const url = `http://127.0.0.1:${port}`;
    const http = api(url);

    const first = startStack();
    await waitForHealthy(first, url);
    expect(first.output()).toContain(url);

    const created = await http.post('/v1/topics', { name: 'restart-orders', partitions: 2 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const base = Date.now() - 60_000;
    const records = [
      { key: 'k1', value: 'first', headers: { source: 'restart-test' }, partition: 1, timestamp: base },
      { key: 'k2', value: 'second', headers: {}, partition: 1, timestamp: base + 1 },
      { key: null, value: 'third ✓', headers: { a: 'b', c: 'd' }, partition: 1, timestamp: base + 2 },
    ];
    const produced = await http.post('/v1/topics/restart-orders/records', { records });
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    expect(produced.body.offsets).toEqual([
      { partition: 1, offset: '0' },
      { partition: 1, offset: '1' },
      { partition: 1, offset: '2' },
    ]);

    const path = '/v1/topics/restart-orders/partitions/1/records?offset=0&maxRecords=100';
    const before = await http.get(path);
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.records).toHaveLength(3);

    expect(await interrupt(first), first.output()).toEqual({ code: 0, signal: null });
    expect(await pidsUsing(dataDir)).toEqual([]); // DynamoDB Local stopped with it

    const second = startStack();
    await waitForHealthy(second, url);

    const after = await http.get(path);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.records).toEqual(before.body.records);
    expect(String(after.body.highWatermark)).toBe('3');
    expect(
      after.body.records.map(
        (r: { offset: string; key: string | null; value: string; headers: object; timestamp: unknown }) => ({
          offset: r.offset,
          key: r.key,
          value: r.value,
          headers: r.headers,
          timestamp: String(r.timestamp),
        }),
      ),
    ).toEqual(
      records.map((r, i) => ({
        offset: String(i),
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: String(r.timestamp),
      })),
    );

    const next = await http.post('/v1/topics/restart-orders/records', {
      records: [{ key: 'k4', value: 'fourth', partition: 1 }],
    });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.offsets).toEqual([{ partition: 1, offset: '3' }]);

    const other = await http.get('/v1/topics/restart-orders/partitions/0/records?offset=0');
    expect(other.status).toBe(200);
    expect(other.body.records).toEqual([]);

    expect(await interrupt(second), second.output()).toEqual({ code: 0, signal: null });
  });
});
