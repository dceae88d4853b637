/**
 * "The bundled code runs": `cdk synth` with the pinned CLI (NodejsFunction bundles with the local
 * esbuild), then every function's asset from that cloud assembly is imported in a fresh Node
 * process and invoked with API Gateway v2 events against DynamoDB Local and s3rver.
 *
 * The cloud assembly is written to a temporary directory outside the repository whose
 * node_modules holds only @aws-sdk (a link to ours): the one external Lambda's Node.js runtime
 * provides. Any other import the bundle failed to carry cannot resolve, and the test fails.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { STRATA_FUNCTIONS, type StrataFunctionName } from '../../lib/infra/bundling.js';
import { createTestEngine } from '../support/stack.js';
import { functionUrlEvent, httpEvent } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let WORK_DIR: string;

// biome-ignore lint/suspicious/noExplicitAny: handler answers are JSON, asserted on freely.
type Json = any;

let engine: Engine;
let bundles: Record<StrataFunctionName, string>;
let child: ChildProcess;
let stdout = '';
const pending = new Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void }>();

/**
 * The child: imports every bundle (timing each import), plus the tail a second time under a
 * stand-in for Lambda's streaming runtime (the `awslambda` global), then answers invocations read
 * from stdin on fd 3 (stdout carries the functions' own log and EMF lines).
 */
const RUNNER = `
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const out = createWriteStream(null, { fd: 3 });
const send = (msg) => out.write(JSON.stringify(msg) + '\\n');
const bundles = JSON.parse(process.env.STRATA_TEST_BUNDLES);
const handlers = {};
const importMs = {};
for (const [name, file] of Object.entries(bundles)) {
  const started = performance.now();
  handlers[name] = (await import(pathToFileURL(file).href)).handler;
  importMs[name] = performance.now() - started;
}
globalThis.awslambda = {
  streamifyResponse: (fn) => async (event, context) => {
    const chunks = [];
    const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
    await fn(event, stream, context);
    if (!stream.writableEnded) throw new Error('the handler did not end the response stream');
    return { metadata: stream.metadata, body: Buffer.concat(chunks).toString('utf8') };
  },
  HttpResponseStream: { from(stream, metadata) { stream.metadata = metadata; return stream; } },
};
handlers.tailStreaming = (await import(pathToFileURL(bundles.tail).href + '?streaming')).handler;
send({ ready: true, importMs });

for await (const line of createInterface({ input: process.stdin })) {
  const { id, fn, event, remainingMs } = JSON.parse(line);
  const deadline = Date.now() + (remainingMs ?? 30000);
  const context = {
    awsRequestId: 'lambda-' + id,
    functionName: 'strata-' + fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:strata-' + fn,
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/strata-' + fn,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  handlers[fn](event, context).then(
    (result) => send({ id, result }),
    (err) => send({ id, error: String(err && err.stack || err) }),
  );
}
`;

beforeAll(async () => {
  WORK_DIR = await mkdtemp(join(tmpdir(), 'strata-bundles-'));
  await mkdir(join(WORK_DIR, 'node_modules'));
  await symlink(join(ROOT, 'node_modules', '@aws-sdk'), join(WORK_DIR, 'node_modules', '@aws-sdk'), 'dir');
  // The pinned CLI, as a user runs it: `cdk synth` (offline) runs bin/app.ts, bundles with the local
  // esbuild, and fails if cdk-nag reports an unacknowledged error.
  const outdir = join(WORK_DIR, 'cdk.out');
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      outdir,
    ],
    { cwd: ROOT, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  const template = JSON.parse(await readFile(join(outdir, 'Strata.template.json'), 'utf8'));
  bundles = {} as Record<StrataFunctionName, string>;
  for (const resource of Object.values<Json>(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = resource.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as StrataFunctionName;
    const hash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
    bundles[name] = join(outdir, `asset.${hash}`, 'index.mjs');
  }
  expect(Object.keys(bundles).sort()).toEqual([...STRATA_FUNCTIONS].sort());

  engine = await createTestEngine();
  const { config } = engine;
  const runner = join(WORK_DIR, 'runner.mjs');
  await writeFile(runner, RUNNER);
  child = spawn(process.execPath, [runner], {
    cwd: WORK_DIR,
    stdio: ['pipe', 'pipe', 'inherit', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_REGION: config.region,
      STRATA_META_TABLE: config.metaTable,
      STRATA_INDEX_TABLE: config.indexTable,
      STRATA_BUCKET: config.bucket,
      S3_ENDPOINT: config.s3Endpoint,
      DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
      STRATA_CLUSTER_NAME: 'bundle-test',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      STRATA_TEST_BUNDLES: JSON.stringify(bundles),
    },
  });
  (child.stdout as Readable).on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const ready = new Promise<Json>((resolve, reject) => {
    child.once('exit', (code) => {
      const err = new Error(`bundle runner exited with ${code}`);
      reject(err);
      for (const [, p] of pending) p.reject(err);
    });
    const lines = createInterface({ input: child.stdio[3] as Readable });
    lines.on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.ready) return resolve(msg);
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error));
      else p?.resolve(msg.result);
    });
  });
  await ready;
}, 120_000);

