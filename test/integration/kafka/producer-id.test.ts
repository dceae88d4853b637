/**
 * InitProducerId over the Kafka protocol: idempotent producers get ids from the engine's producer
 * registry (the one HTTP's POST /v1/producers uses), transactional ones are refused until
 * transactions are served; then kafkajs and confluent-kafka idempotent producers write through it.
 */
import { randomUUID } from 'node:crypto';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import { encodeBatch } from '../../../lib/engine/codec/record-batch.js';
import { splitRecordBatches } from '../../../lib/kafka/protocol/record-batches.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { runPythonSource } from '../../support/kafka-clients.js';
import {
  fetchRequest,
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
} from '../../support/kafka-wire.js';
import { kafkajsClient, withConnected } from '../../support/kafkajs.js';

const ctx = useTestGateway();
const INIT = APIS.InitProducerId.key;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = ERRORS.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.kafkaCode;

let wire: KafkaWire;
beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
});
afterAll(() => wire?.close());

async function createTopic(partitions = 1): Promise<string> {
  const name = `t-${randomUUID().slice(0, 8)}`;
  expect((await ctx.http.post('/v1/topics', { name, partitions })).status).toBe(201);
  return name;
}

/** Produce v9 of one batch to partition 0: the partition's error code. */
async function produceBatch(
  topic: string,
  producer: { producerId: number; producerEpoch: number; baseSequence: number },
  values: string[],
): Promise<number> {
  const batch = encodeBatch(
    values.map((v) => ({
      key: null,
      value: new TextEncoder().encode(v),
      headers: [],
      timestamp: Date.now(),
    })),
    0,
    producer,
  ).bytes;
  const res = await wire.request(APIS.Produce.key, 9, produceRequest(topic, 0, batch));
  return producedPartition(res)?.errorCode ?? -999;
}

/** The producer id, epoch and record count of each stored batch of partition 0, read over Kafka Fetch. */
async function storedBatches(topic: string) {
  const res = await wire.request(APIS.Fetch.key, 11, fetchRequest(topic, 0, 0n));
  const records = res.responses[0]?.partitions[0]?.records;
  return splitRecordBatches(records ?? new Uint8Array(0)).map((b) => ({
    producerId: b.header.producerId,
    producerEpoch: b.header.producerEpoch,
    baseSequence: b.header.baseSequence,
    count: b.header.recordCount,
  }));
}

async function httpValues(topic: string): Promise<string[]> {
  const res = await ctx.http.get(`/v1/topics/${topic}/partitions/0/records?offset=0`);
  expect(res.status).toBe(200);
  return res.body.records.map((r: { value: string }) => r.value);
}

describe('InitProducerId', () => {
  it('v0-5 without a transactional id: a fresh producer id at epoch 0 each time', async () => {
    const ids = new Set<bigint>();
    for (let v = 0; v <= 5; v++) {
      const res = await wire.request(INIT, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
      expect(res, `v${v}`).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(res.producerId).toBeGreaterThan(0n);
      ids.add(res.producerId);
    }
    expect(ids.size).toBe(6);
  });

  it('v3+ naming its current id and epoch (KIP-360): a fresh id at epoch 0, as Kafka does without a transactional id', async () => {
    const first = await wire.request(INIT, 4, { transactionalId: null, transactionTimeoutMs: -1 });
    for (const v of [3, 4, 5]) {
      const again = await wire.request(INIT, v, {
        transactionalId: null,
        transactionTimeoutMs: -1,
        producerId: first.producerId,
        producerEpoch: first.producerEpoch,
      });
      expect(again).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(again.producerId).not.toBe(first.producerId);
    }
  });

  it('a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED until transactions are served', async () => {
    for (const v of [0, 2, 5]) {
      const res = await wire.request(INIT, v, { transactionalId: 'txn-app', transactionTimeoutMs: 60_000 });
      expect(res, `v${v}`).toMatchObject({
        errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      });
    }
  });

  it('the id it gives is one the produce path knows: idempotent batches are sequenced under it', async () => {
    const topic = await createTopic();
    const { producerId } = await wire.request(INIT, 1, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    });
    const id = Number(producerId);
    expect(await produceBatch(topic, { producerId: id, producerEpoch: 0, baseSequence: 0 }, ['a', 'b'])).toBe(
      0,
    );
    expect(await produceBatch(topic, { producerId: id, producerEpoch: 0, baseSequence: 2 }, ['c'])).toBe(0);
    expect(await produceBatch(topic, { producerId: id, producerEpoch: 0, baseSequence: 5 }, ['gap'])).toBe(
      ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER.kafkaCode,
    );
    // A producer that asks again starts its sequences over under its new id.
    const next = await wire.request(INIT, 4, {
      transactionalId: null,
      transactionTimeoutMs: -1,
      producerId,
      producerEpoch: 0,
    });
    expect(
      await produceBatch(topic, { producerId: Number(next.producerId), producerEpoch: 0, baseSequence: 0 }, [
        'd',
      ]),
    ).toBe(0);
    expect(await httpValues(topic)).toEqual(['a', 'b', 'c', 'd']);
    expect((await storedBatches(topic)).map((b) => [b.producerId, b.baseSequence])).toEqual([
      [producerId, 0],
      [producerId, 2],
      [next.producerId, 0],
    ]);
  });
});

