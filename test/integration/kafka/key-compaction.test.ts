import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBatches } from '../../../lib/engine/codec/record-batch.js';
import { compactPartitionByKey, KEY_COMPACTION_OPTIONS } from '../../../lib/engine/ops/key-compaction.js';
import { getTopic } from '../../../lib/engine/ops/topics.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { kafkajsClient, withConnected } from '../../support/kafkajs.js';

const ctx = useTestGateway();
const FETCH = APIS.Fetch.key;
let wire: KafkaWire;
let topicId: string;
const TOPIC = 'compacted-kafka';

/** Offsets, keys and values in a Fetch answer's bytes, each batch at the base offset it carries. */
function recordsOf(bytes: Uint8Array | null) {
  if (!bytes || bytes.length === 0) return [];
  return decodeBatches(bytes, 0, true).map((r) => ({
    offset: r.offset,
    key: r.key ? Buffer.from(r.key).toString() : null,
    value: r.value ? Buffer.from(r.value).toString() : null,
  }));
}

function fetchRequest(offset: number) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        topicId,
        partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

beforeAll(async () => {
  const created = await ctx.http.post('/v1/topics', {
    name: TOPIC,
    partitions: 1,
    config: { 'cleanup.policy': 'compact' },
  });
  expect(created.status).toBe(201);
  // 10 keys x 5 updates, one batch per update round (offsets 0-49), then key-0 once more (50).
  for (let u = 0; u < 5; u++) {
    const records = Array.from({ length: 10 }, (_, i) => ({
      key: `key-${i}`,
      value: `v${u}-${i}`,
      partition: 0,
    }));
    expect((await ctx.http.post(`/v1/topics/${TOPIC}/records`, { records })).status).toBe(200);
  }
  await ctx.http.post(`/v1/topics/${TOPIC}/records`, {
    records: [{ key: 'key-0', value: 'last', partition: 0 }],
  });
  // One run per entry: fully superseded batches stay as empty batches, so the range keeps its ends.
  const topic = await getTopic(ctx.engine, TOPIC);
  await compactPartitionByKey(ctx.engine, topic, 0, { ...KEY_COMPACTION_OPTIONS, runBytes: 1, force: true });
  topicId = (await ctx.http.get(`/v1/topics/${TOPIC}`)).body.topicId ?? '';
  wire = await openKafkaWire(ctx.bootstrap);
  const metadata = await wire.request(APIS.Metadata.key, 12, {
    topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  topicId = metadata.topics[0]?.topicId ?? '';
});

describe('Kafka Fetch of a compacted range', () => {
  it('returns the stored batches at their own offsets, with the gaps', async () => {
    const res = await wire.request(FETCH, 12, fetchRequest(0));
    const p = res.responses[0]?.partitions[0];
    expect(p?.errorCode).toBe(0);
    expect(p?.highWatermark).toBe(51n);
    const got = recordsOf(p?.records ?? null);
    expect(got.map((r) => r.offset)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    expect(got.at(-1)).toEqual({ offset: 50, key: 'key-0', value: 'last' });
    expect(got.slice(0, -1).every((r) => r.value === `v4-${r.key?.slice(4)}`)).toBe(true);
  });

  it('a fetch at a removed offset returns batches up to and past it', async () => {
    const res = await wire.request(FETCH, 12, fetchRequest(40));
    const got = recordsOf(res.responses[0]?.partitions[0]?.records ?? null);
    expect(got.filter((r) => r.offset >= 40).map((r) => r.offset)).toEqual([
      41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
    ]);
  });

  it('a kafkajs consumer from offset 0 rebuilds the table from the latest values', async () => {
    const kafka = kafkajsClient(ctx.bootstrap, 'compacted-reader');
    const consumer = kafka.consumer({ groupId: 'compacted-readers', maxWaitTimeInMs: 200 });
    const seen: { offset: number; key: string; value: string }[] = [];
    await withConnected(consumer, async (c) => {
      await c.subscribe({ topic: TOPIC, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        c.run({
          eachMessage: async ({ message }) => {
            seen.push({
              offset: Number(message.offset),
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
            });
            if (seen.length >= 10) resolve();
          },
        });
      });
      // Bounded by the test's own timeout: the consumer must reach the tenth record.
      await done;
    });
    expect(seen.map((r) => r.offset)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    const table = new Map(seen.map((r) => [r.key, r.value]));
    expect(table.get('key-0')).toBe('last');
    expect(table.get('key-9')).toBe('v4-9');
  }, 30_000);
});

describe('Kafka ListOffsets on a compacted partition', () => {
  it('-3 (max timestamp) and a time name records that remain, not ones compacted away', async () => {
    const name = 'compacted-times';
    const T0 = 1_700_000_000_000;
    expect(
      (await ctx.http.post('/v1/topics', { name, partitions: 1, config: { 'cleanup.policy': 'compact' } }))
        .status,
    ).toBe(201);
    // The latest timestamp is on a-1, which a-2 (an earlier CreateTime) supersedes.
    const records = [
      { key: 'a', value: 'a-1', timestamp: T0 + 100 },
      { key: 'b', value: 'b-1', timestamp: T0 + 50 },
      { key: 'a', value: 'a-2', timestamp: T0 + 10 },
    ].map((r) => ({ ...r, partition: 0 }));
    expect((await ctx.http.post(`/v1/topics/${name}/records`, { records })).status).toBe(200);
    const list = async (timestamp: bigint) => {
      const res = await wire.request(APIS.ListOffsets.key, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
        timeoutMs: 1000,
      });
      const p = res.topics[0]?.partitions[0];
      return { errorCode: p?.errorCode, offset: p?.offset, timestamp: p?.timestamp };
    };
    expect(await list(-3n)).toEqual({ errorCode: 0, offset: 0n, timestamp: BigInt(T0 + 100) });

    const topic = await getTopic(ctx.engine, name);
    await compactPartitionByKey(ctx.engine, topic, 0, { ...KEY_COMPACTION_OPTIONS, force: true });
    expect(await list(-3n)).toEqual({ errorCode: 0, offset: 1n, timestamp: BigInt(T0 + 50) });
    expect(await list(BigInt(T0 + 60))).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await list(BigInt(T0 + 20))).toEqual({ errorCode: 0, offset: 1n, timestamp: BigInt(T0 + 50) });
  });
});
