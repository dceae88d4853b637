import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestGateway } from '../../../support/gateway.js';
import {
  comparable,
  createTopicHttp,
  produceHttp,
  type ReadRecord,
  sampleRecords,
  storedBatches,
  type TestRecord,
} from '../../../support/kafka-clients.js';

/**
 * @platformatic/kafka 1.35 against the gateway: flexible versions only, topics named by id in
 * Fetch. Its headers are a Map (no repeated key). It ships none, gzip, snappy and lz4 (WASM); its
 * zstd needs node:zlib's zstd, which Node 20 lacks. It reads by assign and seek through
 * Consumer.fetch (no group); its simple-consumer commit is Admin.alterConsumerGroupOffsets
 * (OffsetCommit with generation -1).
 */
const ctx = useTestGateway();

const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;

let admin: Admin;
let producer: Producer;
let consumer: Consumer;

beforeAll(async () => {
  const base = { clientId: 'strata-platformatic-test', bootstrapBrokers: [ctx.bootstrap], retries: 2 };
  admin = new Admin(base);
  producer = new Producer(base);
  consumer = new Consumer({ ...base, groupId: 'pl-unused' });
  await createTopicHttp(ctx.http, 'pl-codecs', CODECS.length);
});

afterAll(async () => {
  await Promise.allSettled([admin?.close(), producer?.close(), consumer?.close()]);
});

/** Consumer.fetch at `offset` (Fetch by topic id), decoded by platformatic, until `count` records. */
async function fetchRecords(topic: string, partition: number, offset: number, count: number) {
  const md = await consumer.metadata({ topics: [topic] });
  const topicId = md.topics.get(topic)?.id as string;
  const out: ReadRecord[] = [];
  let next = BigInt(offset);
  const deadline = Date.now() + 20_000;
  while (out.length < count && Date.now() < deadline) {
    const res = await consumer.fetch({
      node: 0,
      maxWaitTime: 500,
      topics: [
        {
          topicId,
          partitions: [
            {
              partition,
              fetchOffset: next,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
    });
    const p = res.responses[0]?.partitions[0];
    expect(p?.errorCode).toBe(0);
    for (const batch of p?.records ?? []) {
      for (const r of batch.records) {
        const at = batch.firstOffset + BigInt(r.offsetDelta);
        if (at < next) continue;
        out.push({
          partition,
          offset: Number(at),
          timestamp: Number(batch.firstTimestamp + r.timestampDelta),
          key: r.key,
          value: r.value,
          headers: r.headers.map(([k, v]): [string, Buffer | null] => [(k as Buffer).toString(), v]),
        });
        next = at + 1n;
      }
    }
  }
  return out.slice(0, count);
}

function message(topic: string, r: TestRecord) {
  return {
    topic,
    key: r.key as Buffer,
    value: r.value as Buffer,
    headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), v as Buffer])),
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
    ...(r.timestamp !== undefined ? { timestamp: BigInt(r.timestamp) } : {}),
  };
}