describe('real idempotent producers', () => {
  it('kafkajs (InitProducerId v1): an idempotent producer writes each record once', async () => {
    const topic = await createTopic();
    const producer = kafkajsClient(ctx.bootstrap, 'strata-idem').producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await withConnected(producer, async () => {
      await producer.send({ topic, acks: -1, messages: [{ value: 'k1' }, { value: 'k2' }] });
      await producer.send({ topic, acks: -1, messages: [{ value: 'k3' }] });
    });
    expect(await httpValues(topic)).toEqual(['k1', 'k2', 'k3']);
    const batches = await storedBatches(topic);
    expect(batches.map((b) => [b.producerEpoch, b.baseSequence, b.count])).toEqual([
      [0, 0, 2],
      [0, 2, 1],
    ]);
    expect(batches[0]?.producerId).toBeGreaterThan(0n);
    expect(batches[1]?.producerId).toBe(batches[0]?.producerId);
  });

  it('@platformatic/kafka (InitProducerId v5, flexible): an idempotent producer writes each record once', async () => {
    const topic = await createTopic();
    const producer = new Producer({
      clientId: 'strata-platformatic',
      bootstrapBrokers: [ctx.bootstrap],
      idempotent: true,
      serializers: stringSerializers,
      retries: 1,
    });
    try {
      await producer.send({
        messages: [
          { topic, partition: 0, value: 'p1' },
          { topic, partition: 0, value: 'p2' },
        ],
      });
      await producer.send({ messages: [{ topic, partition: 0, value: 'p3' }] });
    } finally {
      await producer.close();
    }
    expect(await httpValues(topic)).toEqual(['p1', 'p2', 'p3']);
    const batches = await storedBatches(topic);
    expect(batches.map((b) => [b.producerEpoch, b.baseSequence, b.count])).toEqual([
      [0, 0, 2],
      [0, 2, 1],
    ]);
    expect(batches[0]?.producerId).toBeGreaterThan(0n);
  });

  it('kafkajs: a transactional producer fails at once, not after endless retries', async () => {
    const kafka = kafkajsClient(ctx.bootstrap, 'strata-txn', {
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 },
    });
    const producer = kafka.producer({
      transactionalId: 'txn-kafkajs',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await withConnected(producer, async () => {
      await expect(producer.transaction()).rejects.toThrow(/coordinator/i);
    });
  });

  it('confluent-kafka (librdkafka, InitProducerId v4): enable.idempotence writes each record once', async () => {
    const topic = await createTopic();
    const script = `
import json, sys
from confluent_kafka import Producer
bootstrap, topic = sys.argv[1:3]
errors = []
def report(err, msg):
    if err is not None:
        errors.append(str(err))
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'linger.ms': 0})
for i in range(5):
    p.produce(topic, value=('c%d' % i).encode(), partition=0, on_delivery=report)
left = p.flush(30)
print(json.dumps({'left': left, 'errors': errors}))
`;
    expect(await runPythonSource(script, [ctx.bootstrap, topic])).toEqual({ left: 0, errors: [] });
    expect(await httpValues(topic)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    const batches = await storedBatches(topic);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect([b.producerId > 0n, b.producerEpoch]).toEqual([true, 0]);
    expect(batches.map((b) => b.baseSequence)).toEqual(
      batches.map((_, i) => batches.slice(0, i).reduce((n, x) => n + x.count, 0)),
    );
  });

  it('confluent-kafka: init_transactions fails instead of hanging (no transaction coordinator)', async () => {
    const script = `
import json, sys, time
from confluent_kafka import Producer, KafkaException
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'txn-librdkafka'})
start = time.time()
try:
    p.init_transactions(3)
    out = {'error': None}
except KafkaException as e:
    out = {'error': e.args[0].name(), 'retriable': e.args[0].retriable(), 'message': e.args[0].str()}
out['seconds'] = time.time() - start
print(json.dumps(out))
`;
    const out = (await runPythonSource(script, [ctx.bootstrap])) as { seconds: number };
    // FindCoordinator for the transaction key answers COORDINATOR_NOT_AVAILABLE, which librdkafka
    // retries until the call's timeout: it fails, retriably, within the time it was given.
    expect(out).toMatchObject({ error: '_TIMED_OUT' });
    expect(out.seconds).toBeLessThan(10);
  });
});
