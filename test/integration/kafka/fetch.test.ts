import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBatches } from '../../../lib/engine/codec/record-batch.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { countRequests, headKeysOf, isHeadGet } from '../../support/request-counts.js';

const ctx = useTestGateway();
const FETCH = APIS.Fetch.key;
const LIST_OFFSETS = APIS.ListOffsets.key;
const T0 = 1_700_000_000_000;

let wire: KafkaWire;
let topicId: string;

/** Offsets and keys of the records in a Fetch answer's bytes, each batch at its own base offset. */
function recordsOf(bytes: Uint8Array | null): { offset: number; key: string | null }[] {
  if (!bytes || bytes.length === 0) return [];
  const base = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0));
  return decodeBatches(bytes, base).map((r) => ({
    offset: r.offset,
    key: r.key ? Buffer.from(r.key).toString() : null,
  }));
}

async function produce(topic: string, partition: number, records: { key: string; timestamp?: number }[]) {
  const res = await ctx.http.post(`/v1/topics/${topic}/records`, {
    records: records.map((r) => ({
      key: r.key,
      value: `v-${r.key}`,
      partition,
      ...(r.timestamp ? { timestamp: r.timestamp } : {}),
    })),
  });
  expect(res.status).toBe(200);
}

function fetchRequest(topic: string, partition: number, offset: number, extra: Record<string, number> = {}) {
  return {
    replicaId: -1,
    maxWaitMs: extra.maxWaitMs ?? 0,
    minBytes: extra.minBytes ?? 0,
    maxBytes: extra.maxBytes ?? 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId,
        partitions: [
          {
            partition,
            fetchOffset: BigInt(offset),
            partitionMaxBytes: extra.partitionMaxBytes ?? 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

beforeAll(async () => {
  expect((await ctx.http.post('/v1/topics', { name: 'fetched', partitions: 2 })).status).toBe(201);
  // Three batches on partition 0: offsets 0-1, 2, 3 (timestamps T0, T0+10, T0+5, T0+20).
  await produce('fetched', 0, [
    { key: 'a', timestamp: T0 },
    { key: 'b', timestamp: T0 + 10 },
  ]);
  await produce('fetched', 0, [{ key: 'c', timestamp: T0 + 5 }]);
  await produce('fetched', 0, [{ key: 'd', timestamp: T0 + 20 }]);
  topicId = (await ctx.http.get('/v1/topics/fetched')).body.topicId ?? '';
  wire = await openKafkaWire(ctx.bootstrap);
  const metadata = await wire.request(APIS.Metadata.key, 12, {
    topics: [{ name: 'fetched', topicId: '00000000-0000-0000-0000-000000000000' }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  topicId = metadata.topics[0]?.topicId ?? '';
});

describe('Fetch', () => {
  it.each([4, 11, 12, 13, 17])(
    'v%i returns the batch holding the fetch offset whole, then the rest',
    async (v) => {
      const res = await wire.request(FETCH, v, fetchRequest('fetched', 0, 1));
      const p = res.responses[0]?.partitions[0];
      expect(p?.errorCode).toBe(0);
      expect(p?.highWatermark).toBe(4n);
      expect(p?.lastStableOffset).toBe(4n);
      expect(p?.logStartOffset).toBe(v >= 5 ? 0n : -1n);
      expect(recordsOf(p?.records ?? null)).toEqual([
        { offset: 0, key: 'a' },
        { offset: 1, key: 'b' },
        { offset: 2, key: 'c' },
        { offset: 3, key: 'd' },
      ]);
      if (v >= 7) expect(res.sessionId).toBe(0);
      if (v >= 13) expect(res.responses[0]?.topicId).toBe(topicId);
    },
  );

  it('returns one whole batch when the partition limit is smaller than it, and no more', async () => {
    const res = await wire.request(FETCH, 11, fetchRequest('fetched', 0, 0, { partitionMaxBytes: 1 }));
    expect(recordsOf(res.responses[0]?.partitions[0]?.records ?? null).map((r) => r.key)).toEqual(['a', 'b']);
  });

  it('applies the request limit across partitions, after the first batch', async () => {
    await produce('fetched', 1, [{ key: 'p1' }]);
    const body = fetchRequest('fetched', 0, 0, { maxBytes: 1 });
    body.topics[0]?.partitions.push({ partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 });
    const res = await wire.request(FETCH, 11, body);
    const [p0, p1] = res.responses[0]?.partitions ?? [];
    expect(recordsOf(p0?.records ?? null).map((r) => r.key)).toEqual(['a', 'b']);
    expect(p1?.records?.length ?? 0).toBe(0);
    expect(p1?.highWatermark).toBe(1n);
  });

  it('reads 8 partitions with one BatchGetItem for the heads and one GET for the object they share', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'fetched-8', partitions: 8 })).status).toBe(201);
    const partitions = [0, 1, 2, 3, 4, 5, 6, 7];
    // One produce request: one segment object holding one batch per partition, back to back.
    const res = await ctx.http.post('/v1/topics/fetched-8/records', {
      records: partitions.flatMap((p) => [
        { key: `${p}a`, value: 'x', partition: p },
        { key: `${p}b`, value: 'y', partition: p },
      ]),
    });
    expect(res.status).toBe(200);
    const body = fetchRequest('fetched-8', 0, 0);
    (body.topics[0] as (typeof body.topics)[0]).partitions = partitions.map((partition) => ({
      partition,
      fetchOffset: 0n,
      partitionMaxBytes: 1 << 20,
    }));
    ctx.engine.segments.cache.clear();
    const dynamo = countRequests(ctx.engine.clients.dynamodb);
    const s3 = countRequests(ctx.engine.clients.s3);
    try {
      const answer = await wire.request(FETCH, 11, body);
      expect(dynamo.count('GetItem', isHeadGet)).toBe(0);
      expect(dynamo.count('BatchGetItem', (i) => headKeysOf(i) === 8)).toBe(1);
      expect(s3.count('GetObject')).toBe(1);
      const got = answer.responses[0]?.partitions ?? [];
      expect(got.map((p) => p.highWatermark)).toEqual(partitions.map(() => 2n));
      expect(got.map((p) => recordsOf(p.records).map((r) => `${r.offset}:${r.key}`))).toEqual(
        partitions.map((p) => [`0:${p}a`, `1:${p}b`]),
      );
      // Warm: the same bytes, no GET.
      s3.reset();
      const again = await wire.request(FETCH, 11, body);
      expect(s3.count('GetObject')).toBe(0);
      expect(again.responses[0]?.partitions.map((p) => Buffer.from(p.records ?? []))).toEqual(
        got.map((p) => Buffer.from(p.records ?? [])),
      );
    } finally {
      dynamo.remove();
      s3.remove();
    }
  });

  it('long-polls at the end of the log and wakes when a record is committed', async () => {
    await produce('fetched', 1, [{ key: 'before' }]);
    const end = Number(
      (await wire.request(FETCH, 11, fetchRequest('fetched', 1, 0))).responses[0]?.partitions[0]
        ?.highWatermark,
    );
    const waiting = wire.request(
      FETCH,
      11,
      fetchRequest('fetched', 1, end, { maxWaitMs: 20_000, minBytes: 1 }),
    );
    const produced = produce('fetched', 1, [{ key: 'woken' }]);
    const res = await waiting;
    await produced;
    expect(recordsOf(res.responses[0]?.partitions[0]?.records ?? null).map((r) => r.key)).toEqual(['woken']);
  });

  it('answers an empty fetch after maxWaitMs when nothing arrives', async () => {
    const started = performance.now();
    const res = await wire.request(FETCH, 11, fetchRequest('fetched', 0, 4, { maxWaitMs: 300, minBytes: 1 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    const p = res.responses[0]?.partitions[0];
    expect(p?.errorCode).toBe(0);
    expect(p?.records?.length ?? 0).toBe(0);
  });

  it.each([
    ['an offset past the end', 'fetched', 0, 99, 11, 1],
    ['an unknown partition', 'fetched', 7, 0, 11, 3],
    ['an unknown topic', 'nope', 0, 0, 11, 3],
  ])(
    'answers %s with its error at once, whatever maxWaitMs says',
    async (_, topic, partition, offset, v, code) => {
      const res = await wire.request(
        FETCH,
        v,
        fetchRequest(topic, partition, offset, { maxWaitMs: 30_000, minBytes: 1 }),
      );
      const p = res.responses[0]?.partitions[0];
      expect(p?.errorCode).toBe(code);
      if (code === 1) expect(p?.highWatermark).toBe(4n);
    },
  );

  it('answers an unknown topic id with UNKNOWN_TOPIC_ID', async () => {
    const body = fetchRequest('fetched', 0, 0);
    (body.topics[0] as { topicId: string }).topicId = '11111111-2222-3333-4444-555555555555';
    const res = await wire.request(FETCH, 13, body);
    expect(res.responses[0]?.partitions[0]?.errorCode).toBe(100);
  });
});

describe('ListOffsets', () => {
  const list = async (v: number, timestamp: bigint, topic = 'fetched', partition = 0) => {
    const res = await wire.request(LIST_OFFSETS, v, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] },
      ],
      timeoutMs: 1000,
    });
    const p = res.topics[0]?.partitions[0];
    return { errorCode: p?.errorCode, offset: p?.offset, timestamp: p?.timestamp };
  };

  it.each([1, 2, 5, 7, 10])('v%i answers earliest, latest and by time as Kafka', async (v) => {
    expect(await list(v, -2n)).toEqual({ errorCode: 0, offset: 0n, timestamp: -1n });
    expect(await list(v, -1n)).toEqual({ errorCode: 0, offset: 4n, timestamp: -1n });
    // The first record at or after the time, not the first batch's: c (T0+5) precedes it in time only.
    expect(await list(v, BigInt(T0 + 6))).toEqual({ errorCode: 0, offset: 1n, timestamp: BigInt(T0 + 10) });
    expect(await list(v, BigInt(T0 + 11))).toEqual({ errorCode: 0, offset: 3n, timestamp: BigInt(T0 + 20) });
    expect(await list(v, BigInt(T0 + 21))).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('answers -3 with the record of the largest timestamp', async () => {
    expect(await list(7, -3n)).toEqual({ errorCode: 0, offset: 3n, timestamp: BigInt(T0 + 20) });
  });

  it('answers an unknown topic or partition per partition', async () => {
    expect((await list(7, -1n, 'nope')).errorCode).toBe(3);
    expect((await list(7, -1n, 'fetched', 9)).errorCode).toBe(3);
  });
});
