/**
 * The client's data path against the real handlers (DynamoDB Local + s3rver): by default the
 * producer sends and the consumer fetches Kafka RecordBatch v2 bytes (the batches routes), with
 * the idempotent producer's id, epoch and sequences in the batch headers; `dataPath: 'json'`
 * keeps the JSON records routes. Every request is seen through an injected fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, type Consumer, type KafkaMessage, logLevel, Strata } from '../../index.js';
import type { DataPath } from '../../lib/client/types.js';
import { RECORD_BATCH_CONTENT_TYPE } from '../../lib/contract/record-batch.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;
const consumers: Consumer[] = [];

interface Seen {
  method: string;
  path: string;
  contentType: string | undefined;
  bytes: number;
}

/** A client whose every request is recorded; `lose` drops the answer of matching requests once each. */
function client(dataPath?: DataPath) {
  const seen: Seen[] = [];
  const lose: RegExp[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = init?.body;
    seen.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      contentType: headers['content-type'],
      bytes: body instanceof Uint8Array ? body.length : typeof body === 'string' ? body.length : 0,
    });
    const res = await fetch(input, init);
    const i = lose.findIndex((re) => re.test(`${init?.method} ${url.pathname}`));
    if (i >= 0) {
      lose.splice(i, 1);
      await res.arrayBuffer();
      throw new TypeError('connection reset (the answer was lost)');
    }
    return res;
  };
  const strata = new Strata({
    endpoint: server.url,
    logLevel: logLevel.NOTHING,
    fetch: fetchFn,
    retry: { initialRetryTime: 10, retries: 5 },
    ...(dataPath ? { dataPath } : {}),
  });
  return { strata, seen, lose };
}

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await server?.close();
});

async function createTopic(name: string, partitions: number) {
  const res = await api(server.url).post('/v1/topics', { name, partitions });
  expect(res.status).toBe(201);
}

