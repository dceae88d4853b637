/**
 * An idempotent producer that bumps its own epoch (KIP-360: librdkafka after a failed batch,
 * without asking InitProducerId) sends epoch + 1 from sequence 0. It used to get
 * INVALID_PRODUCER_EPOCH ("never issued") for good, failing every later record. It must be
 * accepted, and from then on the old epoch is fenced, while a transactional producer's epoch
 * still moves only through InitProducerId.
 */
import { beforeAll, expect, it } from 'vitest';
import { type BatchProducerInfo, encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { initProducer } from '../../lib/engine/index.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../support/gateway.js';
import { type KafkaWire, openKafkaWire, producedPartition, produceRequest } from '../support/kafka-wire.js';

const ctx = useTestGateway();
let wire: KafkaWire;

function batch(producer: BatchProducerInfo): Uint8Array {
  const record = { key: null, value: new TextEncoder().encode('v'), headers: [], timestamp: Date.now() };
  return encodeBatch([record], 0, producer).bytes;
}

async function produce(producer: BatchProducerInfo): Promise<number | undefined> {
  const res = await wire.request(APIS.Produce.key, 7, produceRequest('bumped', 0, batch(producer), 10_000));
  return producedPartition(res)?.errorCode;
}

beforeAll(async () => {
  expect((await ctx.http.post('/v1/topics', { name: 'bumped', partitions: 1 })).status).toBe(201);
  wire = await openKafkaWire(ctx.bootstrap);
});

it('accepts an idempotent producer at its own next epoch from sequence 0, then fences the old epoch', async () => {
  const init = await wire.request(APIS.InitProducerId.key, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  const producerId = Number(init.producerId);
  expect(await produce({ producerId, producerEpoch: 0, baseSequence: 0 })).toBe(0);
  expect(await produce({ producerId, producerEpoch: 1, baseSequence: 0 })).toBe(0);
  expect(await produce({ producerId, producerEpoch: 0, baseSequence: 1 })).toBe(47);
  expect(await produce({ producerId, producerEpoch: 1, baseSequence: 1 })).toBe(0);
  const end = await wire.request(APIS.ListOffsets.key, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'bumped', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  expect(end.topics[0]?.partitions[0]?.offset).toBe(3n);
});

it('still refuses an epoch a transactional producer was never given', async () => {
  const p = await initProducer(ctx.engine, { transactionalId: 'no-self-bump' });
  const producerId = Number(p.producerId);
  expect(await produce({ producerId, producerEpoch: p.producerEpoch + 1, baseSequence: 0 })).toBe(47);
});
