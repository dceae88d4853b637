import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../../../support/gateway.js';
import {
  createTopicHttp,
  kcatConsumeJson,
  killChildrenAfterAll,
  readHttp,
  sampleRecords,
  storedBatches,
} from '../../../support/kafka-clients.js';
import {
  fetchWithKafkajs,
  groupedByKey,
  kafkajsCluster,
  kafkajsMessage,
  useKafkajs,
} from '../../../support/kafkajs.js';

/**
 * kafkajs 2.2.4 against the gateway. kafkajs has no consumer without a group (its consumer always
 * joins one, and group membership is not served yet), so the records it writes are read back with
 * kafkajs's own Fetch (the broker connection its consumer uses, reached through the cluster it
 * builds), with kcat and over HTTP. Its simple-consumer commit is its own OffsetCommit on the
 * coordinator with generation -1 (kj.admin.setOffsets runs a group consumer). Only none and gzip:
 * snappy, lz4 and zstd need codec plugins that are not installed.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ctx = useTestGateway();
killChildrenAfterAll();

const kj = useKafkajs(
  ctx,
  'strata-kafkajs-test',
  { retry: { retries: 3, initialRetryTime: 100 } },
  { admin: true },
);

describe('kafkajs', () => {
  it('reads metadata: cluster, controller, one broker leading every partition', async () => {
    await createTopicHttp(ctx.http, 'kj-meta', 2);
    const cluster = await kj.admin.describeCluster();
    const [host, port] = ctx.bootstrap.split(':');
    expect(cluster).toEqual({
      brokers: [{ nodeId: 0, host, port: Number(port) }],
      controller: 0,
      clusterId: 'strata-local',
    });
    const md = await kj.admin.fetchTopicMetadata({ topics: ['kj-meta'] });
    expect(md.topics).toEqual([
      {
        name: 'kj-meta',
        partitions: [0, 1].map((p) => ({
          partitionErrorCode: 0,
          partitionId: p,
          leader: 0,
          replicas: [0],
          isr: [0],
          offlineReplicas: [],
        })),
      },
    ]);
    expect(await kj.admin.listTopics()).toContain('kj-meta');
  });

  it('creates and deletes a topic with its admin', async () => {
    const created = await kj.admin.createTopics({
      topics: [
        {
          topic: 'kj-admin',
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: 'retention.ms', value: '7200000' }],
        },
      ],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    expect(await kj.admin.listTopics()).toContain('kj-admin');
    const described = await ctx.http.get('/v1/topics/kj-admin');
    expect(described.body).toMatchObject({ config: { 'retention.ms': '7200000' } });
    expect(described.body.partitions).toHaveLength(3);
    // Already there: createTopics answers false, as kafkajs does for TOPIC_ALREADY_EXISTS.
    expect(await kj.admin.createTopics({ topics: [{ topic: 'kj-admin' }] })).toBe(false);

    await kj.admin.deleteTopics({ topics: ['kj-admin'], timeout: 10_000 });
    expect(await kj.admin.listTopics()).not.toContain('kj-admin');
    expect((await ctx.http.get('/v1/topics/kj-admin')).status).toBe(404);
  });

  it.each([
    { codec: 'none', type: CompressionTypes.None, partition: 0 },
    { codec: 'gzip', type: CompressionTypes.GZIP, partition: 1 },
  ] as const)(
    'produces keyed records with headers and timestamps under $codec; kafkajs Fetch, kcat and HTTP read them back',
    async ({ codec, type, partition }) => {
      const topic = `kj-produce-${codec}`;
      await createTopicHttp(ctx.http, topic, 2);
      const records = sampleRecords(`kj-${codec}`, 6, {
        baseTimestamp: 1_700_000_000_000,
        partition,
        nullHeader: false,
      });
      const sent = await kj.producer.send({
        topic,
        compression: type,
        messages: records.map(kafkajsMessage),
      });
      expect(sent).toEqual([
        expect.objectContaining({ topicName: topic, partition, errorCode: 0, baseOffset: '0' }),
      ]);

      const batches = await storedBatches(ctx.bootstrap, topic, partition);
      expect(batches.map((b) => b.codec)).toEqual([codec]);
      expect(batches[0]?.recordCount).toBe(6);

      // kafkajs's own Fetch and decoder, from the start and from the middle of the batch.
      const all = await fetchWithKafkajs(kj.kafka, topic, partition, 0, 6);
      expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(all.map(groupedByKey)).toEqual(records.map(groupedByKey));
      const tail = await fetchWithKafkajs(kj.kafka, topic, partition, 4, 2);
      expect(tail.map((r) => r.offset)).toEqual([4, 5]);
      expect(tail.map(groupedByKey)).toEqual(records.slice(4).map(groupedByKey));

      // kcat reads the same records, headers in order.
      const lines = await kcatConsumeJson(ctx.bootstrap, topic, partition, 0, 6);
      expect(lines.map((l) => [l.offset, l.ts, l.key, l.payload])).toEqual(
        records.map((r, i) => [i, r.timestamp, r.key?.toString(), r.value?.toString()]),
      );
      expect(lines.map((l) => l.headers)).toEqual(
        records.map((r) => r.headers.flatMap(([k, v]) => [k, v?.toString()])),
      );

      // And so does the HTTP API (headers are an object there: the last of a repeated key).
      const overHttp = await readHttp(ctx.http, topic, partition, 0, 6);
      expect(overHttp.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()])).toEqual(
        records.map((r, i) => [i, r.timestamp, r.key?.toString(), r.value?.toString()]),
      );
      expect(overHttp.map((r) => Object.fromEntries(r.headers.map(([k, v]) => [k, v?.toString()])))).toEqual(
        records.map((r) => Object.fromEntries(r.headers.map(([k, v]) => [k, v?.toString()]))),
      );
    },
  );

  it('lists offsets: fetchTopicOffsets (earliest and latest) and fetchTopicOffsetsByTimestamp', async () => {
    const topic = 'kj-offsets';
    await createTopicHttp(ctx.http, topic, 2);
    const base = 1_700_000_000_000;
    expect(await kj.admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
      { partition: 1, offset: '0', high: '0', low: '0' },
    ]);
    const records = sampleRecords('kj-off', 5, { baseTimestamp: base, partition: 1, nullHeader: false });
    await kj.producer.send({ topic, messages: records.map(kafkajsMessage) });
    const offsets = await kj.admin.fetchTopicOffsets(topic);
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
      { partition: 1, offset: '5', high: '5', low: '0' },
    ]);
    const at = async (ts: number) =>
      (await kj.admin.fetchTopicOffsetsByTimestamp(topic, ts)).sort((a, b) => a.partition - b.partition);
    // Where no record is that late the broker says -1, which kafkajs replaces by the high watermark.
    expect(await at(base - 1)).toEqual([
      { partition: 0, offset: '0' },
      { partition: 1, offset: '0' },
    ]);
    expect((await at(base + 2500))[1]).toEqual({ partition: 1, offset: '3' });
    expect((await at(base + 4000))[1]).toEqual({ partition: 1, offset: '4' });
    expect((await at(base + 4001))[1]).toEqual({ partition: 1, offset: '5' });
  });

  it('commits offsets as a simple consumer (generation -1) and fetches them with kj.admin.fetchOffsets', async () => {
    const topic = 'kj-commit';
    await createTopicHttp(ctx.http, topic, 2);
    const groupId = 'kj-simple';
    const cluster = await kafkajsCluster(kj.kafka);
    try {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      const res = await coordinator.offsetCommit({
        groupId,
        groupGenerationId: -1,
        memberId: '',
        topics: [
          {
            topic,
            partitions: [
              { partition: 0, offset: '12', metadata: 'kj-meta' },
              { partition: 1, offset: '3' },
            ],
          },
        ],
      });
      expect(res.responses).toEqual([
        {
          topic,
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 0 },
          ],
        },
      ]);
    } finally {
      await cluster.disconnect();
    }
    const fetched = await kj.admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched).toEqual([
      {
        topic,
        partitions: [
          { partition: 0, offset: '12', metadata: 'kj-meta' },
          { partition: 1, offset: '3', metadata: null },
        ],
      },
    ]);
    // A group that committed nothing: -1.
    const none = await kj.admin.fetchOffsets({ groupId: 'kj-nothing', topics: [topic] });
    expect(none[0]?.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
  });
});
