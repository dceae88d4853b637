import { describe, expect, it } from 'vitest';
import { logLevel, Strata } from '../../../index.js';
import { partitionForKey } from '../../../lib/contract/partitioner.js';
import { FakeLog } from './fake-log.js';

function setup(partitions = 3, producerConfig: Parameters<Strata['producer']>[0] = {}) {
  const log = new FakeLog();
  log.createTopic('t', partitions);
  const strata = new Strata({
    endpoint: 'http://strata.test',
    fetch: log.fetch,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 1, retries: 3 },
    // The fake speaks the JSON records routes; the binary path runs against the real server
    // (test/integration/client-binary.test.ts).
    dataPath: 'json',
  });
  return { log, strata, producer: strata.producer(producerConfig) };
}

const produceBodies = (log: FakeLog) =>
  log
    .produceRequests()
    .map(
      (r) => r.body as { records: { partition: number; key?: string; value: string }[]; encoding?: string },
    );

describe('idempotent producer (the default)', () => {
  it('carries its producer id and per-partition sequences, and a retry after a lost response appends nothing', async () => {
    const { producer, log } = setup(2);
    await producer.send({
      topic: 't',
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
      ],
    });
    log.loseProduceResponses = 1;
    const [md] = await producer.send({ topic: 't', messages: [{ value: 'c', partition: 0 }] });
    expect(md?.offsets).toEqual(['2']);
    expect(log.topics.get('t')?.[0]?.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    const bodies = produceBodies(log) as unknown as {
      producer: { producerId: string; sequences: unknown[] };
    }[];
    expect(bodies.map((b) => b.producer.sequences)).toEqual([
      [{ partition: 0, baseSequence: 0 }],
      [{ partition: 0, baseSequence: 2 }],
      [{ partition: 0, baseSequence: 2 }],
    ]);
    expect(new Set(bodies.map((b) => b.producer.producerId)).size).toBe(1);
  });

  it('without idempotence, the same lost response duplicates (what idempotence prevents)', async () => {
    const { producer, log } = setup(1, { idempotent: false });
    log.loseProduceResponses = 1;
    await producer.send({ topic: 't', messages: [{ value: 'c' }] });
    expect(log.topics.get('t')?.[0]?.map((r) => r.value)).toEqual(['c', 'c']);
  });
});

