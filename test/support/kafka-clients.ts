import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { splitRecordBatches } from '../../lib/kafka/protocol/record-batches.js';
import { type TestGatewayContext, useTestGateway } from './gateway.js';
import { fetchRequest, openKafkaWire } from './kafka-wire.js';
import type { ApiClient } from './stack.js';

/**
 * Helpers for the real-client tests (test/integration/kafka/): spawning kcat and the Debian Python
 * clients with a timeout each, a common record shape, polling with a deadline, and a look at the
 * batches the gateway stored (their compression codec) over the bare protocol.
 */

/** Debian's Python: a pyenv `python3` earlier on PATH does not see python3-kafka or python3-confluent-kafka. */
export const PYTHON = '/usr/bin/python3';
export const KCAT = '/usr/bin/kcat';
export const PYTHON_DIR = fileURLToPath(new URL('../fixtures/kafka/python/', import.meta.url));

/** How long one child may run before it is killed and its test fails. */
export const CHILD_TIMEOUT_MS = 30_000;

/** Compression codecs, by the number in a RecordBatch's attributes (bits 0-2). */
export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];

/** A record as the tests compare it, whichever client wrote or read it. */
export interface TestRecord {
  key: Buffer | null;
  value: Buffer | null;
  /** In order; keys may repeat. */
  headers: [string, Buffer | null][];
  /** Epoch ms (CreateTime); unset when the client cannot set it. */
  timestamp?: number;
  partition?: number;
}

/** A record read back: where it is, and what it holds. */
export interface ReadRecord extends TestRecord {
  partition: number;
  offset: number;
  timestamp: number;
}

/** The JSON form the Python scripts speak: bytes as base64, null as null. */
export interface JsonRecord {
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
  timestamp?: number;
  partition?: number;
  offset?: number;
}

const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'));
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));

export function toJsonRecord(r: TestRecord): JsonRecord {
  return {
    key: b64(r.key),
    value: b64(r.value),
    headers: r.headers.map(([k, v]) => [k, b64(v)]),
    ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
  };
}

export function fromJsonRecord(r: JsonRecord): ReadRecord {
  return {
    key: unb64(r.key),
    value: unb64(r.value),
    headers: r.headers.map(([k, v]) => [k, unb64(v)]),
    timestamp: r.timestamp as number,
    partition: r.partition as number,
    offset: r.offset as number,
  };
}

/** Keyed records with headers (a repeated key, an empty value, a null value) and a spread of timestamps. */
export function sampleRecords(
  label: string,
  count: number,
  opts: {
    baseTimestamp?: number;
    partition?: number;
    bigValues?: boolean;
    nullHeader?: boolean;
    repeatedHeader?: boolean;
  } = {},
): TestRecord[] {
  return Array.from({ length: count }, (_, i) => {
    // Compressible values, large enough that librdkafka does not send them uncompressed.
    const filler = opts.bigValues === false ? '' : ` ${'strata '.repeat(40)}`;
    return {
      key: Buffer.from(`${label}-key-${i % 3}`),
      value: Buffer.from(`${label} value ${i} ✓${filler}`),
      headers: [
        ['trace', Buffer.from(`${label}-${i}`)],
        ...(opts.repeatedHeader === false
          ? [['once', Buffer.from('only')] as [string, Buffer]]
          : [
              ['dup', Buffer.from('first')] as [string, Buffer],
              ['dup', Buffer.from('second')] as [string, Buffer],
            ]),
        ['empty', Buffer.alloc(0)],
        ...(opts.nullHeader === false ? [] : [['nullvalue', null] as [string, null]]),
      ],
      ...(opts.baseTimestamp !== undefined ? { timestamp: opts.baseTimestamp + i * 1000 } : {}),
      ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
    };
  });
}