describe('@platformatic/kafka', () => {
  it('reads metadata: cluster, controller, one broker, topic ids', async () => {
    await createTopicHttp(ctx.http, 'pl-meta', 2);
    const md = await admin.metadata({ topics: ['pl-meta'] });
    const [host, port] = ctx.bootstrap.split(':');
    expect(md.id).toBe('strata-local');
    expect(md.controllerId).toBe(0);
    expect([...md.brokers.entries()]).toEqual([[0, { host, port: Number(port), rack: null }]]);
    const topic = md.topics.get('pl-meta');
    expect(topic?.partitionsCount).toBe(2);
    expect(topic?.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr }))).toEqual([
      { leader: 0, replicas: [0], isr: [0] },
      { leader: 0, replicas: [0], isr: [0] },
    ]);
    // The topic id on the wire is the topic's UUID.
    expect(topic?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('creates and deletes a topic with its Admin', async () => {
    const created = await admin.createTopics({
      topics: ['pl-admin'],
      partitions: 3,
      replicas: 3,
      configs: [{ name: 'retention.ms', value: '5400000' }],
    });
    expect(created).toEqual([
      expect.objectContaining({ name: 'pl-admin', partitions: 3, replicas: 1, id: expect.any(String) }),
    ]);
    expect(await admin.listTopics()).toContain('pl-admin');
    // CreateTopics reports the id Metadata then shows.
    const md = await admin.metadata({ topics: ['pl-admin'], forceUpdate: true });
    expect(md.topics.get('pl-admin')?.id).toBe(created[0]?.id);
    const described = await ctx.http.get('/v1/topics/pl-admin');
    expect(described.body).toMatchObject({ config: { 'retention.ms': '5400000' } });
    await expect(admin.createTopics({ topics: ['pl-admin'], partitions: 1 })).rejects.toThrow();

    await admin.deleteTopics({ topics: ['pl-admin'] });
    expect(await admin.listTopics()).not.toContain('pl-admin');
    expect((await ctx.http.get('/v1/topics/pl-admin')).status).toBe(404);
  });

  it.each(CODECS.map((codec, partition) => ({ codec, partition })))(
    'produces keyed records with headers and timestamps under $codec, and fetches them back by offset',
    async ({ codec, partition }) => {
      const topic = 'pl-codecs';
      const records = sampleRecords(`pl-${codec}`, 6, {
        baseTimestamp: 1_700_000_000_000,
        partition,
        nullHeader: false,
        repeatedHeader: false,
      });
      const sent = await producer.send({
        messages: records.map((r) => message(topic, r)),
        compression: codec,
      });
      expect(sent.offsets).toEqual([{ topic, partition, offset: 0n }]);
      const batches = await storedBatches(ctx.bootstrap, topic, partition);
      expect(batches.map((b) => b.codec)).toEqual([codec]);

      const all = await fetchRecords(topic, partition, 0, 6);
      expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(all.map((r) => comparable(r))).toEqual(records.map((r) => comparable(r)));
      const tail = await fetchRecords(topic, partition, 3, 3);
      expect(tail.map((r) => r.offset)).toEqual([3, 4, 5]);
      expect(tail.map((r) => comparable(r))).toEqual(records.slice(3).map((r) => comparable(r)));
    },
  );

  it('lists offsets: earliest, latest and by timestamp', async () => {
    const topic = 'pl-offsets';
    await createTopicHttp(ctx.http, topic, 2);
    const base = 1_700_000_000_000;
    await produceHttp(ctx.http, topic, sampleRecords('pl-off', 5, { baseTimestamp: base, partition: 0 }));
    const list = async (timestamp: bigint) => {
      const [t] = await admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, timestamp },
              { partitionIndex: 1, timestamp },
            ],
          },
        ],
      });
      return t?.partitions
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((p) => [p.partitionIndex, Number(p.offset)]);
    };
    // -2 earliest, -1 latest
    expect(await list(-2n)).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(await list(-1n)).toEqual([
      [0, 5],
      [1, 0],
    ]);
    expect(await list(BigInt(base + 1500))).toEqual([
      [0, 2],
      [1, -1],
    ]);
    expect(await list(BigInt(base + 4001))).toEqual([
      [0, -1],
      [1, -1],
    ]);
    // The consumer's listOffsets (latest by default) agrees.
    const latest = await consumer.listOffsets({ topics: [topic] });
    expect(latest.get(topic)).toEqual([5n, 0n]);
  });

  it('commits and fetches offsets as a simple consumer (alterConsumerGroupOffsets, listConsumerGroupOffsets)', async () => {
    const topic = 'pl-commit';
    await createTopicHttp(ctx.http, topic, 2);
    await admin.alterConsumerGroupOffsets({
      groupId: 'pl-simple',
      topics: [
        {
          name: topic,
          partitionOffsets: [
            { partition: 0, offset: 9n },
            { partition: 1, offset: 1n },
          ],
        },
      ],
    });
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId: 'pl-simple', topics: [{ name: topic, partitionIndexes: [0, 1] }] }],
    });
    expect(group?.groupId).toBe('pl-simple');
    expect(
      group?.topics
        .find((t) => t.name === topic)
        ?.partitions.map((p) => [p.partitionIndex, p.committedOffset])
        .sort(),
    ).toEqual([
      [0, 9n],
      [1, 1n],
    ]);
  });
});