afterAll(async () => {
  child?.stdin?.end();
  child?.kill();
  if (WORK_DIR) await rm(WORK_DIR, { recursive: true, force: true });
});

function invoke(
  fn: StrataFunctionName | 'tailStreaming',
  event: unknown,
  remainingMs?: number,
): Promise<Json> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    (child.stdin as Writable).write(`${JSON.stringify({ id, fn, event, remainingMs })}\n`);
  });
}

const body = (result: Json) => (result.body ? JSON.parse(result.body) : undefined);

describe('bundled functions against the local stack', () => {
  it('health, topics, produce, fetch and groups answer API Gateway v2 events', async () => {
    const health = await invoke('health', httpEvent('GET', '/healthz'));
    expect(health.statusCode).toBe(200);

    const created = await invoke(
      'topics',
      httpEvent('POST', '/v1/topics', { body: { name: 'orders', partitions: 2 } }),
    );
    expect(created.statusCode, created.body).toBe(201);
    expect(body(created)).toMatchObject({ name: 'orders', partitions: 2 });

    const produced = await invoke(
      'produce',
      httpEvent('POST', '/v1/topics/orders/records', {
        body: {
          records: [
            { key: 'a', value: 'first', partition: 0, headers: { h: 'v' } },
            { key: 'b', value: 'second', partition: 0 },
            { value: 'third', partition: 1 },
          ],
        },
      }),
    );
    expect(produced.statusCode, produced.body).toBe(200);
    expect(body(produced).offsets).toEqual([
      { partition: 0, offset: '0' },
      { partition: 0, offset: '1' },
      { partition: 1, offset: '0' },
    ]);

    const fetched = await invoke(
      'fetch',
      httpEvent('GET', '/v1/topics/orders/partitions/0/records', { query: { offset: '0', waitMs: '100' } }),
    );
    expect(fetched.statusCode, fetched.body).toBe(200);
    expect(body(fetched)).toMatchObject({
      records: [
        { offset: '0', key: 'a', value: 'first', headers: { h: 'v' } },
        { offset: '1', key: 'b', value: 'second' },
      ],
      nextOffset: '2',
      highWatermark: '2',
    });
    const latest = await invoke(
      'fetch',
      httpEvent('GET', '/v1/topics/orders/partitions/0/offsets', { query: { at: 'latest' } }),
    );
    expect(body(latest)).toEqual({ offset: '2' });

    const joined = await invoke(
      'groups',
      httpEvent('POST', '/v1/groups/fraud/heartbeat', { body: { memberEpoch: 0, topics: ['orders'] } }),
    );
    expect(joined.statusCode, joined.body).toBe(200);
    const member = body(joined);
    expect(member.memberId).toEqual(expect.any(String));
    expect(member.memberEpoch).toBeGreaterThan(0);
    const again = await invoke(
      'groups',
      httpEvent('POST', '/v1/groups/fraud/heartbeat', {
        body: {
          memberId: member.memberId,
          memberEpoch: member.memberEpoch,
          ownedPartitions: member.assignment,
        },
      }),
    );
    const assignment = body(again).assignment as { topic: string; partitions: number[] }[];
    expect(assignment.flatMap((a) => a.partitions).sort()).toEqual([0, 1]);
    const committed = await invoke(
      'groups',
      httpEvent('POST', '/v1/groups/fraud/offsets', {
        body: {
          memberId: member.memberId,
          memberEpoch: body(again).memberEpoch,
          offsets: [{ topic: 'orders', partition: 0, offset: '2' }],
        },
      }),
    );
    expect(committed.statusCode, committed.body).toBe(200);
    const described = await invoke('groups', httpEvent('GET', '/v1/groups/fraud'));
    expect(body(described).offsets).toContainEqual(
      expect.objectContaining({ topic: 'orders', partition: 0, committedOffset: '2', lag: '0' }),
    );
  });

  it('errors keep their typed shape through the bundle', async () => {
    const unknown = await invoke(
      'produce',
      httpEvent('POST', '/v1/topics/nope/records', { body: { records: [{ value: 'x' }] } }),
    );
    expect(unknown.statusCode).toBe(404);
    expect(body(unknown).error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    const malformed = await invoke('topics', { ...httpEvent('POST', '/v1/topics'), body: '{nope' });
    expect(malformed.statusCode).toBe(400);
    expect(body(malformed).error.code).toBe('INVALID_REQUEST');
  });

  it('maintenance runs retention, compaction and storage GC, and reports the backlog left', async () => {
    await invoke('topics', httpEvent('POST', '/v1/topics', { body: { name: 'doomed', partitions: 1 } }));
    await invoke(
      'produce',
      httpEvent('POST', '/v1/topics/doomed/records', { body: { records: [{ value: 'x' }] } }),
    );
    expect((await invoke('topics', httpEvent('DELETE', '/v1/topics/doomed'))).statusCode).toBe(204);
    const result = await invoke('maintenance', {
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      detail: {},
    });
    expect(result.report).toMatchObject({ topics: 1, deletedTopicsCleaned: 1 });
    expect(result.backlog).toMatchObject({ orphans: 0, deletedTopics: 0 });
  });

  it('the tail streams SSE under the streaming runtime, and answers buffered without it', async () => {
    const tailEvent = httpEvent('GET', '/', {
      query: { topic: 'orders', partition: '0', offset: 'earliest' },
    });
    const streamed = await invoke('tailStreaming', tailEvent, 4500);
    expect(streamed.metadata).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': expect.stringContaining('text/event-stream') },
    });
    const events = sseEvents(streamed.body);
    expect(
      events.filter((e) => e.event === 'record').map((e) => [e.id, JSON.parse(e.data ?? 'null').value]),
    ).toEqual([
      ['0', 'first'],
      ['1', 'second'],
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ nextOffset: '2' }) });

    // Reconnecting with Last-Event-ID resumes after that record.
    const resumed = await invoke(
      'tailStreaming',
      { ...tailEvent, headers: { ...tailEvent.headers, 'last-event-id': '0' } },
      4000,
    );
    expect(
      sseEvents(resumed.body)
        .filter((e) => e.event === 'record')
        .map((e) => e.id),
    ).toEqual(['1']);

    const missing = await invoke('tailStreaming', httpEvent('GET', '/', { query: { topic: 'nope' } }), 4000);
    expect(missing.metadata.statusCode).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');

    const buffered = await invoke('tail', tailEvent);
    expect(buffered.statusCode).toBe(200);
    expect(sseEvents(buffered.body).filter((e) => e.event === 'record')).toHaveLength(2);
  });

  it('logs carry the request id, and metrics go out as EMF', async () => {
    const logLines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const logs = logLines.filter((l) => l.level !== undefined);
    expect(logs.length).toBeGreaterThan(5);
    for (const l of logs) expect(l.requestId, JSON.stringify(l)).toEqual(expect.any(String));
    const emf = logLines.filter((l) => l._aws?.CloudWatchMetrics);
    const names = new Set(
      emf.flatMap((l) => l._aws.CloudWatchMetrics.flatMap((m: Json) => m.Metrics.map((x: Json) => x.Name))),
    );
    for (const metric of [
      'RecordsProduced',
      'BytesProduced',
      'RecordsFetched',
      'BytesFetched',
      'FetchWaitTime',
      'Errors',
    ]) {
      expect(names, metric).toContain(metric);
    }
    const produced = emf.find((l) => l.RecordsProduced !== undefined);
    expect(produced).toMatchObject({ service: 'produce', cluster: 'bundle-test', RecordsProduced: 3 });
    expect(emf.find((l) => l.ErrorCode === 'UNKNOWN_TOPIC_OR_PARTITION')).toMatchObject({ Errors: 1 });
  });

  // Last: its topic would change what maintenance counts.
  it('produce and fetch answer Function URL events (routeKey $default, no pathParameters) as API Gateway ones', async () => {
    const created = await invoke(
      'topics',
      httpEvent('POST', '/v1/topics', { body: { name: 'via-url', partitions: 1 } }),
    );
    expect(created.statusCode, created.body).toBe(201);
    // Its metrics name the route (the entry point routes before observing): RecordsProduced is counted.
    const producedOne = () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((l) => l._aws?.CloudWatchMetrics && l.service === 'produce' && l.RecordsProduced === 1)
        .length;
    const before = producedOne();
    const records = { records: [{ key: 'k', value: 'over a Function URL' }] };
    const produced = await invoke(
      'produce',
      functionUrlEvent('POST', '/v1/topics/via-url/records', { body: records }),
    );
    expect(produced.statusCode, produced.body).toBe(200);
    expect(body(produced).offsets).toEqual([{ partition: 0, offset: '0' }]);
    await expect.poll(producedOne, { timeout: 5000 }).toBe(before + 1);
    const path = '/v1/topics/via-url/partitions/0/records';
    const viaUrl = await invoke('fetch', functionUrlEvent('GET', path, { query: { offset: '0' } }));
    expect(viaUrl.statusCode, viaUrl.body).toBe(200);
    expect(body(viaUrl)).toMatchObject({
      records: [{ offset: '0', key: 'k', value: 'over a Function URL' }],
    });
    expect(body(viaUrl)).toEqual(
      body(await invoke('fetch', httpEvent('GET', path, { query: { offset: '0' } }))),
    );
    const elsewhere = await invoke('produce', functionUrlEvent('GET', '/v1/groups'));
    expect(elsewhere.statusCode).toBe(404);
  });
});

function sseEvents(text: string): { id?: string; event?: string; data?: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const e: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        e[line.slice(0, i)] = line.slice(i + 1).trimStart();
      }
      return e;
    })
    .filter((e) => Object.keys(e).length > 0);
}