describe('producer', () => {
  it('resolves send with KafkaJS RecordMetadata plus every offset', async () => {
    const { producer } = setup(1);
    const res = await producer.send({
      topic: 't',
      messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
    });
    expect(res).toEqual([
      {
        topicName: 't',
        partition: 0,
        errorCode: 0,
        baseOffset: '0',
        offsets: ['0', '1', '2'],
        logAppendTime: '-1',
      },
    ]);
  });

  it('places keyed messages with murmur2, as Kafka and KafkaJS do, and groups the metadata by partition', async () => {
    const { producer, log } = setup(6);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'k1', 'k2', 'k3'];
    const res = await producer.send({
      topic: 't',
      messages: keys.map((key) => ({ key, value: `v-${key}` })),
    });
    const sent = produceBodies(log).flatMap((b) => b.records);
    for (const r of sent) {
      expect(r.partition).toBe(partitionForKey(new TextEncoder().encode(r.key as string), 6));
    }
    expect(res.reduce((n, md) => n + md.offsets.length, 0)).toBe(keys.length);
    for (const md of res) {
      const stored = log.topics.get('t')?.[md.partition] ?? [];
      expect(md.offsets.map((o) => stored[Number(o)]?.key)).toEqual(
        keys.filter((k) => partitionForKey(new TextEncoder().encode(k), 6) === md.partition),
      );
    }
  });

  it('honours an explicit partition', async () => {
    const { producer } = setup(3);
    const [md] = await producer.send({ topic: 't', messages: [{ key: 'x', value: 'y', partition: 2 }] });
    expect(md?.partition).toBe(2);
  });

  it('batches sends that arrive within linger into one request', async () => {
    const { producer, log } = setup(3, { linger: 20 });
    const sends = Array.from({ length: 25 }, (_, i) =>
      producer.send({ topic: 't', messages: [{ value: `m${i}` }] }),
    );
    const results = await Promise.all(sends);
    expect(log.produceRequests()).toHaveLength(1);
    // Unkeyed records stick to one partition per batch.
    expect(new Set(results.map((r) => r[0]?.partition)).size).toBe(1);
    expect(results.map((r) => r[0]?.offsets[0])).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('sends as soon as batchSize bytes wait, without waiting for linger; the rest waits', async () => {
    const { producer, log } = setup(1, { linger: 60_000, batchSize: 2000 });
    const value = 'x'.repeat(600);
    const sends = Array.from({ length: 4 }, () => producer.send({ topic: 't', messages: [{ value }] }));
    // 4 x ~620 bytes pass 2000: the first three leave at once, in one request within the limit.
    await Promise.all(sends.slice(0, 3));
    expect(log.produceRequests()).toHaveLength(1);
    expect(JSON.stringify(log.produceRequests()[0]?.body).length).toBeLessThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, 20));
    expect(log.produceRequests()).toHaveLength(1);
    await producer.flush();
    await expect(sends[3]).resolves.toHaveLength(1);
    expect(log.produceRequests()).toHaveLength(2);
  });

  it('splits a batch over 49 partitions into several requests (non-idempotent)', async () => {
    const { producer, log } = setup(120, { idempotent: false });
    const messages = Array.from({ length: 120 }, (_, p) => ({ value: `p${p}`, partition: p }));
    const res = await producer.send({ topic: 't', messages });
    expect(res).toHaveLength(120);
    const bodies = produceBodies(log);
    expect(bodies.length).toBe(3);
    for (const b of bodies) expect(new Set(b.records.map((r) => r.partition)).size).toBeLessThanOrEqual(49);
  });

  it('splits an idempotent batch over 32 partitions (3 transaction actions per partition)', async () => {
    const { producer, log } = setup(120);
    const messages = Array.from({ length: 120 }, (_, p) => ({ value: `p${p}`, partition: p }));
    expect(await producer.send({ topic: 't', messages })).toHaveLength(120);
    const bodies = produceBodies(log);
    expect(bodies.length).toBe(4);
    for (const b of bodies) expect(new Set(b.records.map((r) => r.partition)).size).toBeLessThanOrEqual(32);
  });

  it('moves unkeyed records to a new partition once a batch is full, so a burst uses several requests', async () => {
    const { producer, log } = setup(6, { batchSize: 64 * 1024, linger: 50 });
    const value = 'x'.repeat(1024);
    const sends = Array.from({ length: 12 }, () =>
      producer.send({ topic: 't', messages: Array.from({ length: 30 }, () => ({ value })) }),
    );
    await Promise.all(sends);
    const partitions = new Set(produceBodies(log).flatMap((b) => b.records.map((r) => r.partition)));
    expect(partitions.size).toBeGreaterThan(1);
    expect(log.maxInFlight).toBeGreaterThan(1);
  });

  it('keeps up to maxInFlightRequests requests in flight, never two for one partition, order kept', async () => {
    const { producer, log } = setup(6, { linger: 0, maxInFlightRequests: 3 });
    log.holdProduces = true;
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let p = 0; p < 6; p++)
        sends.push(producer.send({ topic: 't', messages: [{ value: `${round}`, partition: p }] }));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(log.inFlight).toBe(3);
    const released = new Set<unknown>();
    while (released.size < log.produceRequests().length || log.inFlight > 0) {
      for (const r of log.produceRequests()) {
        if (!released.has(r) && r.release) {
          released.add(r);
          r.release();
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(sends);
    expect(log.maxInFlight).toBe(3);
    expect(log.partitionOverlap).toBe(false);
    for (let p = 0; p < 6; p++)
      expect(log.topics.get('t')?.[p]?.map((r) => r.value)).toEqual(['0', '1', '2', '3']);
  });

  it('retries a retriable failure and succeeds, without duplicating order', async () => {
    const { producer, log } = setup(1);
    log.failNext(/POST .*records$/, 503, 'KAFKA_STORAGE_ERROR', true);
    log.failNext(/POST .*records$/, 503, 'CONCURRENT_TRANSACTIONS', true);
    const [md] = await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    expect(md?.offsets).toEqual(['0']);
    expect(log.produceRequests()).toHaveLength(3);
  });

  it('does not retry a non-retriable failure; the send rejects with the typed error', async () => {
    const { producer, log } = setup(1);
    log.failNext(/POST .*records$/, 413, 'MESSAGE_TOO_LARGE', false);
    await expect(producer.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      retriable: false,
      status: 413,
    });
    expect(log.produceRequests()).toHaveLength(1);
  });

  it('gives up after retry.retries and rejects with the last error', async () => {
    const { producer, log } = setup(1);
    for (let i = 0; i < 10; i++) log.failNext(/POST .*records$/, 503, 'KAFKA_STORAGE_ERROR', true);
    await expect(producer.send({ topic: 't', messages: [{ value: 'a' }] })).rejects.toMatchObject({
      retryCount: 3,
    });
    expect(log.produceRequests()).toHaveLength(4);
  });

  it('sends bytes as base64 and strings as text', async () => {
    const { producer, log } = setup(1);
    await producer.send({ topic: 't', messages: [{ value: 'plain', headers: { h: 'v' } }] });
    await producer.send({
      topic: 't',
      messages: [
        { key: Buffer.from([1, 2]), value: new Uint8Array([255]), headers: { h: Buffer.from('x') } },
      ],
    });
    const [text, binary] = produceBodies(log);
    expect(text?.encoding).toBeUndefined();
    expect(text?.records[0]).toEqual({ partition: 0, value: 'plain', headers: { h: 'v' } });
    expect(binary?.encoding).toBe('base64');
    expect(binary?.records[0]).toEqual({ partition: 0, key: 'AQI=', value: '/w==', headers: { h: 'eA==' } });
  });

  it('refreshes the partition count after UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { producer, log } = setup(2);
    await producer.send({ topic: 't', messages: [{ key: 'k', value: 'v' }] });
    const describes = () =>
      log.requests.filter((r) => r.method === 'GET' && r.path === '/v1/topics/t').length;
    expect(describes()).toBe(1);
    log.failNext(/POST .*records$/, 404, 'UNKNOWN_TOPIC_OR_PARTITION', false);
    await expect(producer.send({ topic: 't', messages: [{ key: 'k', value: 'v' }] })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    await producer.send({ topic: 't', messages: [{ key: 'k', value: 'v' }] });
    expect(describes()).toBe(2);
  });

  it('sendBatch sends several topics and returns metadata for each', async () => {
    const { producer, log } = setup(1);
    log.createTopic('u', 2);
    const res = await producer.sendBatch({
      topicMessages: [
        { topic: 't', messages: [{ value: 'a' }] },
        { topic: 'u', messages: [{ value: 'b', partition: 1 }] },
      ],
    });
    expect(res.map((r) => [r.topicName, r.partition])).toEqual([
      ['t', 0],
      ['u', 1],
    ]);
  });

  it('rejects bad messages before sending anything', async () => {
    const { producer, log } = setup(1);
    await expect(
      producer.send({ topic: 't', messages: [{ value: 42 as unknown as string }] }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(
      producer.send({ topic: 't', messages: [{ value: 'v', headers: { h: ['a', 'b'] } }] }),
    ).rejects.toThrow(/one value per name/);
    expect(log.produceRequests()).toHaveLength(0);
    expect(await producer.send({ topic: 't', messages: [] })).toEqual([]);
  });

  it('disconnect flushes what is still waiting', async () => {
    const { producer, log } = setup(1, { linger: 60_000 });
    const pending = producer.send({ topic: 't', messages: [{ value: 'late' }] });
    await new Promise((r) => setTimeout(r, 10));
    expect(log.produceRequests()).toHaveLength(0);
    await producer.disconnect();
    await expect(pending).resolves.toHaveLength(1);
  });
});