async function consumeAll(strata: Strata, topic: string, count: number, groupId = `g-${topic}`) {
  const c = strata.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 500 });
  consumers.push(c);
  const messages: { partition: number; message: KafkaMessage }[] = [];
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await c.run({
    eachMessage: async ({ partition, message }) => {
      messages.push({ partition, message });
    },
  });
  const deadline = Date.now() + 30_000;
  while (messages.length < count) {
    if (Date.now() > deadline) throw new Error(`${messages.length} of ${count} messages arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.disconnect();
  return messages;
}

async function endOffsets(topic: string, partitions: number): Promise<number[]> {
  const http = api(server.url);
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) {
    out.push(Number((await http.get(`/v1/topics/${topic}/partitions/${p}/offsets?at=latest`)).body.offset));
  }
  return out;
}

describe('the binary data path is the default', () => {
  it('produces and consumes through the batches routes, bytes and headers intact', async () => {
    await createTopic('cb-default', 3);
    const { strata, seen } = client();
    const producer = strata.producer();
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: i % 2 === 0 ? `key-${i}` : Buffer.from([0, 1, 2, i]),
      value: i === 7 ? null : `value-${i}-é`,
      headers: { trace: `t${i}`, raw: Buffer.from([255, i]) },
      ...(i === 3 ? { timestamp: '1700000000123' } : {}),
    }));
    const metadata = await producer.send({ topic: 'cb-default', messages: sent });
    expect(metadata.reduce((n, m) => n + m.offsets.length, 0)).toBe(30);

    const produceRequests = seen.filter((s) => s.method === 'POST' && s.path.startsWith('/v1/topics/'));
    expect(produceRequests.length).toBeGreaterThan(0);
    for (const r of produceRequests) {
      expect(r.path).toMatch(/^\/v1\/topics\/cb-default\/partitions\/\d\/batches$/);
      expect(r.contentType).toBe(RECORD_BATCH_CONTENT_TYPE);
    }

    const got = await consumeAll(strata, 'cb-default', 30);
    const fetches = seen.filter((s) => s.method === 'GET' && /\/(batches|records)$/.test(s.path));
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.every((s) => s.path.endsWith('/batches'))).toBe(true);
    expect(seen.some((s) => s.path.endsWith('/records'))).toBe(false);

    const byKey = new Map(got.map((g) => [g.message.key?.toString('hex'), g.message]));
    sent.forEach((s, i) => {
      const m = byKey.get(Buffer.from(s.key).toString('hex')) as KafkaMessage;
      expect(m, `message ${i}`).toBeDefined();
      expect(m.value === null ? null : m.value.toString()).toBe(s.value);
      expect(m.headers.trace?.toString()).toBe(`t${i}`);
      expect([...(m.headers.raw as Buffer)]).toEqual([255, i]);
      if (i === 3) expect(m.timestamp).toBe('1700000000123');
      else expect(Math.abs(Number(m.timestamp) - Date.now())).toBeLessThan(60_000);
    });
    // Per partition, offsets are dense and in send order.
    for (let p = 0; p < 3; p++) {
      const offsets = got.filter((g) => g.partition === p).map((g) => Number(g.message.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('fills one request up to 4 MiB', async () => {
    await createTopic('cb-big', 1);
    const { strata, seen } = client();
    const producer = strata.producer({ linger: 1000 });
    const value = 'x'.repeat(1000);
    await producer.send({
      topic: 'cb-big',
      messages: Array.from({ length: 3000 }, () => ({ value, partition: 0 })),
    });
    // One request of 3 batches (each under the topic's max.message.bytes, 1 MiB).
    const posts = seen.filter((s) => s.path.endsWith('/batches'));
    expect(posts).toHaveLength(1);
    expect(posts[0]?.bytes).toBeGreaterThan(3_000_000);
    expect(posts[0]?.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(await endOffsets('cb-big', 1)).toEqual([3000]);
  });

  it('an idempotent retry after a lost answer is appended once', async () => {
    await createTopic('cb-retry', 2);
    const { strata, lose } = client();
    const producer = strata.producer();
    lose.push(/^POST \/v1\/topics\/cb-retry\/partitions\/0\/batches$/);
    lose.push(/^POST \/v1\/topics\/cb-retry\/partitions\/1\/batches$/);
    const metadata = await producer.send({
      topic: 'cb-retry',
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
        { value: 'c', partition: 1 },
      ],
    });
    expect(lose).toEqual([]);
    expect(metadata.find((m) => m.partition === 0)?.offsets).toEqual(['0', '1']);
    expect(await endOffsets('cb-retry', 2)).toEqual([2, 1]);
    // The sequences carried on: the next send is neither refused nor deduplicated away.
    await producer.send({ topic: 'cb-retry', messages: [{ value: 'd', partition: 0 }] });
    expect(await endOffsets('cb-retry', 2)).toEqual([3, 1]);
    const got = await consumeAll(strata, 'cb-retry', 4);
    expect(got.map((g) => g.message.value?.toString()).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sends compressed records as JSON and reads compressed batches through the JSON fetch', async () => {
    await createTopic('cb-gzip', 1);
    const { strata, seen } = client();
    const producer = strata.producer();
    await producer.send({
      topic: 'cb-gzip',
      compression: CompressionTypes.GZIP,
      messages: [{ value: 'zipped-1' }, { value: 'zipped-2' }],
    });
    await producer.send({ topic: 'cb-gzip', messages: [{ value: 'plain' }] });
    expect(seen.filter((s) => s.path.endsWith('/records') && s.method === 'POST')).toHaveLength(1);
    expect(seen.filter((s) => s.path.endsWith('/batches') && s.method === 'POST')).toHaveLength(1);
    const got = await consumeAll(strata, 'cb-gzip', 3);
    expect(got.map((g) => g.message.value?.toString())).toEqual(['zipped-1', 'zipped-2', 'plain']);
    expect(seen.some((s) => s.method === 'GET' && s.path.endsWith('/records'))).toBe(true);
  });

  it('honours maxRecordsPerFetch', async () => {
    await createTopic('cb-max', 1);
    const { strata, seen } = client();
    await strata.producer().send({
      topic: 'cb-max',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });
    const c = strata.consumer({ groupId: 'g-cb-max', maxWaitTimeInMs: 200, maxRecordsPerFetch: 3 });
    consumers.push(c);
    const batches: number[] = [];
    const values: string[] = [];
    await c.subscribe({ topics: ['cb-max'], fromBeginning: true });
    await c.run({
      eachBatch: async ({ batch }) => {
        batches.push(batch.messages.length);
        for (const m of batch.messages) values.push(m.value?.toString() ?? '');
      },
    });
    const deadline = Date.now() + 20_000;
    while (values.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await c.disconnect();
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    expect(seen.some((s) => s.method === 'GET' && s.path.endsWith('/batches'))).toBe(true);
  });
});

describe("dataPath: 'json'", () => {
  it('keeps the JSON records routes, and round-trips as before', async () => {
    await createTopic('cb-json', 2);
    const { strata, seen } = client('json');
    const producer = strata.producer();
    await producer.send({
      topic: 'cb-json',
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    const got = await consumeAll(strata, 'cb-json', 10);
    expect(got.map((g) => g.message.value?.toString()).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `v${i}`).sort(),
    );
    expect(seen.some((s) => s.path.endsWith('/batches'))).toBe(false);
    expect(seen.some((s) => s.method === 'POST' && s.path.endsWith('/records'))).toBe(true);
    expect(seen.some((s) => s.method === 'GET' && s.path.endsWith('/records'))).toBe(true);
  });

  it('a producer may choose its own path', async () => {
    await createTopic('cb-mixed', 1);
    const { strata, seen } = client();
    await strata.producer({ dataPath: 'json' }).send({ topic: 'cb-mixed', messages: [{ value: 'j' }] });
    await strata.producer().send({ topic: 'cb-mixed', messages: [{ value: 'b' }] });
    expect(seen.filter((s) => s.method === 'POST').map((s) => s.path.split('/').pop())).toEqual([
      'producers',
      'records',
      'producers',
      'batches',
    ]);
    const got = await consumeAll(strata, 'cb-mixed', 2);
    expect(got.map((g) => g.message.value?.toString())).toEqual(['j', 'b']);
  });
});