/** Comparable form: strings for bytes (base64), so that a failing expect prints readably. */
export function comparable(r: TestRecord, withTimestamp = true) {
  return {
    key: r.key === null ? null : r.key.toString('base64'),
    value: r.value === null ? null : r.value.toString('base64'),
    headers: r.headers.map(([k, v]) => [k, v === null ? null : v.toString('base64')]),
    ...(withTimestamp && r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
  };
}

// --- Child processes -------------------------------------------------------------------------

const live = new Set<ChildProcess>();

/** Kills, in afterAll, every child this file spawned that is still running. */
export function killChildrenAfterAll(): void {
  afterAll(() => {
    for (const child of live) child.kill('SIGKILL');
    live.clear();
  });
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to its end, feeding `input` to stdin; killed (and rejected) after `timeoutMs`. */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  const timeoutMs = opts.timeoutMs ?? CHILD_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${cmd} ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString().slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command that must exit 0; returns its stdout. */
export async function runOk(
  cmd: string,
  args: readonly string[],
  opts: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<Buffer> {
  const r = await runProcess(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}; stderr:\n${r.stderr.slice(-3000)}\nstdout:\n${r.stdout.toString().slice(-1000)}`,
    );
  }
  return r.stdout;
}

/** kcat against the gateway; must exit 0. */
export function kcat(bootstrap: string, args: readonly string[], input?: string | Buffer): Promise<Buffer> {
  return runOk(KCAT, ['-b', bootstrap, ...args], input === undefined ? {} : { input });
}

/** A record as `kcat -C -J` prints it: headers as [key, value, key, value, ...]. */
export interface KcatJson {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  headers?: (string | null)[];
  key: string | null;
  payload: string | null;
}

/**
 * `kcat -C` of `count` records of a partition from `offset`, then exit (-e): its stdout, in the
 * form `output` asks for (-J, one JSON object a line, unless told).
 */
export function kcatConsume(
  bootstrap: string,
  topic: string,
  partition: number,
  offset: number,
  count: number,
  output: readonly string[] = ['-J'],
): Promise<Buffer> {
  return kcat(bootstrap, [
    '-C',
    '-t',
    topic,
    '-p',
    String(partition),
    '-o',
    String(offset),
    '-c',
    String(count),
    '-e',
    ...output,
  ]);
}

/** The records of kcat's -J output (the lines that are JSON objects). */
export function kcatJsonLines(out: Buffer): KcatJson[] {
  return out
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KcatJson);
}

/** `kcat -C -J` of `count` records from `offset`, parsed. */
export async function kcatConsumeJson(
  bootstrap: string,
  topic: string,
  partition: number,
  offset: number,
  count: number,
): Promise<KcatJson[]> {
  return kcatJsonLines(await kcatConsume(bootstrap, topic, partition, offset, count));
}

/** kcat's -J headers ([key, value, key, value, ...]) as [key, value] pairs. */
export function kcatHeaderPairs(headers: readonly (string | null)[] = []): [string, string | null][] {
  const pairs: [string, string | null][] = [];
  for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i] as string, headers[i + 1] ?? null]);
  return pairs;
}

/**
 * Runs one of test/fixtures/kafka/python/*.py: it reads `{bootstrap, ops}` as JSON on stdin and
 * prints one JSON array with each op's result. An op that raises ends the script with exit 1 and
 * the traceback on stderr, which fails the test with it.
 */
// biome-ignore lint/suspicious/noExplicitAny: each op returns its own JSON shape, asserted on by the test.
export async function runPython(script: string, bootstrap: string, ops: object[]): Promise<any[]> {
  const stdout = await runOk(PYTHON, [`${PYTHON_DIR}${script}`], { input: pythonInput(bootstrap, ops) });
  return lastJsonLine(stdout.toString());
}

/** What the scripts read on stdin. */
const pythonInput = (bootstrap: string, ops: object[]) => JSON.stringify({ bootstrap, ops });

/** The JSON on the last line of a script's output (what it printed before is its log). */
// biome-ignore lint/suspicious/noExplicitAny: the script's JSON, asserted on by the test.
export function lastJsonLine(output: string): any {
  const text = output.trim();
  return JSON.parse(text.slice(text.lastIndexOf('\n') + 1));
}

/** runPython, started as a long-running child whose log lines can be waited on. */
export function spawnPython(script: string, bootstrap: string, ops: object[]): LineChild {
  return spawnLines(PYTHON, [`${PYTHON_DIR}${script}`], pythonInput(bootstrap, ops));
}

/** Runs python3 with `args`; must exit 0; the JSON it printed last. */
// biome-ignore lint/suspicious/noExplicitAny: the script's JSON, asserted on by the test.
async function runPythonJson(args: readonly string[], timeoutMs: number): Promise<any> {
  return lastJsonLine((await runOk(PYTHON, args, { timeoutMs })).toString());
}

/** Runs Python source given inline (`python3 -c`) with `args`; must exit 0; the JSON it printed last. */
export function runPythonSource(
  source: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<unknown> {
  return runPythonJson(['-c', source, ...args], timeoutMs);
}

/** Runs the Python script at `path` with `args`; must exit 0; the JSON it printed last. */
// biome-ignore lint/suspicious/noExplicitAny: the script's JSON, asserted on by the test.
export function runPythonScript(path: string, args: readonly string[], timeoutMs = 60_000): Promise<any> {
  return runPythonJson([path, ...args], timeoutMs);
}

/**
 * The usual setup of a file testing one of the Python clients: a gateway (see useTestGateway),
 * children killed after the file, and `script` bound to the gateway.
 */
export function usePythonClient(script: string): {
  ctx: TestGatewayContext;
  // biome-ignore lint/suspicious/noExplicitAny: as runPython.
  run: (ops: object[]) => Promise<any[]>;
} {
  const ctx = useTestGateway();
  killChildrenAfterAll();
  return { ctx, run: (ops) => runPython(script, ctx.bootstrap, ops) };
}

/**
 * The Python clients' codec test: topic `<prefix>-codecs` with a partition a codec; for each codec,
 * six sample records (with timestamps, to that codec's partition) produced under it, delivered
 * at offsets 0-5 with their timestamps, stored compressed so, consumed back by assign from 0 and
 * by seek from `seekTo`, the same records, each read with `timestampType` (the client's number
 * for CreateTime).
 */
export function itRoundTripsEveryCodec(
  py: ReturnType<typeof usePythonClient>,
  opts: { prefix: string; seekTo: number; timestampType: number; nullHeader?: boolean },
): void {
  const { ctx, run } = py;
  const { prefix, seekTo } = opts;
  const topic = `${prefix}-codecs`;
  beforeAll(() => createTopicHttp(ctx.http, topic, CODECS.length));
  it.each(CODECS.map((codec, partition) => ({ codec, partition })))(
    'produces keyed records with headers and timestamps under $codec, and consumes them back by assign and seek',
    async ({ codec, partition }) => {
      const records = sampleRecords(`${prefix}-${codec}`, 6, {
        baseTimestamp: 1_700_000_000_000,
        partition,
        ...(opts.nullHeader === undefined ? {} : { nullHeader: opts.nullHeader }),
      });
      const [delivered, all, tail] = (await run([
        { op: 'produce', topic, compression: codec, records: records.map(toJsonRecord) },
        { op: 'consume', topic, partition, offset: 0, count: 6 },
        { op: 'consume', topic, partition, offset: seekTo, count: 6 - seekTo },
      ])) as [unknown, (JsonRecord & { timestamp_type: number })[], JsonRecord[]];
      expect(delivered).toEqual(
        records.map((r, i) => ({ partition, offset: i, timestamp: r.timestamp as number })),
      );
      const batches = await storedBatches(ctx.bootstrap, topic, partition);
      expect(batches.map((b) => b.codec)).toEqual(batches.map(() => codec));

      const expected = records.map((r) => comparable(r));
      const read = all.map(fromJsonRecord);
      expect(read.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(read.map((r) => comparable(r))).toEqual(expected);
      expect(all.map((r) => r.timestamp_type)).toEqual(all.map(() => opts.timestampType));
      const seeked = tail.map(fromJsonRecord);
      expect(seeked.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5].slice(seekTo));
      expect(seeked.map((r) => comparable(r))).toEqual(expected.slice(seekTo));
    },
  );
}

/** A long-running child whose stdout lines can be waited on. */
export interface LineChild {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (seen so far or later) that matches; rejects at the deadline or exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code; kills the child and rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
  stderr(): string;
}

export function spawnLines(cmd: string, args: readonly string[], input?: string): LineChild {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const lines: string[] = [];
  const err: Buffer[] = [];
  const waiters: (() => void)[] = [];
  let exitCode: number | null | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const closed = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      live.delete(child);
      exitCode = code;
      for (const w of waiters.splice(0)) w();
      resolve(code);
    });
  });
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  const stderr = () => Buffer.concat(err).toString();
  return {
    child,
    lines,
    stderr,
    waitForLine(pattern, timeoutMs = CHILD_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no line matching ${pattern} in ${timeoutMs} ms; stderr: ${stderr().slice(-2000)}`),
            ),
          timeoutMs,
        );
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          } else if (exitCode !== undefined) {
            clearTimeout(timer);
            reject(
              new Error(
                `exited ${exitCode} before a line matching ${pattern}; stderr: ${stderr().slice(-2000)}`,
              ),
            );
          } else waiters.push(check);
        };
        check();
      });
    },
    async exited(timeoutMs = CHILD_TIMEOUT_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${cmd} did not exit in ${timeoutMs} ms; stderr: ${stderr().slice(-2000)}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([closed, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// --- What the gateway stored -----------------------------------------------------------------

export interface StoredBatch {
  baseOffset: number;
  recordCount: number;
  codec: Codec;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/**
 * The RecordBatches of a partition from `offset` up to its high watermark, read over the bare
 * protocol (Fetch v11, by topic name), as the gateway serves them: their codecs show whether a
 * client really compressed (librdkafka sends a batch uncompressed when compressing does not pay).
 */
export async function storedBatches(
  bootstrap: string,
  topic: string,
  partition: number,
  offset = 0,
): Promise<StoredBatch[]> {
  const wire = await openKafkaWire(bootstrap);
  try {
    const out: StoredBatch[] = [];
    let next = BigInt(offset);
    for (let round = 0; round < 1000; round++) {
      const res = await wire.request(1, 11, fetchRequest(topic, partition, next, 16 * 1024 * 1024));
      const p = res.responses[0]?.partitions[0];
      if (!p) throw new Error('fetch: no partition in the response');
      if (p.errorCode !== 0) throw new Error(`fetch ${topic}/${partition}@${next}: error ${p.errorCode}`);
      const records = p.records ?? new Uint8Array();
      const batches = splitRecordBatches(records);
      for (const b of batches) {
        const h = b.header;
        const last = h.baseOffset + BigInt(h.lastOffsetDelta);
        if (last < next) continue;
        out.push({
          baseOffset: Number(h.baseOffset),
          recordCount: h.recordCount,
          codec: CODECS[h.attributes & 7] as Codec,
          producerId: h.producerId,
          producerEpoch: h.producerEpoch,
          baseSequence: h.baseSequence,
        });
        next = last + 1n;
      }
      if (next >= p.highWatermark || batches.length === 0) return out;
    }
    throw new Error('storedBatches: too many rounds');
  } finally {
    wire.close();
  }
}

// --- The HTTP API side -----------------------------------------------------------------------

/** Creates a topic over the HTTP API (for clients that cannot, and for setup). */
export async function createTopicHttp(
  http: ApiClient,
  name: string,
  partitions: number,
  config?: Record<string, string>,
): Promise<void> {
  const res = await http.post('/v1/topics', { name, partitions, ...(config ? { config } : {}) });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Produces over the HTTP API (bytes as base64; headers are an object there, so keys must not
 * repeat); returns each record's offset.
 */
export async function produceHttp(http: ApiClient, topic: string, records: TestRecord[]): Promise<number[]> {
  const res = await http.post(`/v1/topics/${topic}/records`, {
    encoding: 'base64',
    records: records.map((r) => ({
      key: r.key === null ? null : r.key.toString('base64'),
      value: r.value === null ? null : r.value.toString('base64'),
      headers: Object.fromEntries(r.headers.map(([k, v]) => [k, v === null ? null : v.toString('base64')])),
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
      ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
    })),
  });
  if (res.status !== 200) throw new Error(`produce ${topic}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.offsets as { offset: string }[]).map((o) => Number(o.offset));
}

/** Reads `count` records of a partition from `offset` over the HTTP API (headers in its object order). */
export async function readHttp(
  http: ApiClient,
  topic: string,
  partition: number,
  offset: number,
  count: number,
): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let next = offset;
  while (out.length < count) {
    const res = await http.get(
      `/v1/topics/${topic}/partitions/${partition}/records?offset=${next}&encoding=base64&waitMs=5000`,
    );
    if (res.status !== 200)
      throw new Error(`fetch ${topic}/${partition}@${next}: ${res.status} ${JSON.stringify(res.body)}`);
    const records = res.body.records as {
      offset: string;
      timestamp: string;
      key: string | null;
      value: string | null;
      headers: Record<string, string | null>;
    }[];
    if (records.length === 0)
      throw new Error(`fetch ${topic}/${partition}@${next}: no records, ${out.length} of ${count}`);
    for (const r of records) {
      out.push({
        partition,
        offset: Number(r.offset),
        timestamp: Number(r.timestamp),
        key: r.key === null ? null : Buffer.from(r.key, 'base64'),
        value: r.value === null ? null : Buffer.from(r.value, 'base64'),
        headers: Object.entries(r.headers).map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'base64')]),
      });
    }
    next = Number(res.body.nextOffset);
  }
  return out.slice(0, count);
}
