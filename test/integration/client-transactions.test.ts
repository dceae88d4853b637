import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata } from '../../index.js';
import { logLevel } from '../../lib/client/index.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;
let strata: Strata;

beforeAll(async () => {
  const engine = await createTestEngine();
  server = await startTestServer(engine);
  strata = new Strata({ endpoint: server.url, logLevel: logLevel.NOTHING });
  const admin = strata.admin();
  await admin.createTopics({
    topics: [
      { topic: 'txn-in', numPartitions: 2 },
      { topic: 'txn-out', numPartitions: 2 },
    ],
  });
});
afterAll(async () => {
  await server?.close();
});

describe('client transactions (exactly-once consume, transform, produce)', () => {
  it('writes each output together with the consumed offsets, as KafkaJS transaction().sendOffsets()', async () => {
    const input = strata.producer();
    await input.send({
      topic: 'txn-in',
      messages: Array.from({ length: 20 }, (_, i) => ({ value: `o${i}`, partition: i % 2 })),
    });

    const consumer = strata.consumer({ groupId: 'enricher' });
    const producer = strata.producer({ transactionalId: 'enricher-1' });
    expect(producer.isIdempotent()).toBe(true);
    await expect(producer.send({ topic: 'txn-out', messages: [{ value: 'x' }] })).rejects.toThrow(
      /transaction/,
    );
    await consumer.connect();
    await consumer.subscribe({ topics: ['txn-in'], fromBeginning: true });
    let done = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const txn = await producer.transaction();
        await txn.send({
          topic: 'txn-out',
          messages: [{ value: String(message.value).toUpperCase(), partition }],
        });
        await txn.sendOffsets({
          consumerGroupId: 'enricher',
          topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
        });
        await txn.commit();
        done++;
      },
    });
    const deadline = Date.now() + 30_000;
    while (done < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();

    const http = api(server.url);
    const committed = (await http.get('/v1/groups/enricher/offsets')).body.offsets;
    expect(committed.map((o: { partition: number; offset: string }) => [o.partition, o.offset])).toEqual([
      [0, '10'],
      [1, '10'],
    ]);
    const out: string[] = [];
    for (const p of [0, 1]) {
      const res = await http.get(`/v1/topics/txn-out/partitions/${p}/records?offset=0`);
      out.push(...res.body.records.map((r: { value: string }) => r.value));
    }
    expect(out.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `O${i}`).sort());
  });

  it('fences the older instance of a transactionalId: its commit fails and writes nothing', async () => {
    const old = strata.producer({ transactionalId: 'fenced-1' });
    const txn = await old.transaction();
    await txn.send({ topic: 'txn-out', messages: [{ value: 'zombie', partition: 0 }] });
    const fresh = strata.producer({ transactionalId: 'fenced-1' });
    await fresh.transaction();
    await expect(txn.commit()).rejects.toMatchObject({ code: 'INVALID_PRODUCER_EPOCH' });
    const res = await api(server.url).get('/v1/topics/txn-out/partitions/0/records?offset=0');
    expect(res.body.records.map((r: { value: string }) => r.value)).not.toContain('zombie');
  });
});

describe('retention through the client', () => {
  it('deleteTopicRecords moves the log start, and a consumer below it resets as auto.offset.reset says', async () => {
    const admin = strata.admin();
    await admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 1 }] });
    const producer = strata.producer();
    await producer.send({
      topic: 'trimmed',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })),
    });
    // A group that committed offset 2 before the records below 6 were deleted.
    await admin.setOffsets({
      groupId: 'behind',
      topic: 'trimmed',
      partitions: [{ partition: 0, offset: '2' }],
    });
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
    expect(await admin.fetchTopicOffsets('trimmed')).toMatchObject([{ partition: 0, low: '6', high: '10' }]);

    const consumer = strata.consumer({ groupId: 'behind' });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['trimmed'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    const deadline = Date.now() + 20_000;
    while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    expect(seen).toEqual(['v6', 'v7', 'v8', 'v9']);
  });
});
