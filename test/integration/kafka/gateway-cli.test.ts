import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { openKafkaWire } from '../../support/kafka-wire.js';
import { useTestServer } from '../../support/stack.js';

const ctx = useTestServer();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function strata(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['bin/strata.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** The first stdout line that matches, or a failure when the process exits or 30 s pass first. */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}`)), 30_000);
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = line.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing ${pattern}: ${stderr}`));
    });
  });
}

it('`strata gateway` serves the tables it is pointed at, and stops cleanly on SIGTERM', async () => {
  const { config } = ctx.engine;
  expect((await ctx.http.post('/v1/topics', { name: 'shared', partitions: 1 })).status).toBe(201);
  const produced = await ctx.http.post('/v1/topics/shared/records', {
    records: [{ key: 'k', value: 'over http' }],
  });
  expect(produced.status).toBe(200);

  const child = strata(['gateway'], {
    STRATA_META_TABLE: config.metaTable,
    STRATA_INDEX_TABLE: config.indexTable,
    STRATA_BUCKET: config.bucket,
    DYNAMODB_ENDPOINT: config.dynamodbEndpoint ?? '',
    S3_ENDPOINT: config.s3Endpoint ?? '',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    STRATA_KAFKA_PORT: '0',
  });
  const [, bootstrap] = await lineMatching(child, /advertised as (\S+)/);
  const wire = await openKafkaWire(bootstrap as string);
  const offsets = await wire.request(APIS.ListOffsets.key, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'shared', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  expect(offsets.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, offset: 1n });
  wire.close();

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  expect((await exited)[0]).toBe(0);
});

it('`strata gateway --help` explains its settings', async () => {
  const child = strata(['gateway', '--help']);
  const line = lineMatching(child, /STRATA_KAFKA_PORT/);
  await expect(line).resolves.toBeTruthy();
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
});
