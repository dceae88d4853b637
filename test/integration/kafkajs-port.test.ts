/**
 * A KafkaJS program, ported. Everything inside `kafkajsProgram` is written against KafkaJS's API
 * (its README's producer and consumer examples plus the admin, sendBatch, headers, compression
 * and instrumentation idioms a real service uses). The port changed two lines and nothing else:
 *
 *   - import { Kafka, CompressionTypes, logLevel } from 'kafkajs'
 *   + import { Strata as Kafka, CompressionTypes, logLevel } from 'strata'   (here: '../../index.js')
 *
 *   - const kafka = new Kafka({ clientId: 'my-app', brokers: ['kafka1:9092', 'kafka2:9092'] })
 *   + const kafka = new Kafka({ clientId: 'my-app', endpoint: 'http://localhost:4510' })
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Strata as Kafka, logLevel } from '../../index.js';
import { createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
});
afterAll(async () => {
  await server?.close();
});

interface Seen {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  correlationId: string | undefined;
}

// ---- the KafkaJS program (unchanged but for the two lines above) ------------------------------
async function kafkajsProgram(kafka: Kafka) {
  const topic = 'test-topic';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '604800000' }],
      },
    ],
  });
  const topics = await admin.listTopics();
  await admin.disconnect();

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = await producer.send({
    topic,
    compression: CompressionTypes.GZIP,
    acks: -1,
    messages: [
      { key: 'key1', value: 'hello world' },
      { key: 'key2', value: 'hey hey!', headers: { 'correlation-id': '2bfb68bb' } },
      { value: 'Hello KafkaJS user!' },
    ],
  });
  await producer.sendBatch({
    topicMessages: [
      {
        topic,
        messages: [
          { key: 'key1', value: 'again' },
          { key: 'key3', value: Buffer.from('bytes') },
        ],
      },
    ],
  });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'test-group', sessionTimeout: 30000, heartbeatInterval: 3000 });
  let joined = false;
  const removeListener = consumer.on(consumer.events.GROUP_JOIN, (e: { payload: { memberId: string } }) => {
    joined = typeof e.payload.memberId === 'string';
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });

  const seen: Seen[] = [];
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      seen.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value?.toString('utf8'),
        correlationId: message.headers?.['correlation-id']?.toString(),
      });
      await heartbeat();
    },
  });
  const deadline = Date.now() + 30000;
  while (seen.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  removeListener();

  const admin2 = kafka.admin();
  await admin2.connect();
  const committed = await admin2.fetchOffsets({ groupId: 'test-group', topics: [topic] });
  const high = await admin2.fetchTopicOffsets(topic);
  await admin2.disconnect();
  return { topics, sent, seen, joined, committed, high };
}
// -----------------------------------------------------------------------------------------------

describe('a KafkaJS program', () => {
  it('runs against Strata with only the import and the constructor changed', async () => {
    const kafka = new Kafka({ clientId: 'my-app', endpoint: server.url, logLevel: logLevel.ERROR });
    const { topics, sent, seen, joined, committed, high } = await kafkajsProgram(kafka);

    expect(topics).toContain('test-topic');
    // RecordMetadata per partition, as KafkaJS returns it.
    expect(sent.reduce((n, md) => n + md.offsets.length, 0)).toBe(3);
    for (const md of sent)
      expect(md).toMatchObject({ topicName: 'test-topic', errorCode: 0, baseOffset: expect.any(String) });

    expect(joined).toBe(true);
    expect(seen.map((s) => s.value).sort()).toEqual([
      'Hello KafkaJS user!',
      'again',
      'bytes',
      'hello world',
      'hey hey!',
    ]);
    expect(seen.find((s) => s.value === 'hey hey!')?.correlationId).toBe('2bfb68bb');
    // Same key, same partition (murmur2), in order.
    const key1 = seen.filter((s) => s.key === 'key1');
    expect(new Set(key1.map((s) => s.partition)).size).toBe(1);
    expect(key1.map((s) => s.value)).toEqual(['hello world', 'again']);

    // The consumer committed everything it processed before leaving.
    expect(committed[0]?.partitions.map((p) => p.offset)).toEqual(high.map((h) => h.offset));
  });
});
