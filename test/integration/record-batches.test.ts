/**
 * The binary data path over HTTP (docs/api.md "Record batches"), against the local stack: Kafka
 * RecordBatch v2 bytes produced and fetched per partition, checked and stored as the Kafka
 * gateway does, and byte-identical with what the gateway serves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../../lib/contract/bytes.js';
import {
  BATCH_FETCH_HEADERS,
  type BatchProducerInfo,
  encodeUncompressedBatch,
  RECORD_BATCH_CONTENT_TYPE,
} from '../../lib/contract/record-batch.js';
import { encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../support/gateway.js';
import {
  fetchRequest,
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
  recordBatch,
} from '../support/kafka-wire.js';
import { longPollWaiting } from '../support/stack.js';

const ctx = useTestGateway();
const utf8 = new TextEncoder();
const BATCH = { 'content-type': RECORD_BATCH_CONTENT_TYPE };
let wire: KafkaWire;

beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
  return () => wire.close();
});

async function createTopic(name: string, partitions = 1, config?: Record<string, unknown>) {
  const res = await ctx.http.post('/v1/topics', { name, partitions, ...(config ? { config } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

function batchOf(values: string[], producer?: BatchProducerInfo, timestamp = 1_700_000_000_000) {
  return encodeUncompressedBatch(
    values.map((v, i) => ({
      key: utf8.encode(`k${i}`),
      value: utf8.encode(v),
      headers: [{ key: 'h', value: utf8.encode(`hv${i}`) }],
      timestamp: timestamp + i,
    })),
    producer,
  );
}

const concat = (...parts: Uint8Array[]) => concatBytes(parts);

function postBatches(topic: string, partition: number, body: Uint8Array, headers = BATCH) {
  return ctx.http.request('POST', `/v1/topics/${topic}/partitions/${partition}/batches`, body, headers);
}

async function getBatches(topic: string, partition: number, query: string) {
  const res = await fetch(
    new URL(`/v1/topics/${topic}/partitions/${partition}/batches?${query}`, ctx.server.url),
  );
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes };
}

function flipLastByte(bytes: Uint8Array) {
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] as number) ^ 0xff;
}

const withBase = (batch: Uint8Array, base: number) => {
  const copy = batch.slice();
  new DataView(copy.buffer).setBigInt64(0, BigInt(base));
  return copy;
};

async function latest(topic: string, partition = 0): Promise<string> {
  const res = await ctx.http.get(`/v1/topics/${topic}/partitions/${partition}/offsets?at=latest`);
  return res.body.offset;
}

describe('binary produce and fetch', () => {
  it('stores the bytes unchanged and serves them back with base offsets patched', async () => {
    await createTopic('rb-roundtrip');
    const first = batchOf(['a', 'b']);
    const second = batchOf(['c']);
    const third = batchOf(['d', 'e', 'f']);
    const one = await postBatches('rb-roundtrip', 0, first);
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toEqual({
      partition: 0,
      baseOffset: '0',
      lastOffset: '1',
      recordCount: 2,
      batches: [{ baseOffset: '0', lastOffset: '1', recordCount: 2 }],
    });
    const two = await postBatches('rb-roundtrip', 0, concat(second, third));
    expect(two.body).toEqual({
      partition: 0,
      baseOffset: '2',
      lastOffset: '5',
      recordCount: 4,
      batches: [
        { baseOffset: '2', lastOffset: '2', recordCount: 1 },
        { baseOffset: '3', lastOffset: '5', recordCount: 3 },
      ],
    });

    const all = await getBatches('rb-roundtrip', 0, 'offset=0');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe(RECORD_BATCH_CONTENT_TYPE);
    expect(all.headers.get(BATCH_FETCH_HEADERS.highWatermark)).toBe('6');
    expect(all.headers.get(BATCH_FETCH_HEADERS.logStartOffset)).toBe('0');
    expect(all.headers.get(BATCH_FETCH_HEADERS.nextOffset)).toBe('6');
    expect(all.bytes).toEqual(concat(withBase(first, 0), withBase(second, 2), withBase(third, 3)));

    // From inside a request's batches: what that request stored, whole, as the gateway's fetch.
    const inside = await getBatches('rb-roundtrip', 0, 'offset=4');
    expect(inside.bytes).toEqual(concat(withBase(second, 2), withBase(third, 3)));
    expect(inside.headers.get(BATCH_FETCH_HEADERS.nextOffset)).toBe('6');

    // maxBytes: whole batches only, the first one always.
    const small = await getBatches('rb-roundtrip', 0, 'offset=0&maxBytes=1');
    expect(small.bytes).toEqual(withBase(first, 0));
    expect(small.headers.get(BATCH_FETCH_HEADERS.nextOffset)).toBe('2');

    // At the high watermark: nothing, and the next offset is where it asked.
    const end = await getBatches('rb-roundtrip', 0, 'offset=6');
    expect(end.status).toBe(200);
    expect(end.bytes.length).toBe(0);
    expect(end.headers.get(BATCH_FETCH_HEADERS.nextOffset)).toBe('6');
    expect(end.headers.get(BATCH_FETCH_HEADERS.highWatermark)).toBe('6');

    // The JSON fetch reads the same records.
    const jsonFetch = await ctx.http.get('/v1/topics/rb-roundtrip/partitions/0/records?offset=0');
    expect(jsonFetch.body.records.map((r: { value: string }) => r.value)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
    ]);
    expect(jsonFetch.body.records[0].headers).toEqual({ h: 'hv0' });
  });

  it('serves a batch produced over the Kafka protocol byte for byte as the gateway fetch does', async () => {
    await createTopic('rb-kafka');
    const sent = recordBatch(['x', 'y', 'z']);
    const produced = await wire.request(APIS.Produce.key, 9, produceRequest('rb-kafka', 0, sent));
    expect(producedPartition(produced)?.errorCode).toBe(0);
    const kafka = await wire.request(APIS.Fetch.key, 12, fetchRequest('rb-kafka', 0, 0n));
    const kafkaBytes = kafka.responses[0]?.partitions[0]?.records as Uint8Array;
    const http = await getBatches('rb-kafka', 0, 'offset=0');
    expect(http.bytes).toEqual(withBase(sent, 0));
    expect(http.bytes).toEqual(new Uint8Array(kafkaBytes));
    expect(http.headers.get(BATCH_FETCH_HEADERS.highWatermark)).toBe('3');

    // And a batch produced over HTTP is what the gateway serves too.
    const more = batchOf(['w']);
    expect((await postBatches('rb-kafka', 0, more)).status).toBe(200);
    const again = await wire.request(APIS.Fetch.key, 12, fetchRequest('rb-kafka', 0, 3n));
    expect(new Uint8Array(again.responses[0]?.partitions[0]?.records as Uint8Array)).toEqual(
      withBase(more, 3),
    );
  });

  it('long-polls for data with waitMs', async () => {
    await createTopic('rb-wait');
    const started = Date.now();
    const pending = getBatches('rb-wait', 0, 'offset=0&waitMs=5000');
    await longPollWaiting(ctx.engine, 'rb-wait');
    const batch = batchOf(['late']);
    expect((await postBatches('rb-wait', 0, batch)).status).toBe(200);
    const res = await pending;
    expect(res.bytes).toEqual(withBase(batch, 0));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stores compressed batches as sent', async () => {
    await createTopic('rb-gzip');
    const gz = encodeBatch(
      [{ key: null, value: utf8.encode('zipped'), headers: [], timestamp: 1_700_000_000_000 }],
      1,
    ).bytes;
    expect((await postBatches('rb-gzip', 0, gz)).status).toBe(200);
    expect((await getBatches('rb-gzip', 0, 'offset=0')).bytes).toEqual(withBase(gz, 0));
    const jsonFetch = await ctx.http.get('/v1/topics/rb-gzip/partitions/0/records?offset=0');
    expect(jsonFetch.body.records[0].value).toBe('zipped');
  });
});

describe('idempotent batches', () => {
  it('deduplicates a retried batch and refuses a sequence gap', async () => {
    await createTopic('rb-idem');
    const init = await ctx.http.post('/v1/producers', {});
    const producerId = Number(init.body.producerId);
    const producerEpoch = init.body.producerEpoch as number;
    const first = batchOf(['a', 'b'], { producerId, producerEpoch, baseSequence: 0 });
    const r1 = await postBatches('rb-idem', 0, first);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    const retry = await postBatches('rb-idem', 0, first);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.baseOffset).toBe('0');
    expect(await latest('rb-idem')).toBe('2');

    const next = batchOf(['c'], { producerId, producerEpoch, baseSequence: 2 });
    expect((await postBatches('rb-idem', 0, next)).body.baseOffset).toBe('2');

    const gap = await postBatches(
      'rb-idem',
      0,
      batchOf(['d'], { producerId, producerEpoch, baseSequence: 9 }),
    );
    expect(gap.status).toBeGreaterThanOrEqual(400);
    expect(gap.status).toBeLessThan(500);
    expect(gap.body.error.code).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(await latest('rb-idem')).toBe('3');
  });
});

describe('bad input changes nothing', () => {
  beforeAll(async () => {
    await createTopic('rb-bad', 1, { 'max.message.bytes': 2000 });
    expect((await postBatches('rb-bad', 0, batchOf(['ok']))).status).toBe(200);
  });

  async function refused(body: Uint8Array, status: number, code: string, headers = BATCH, partition = 0) {
    const res = await postBatches('rb-bad', partition, body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await latest('rb-bad')).toBe('1');
    return res;
  }

  it('a bad CRC: 400 CORRUPT_MESSAGE, final', async () => {
    const bad = batchOf(['x']);
    flipLastByte(bad);
    const res = await refused(bad, 400, 'CORRUPT_MESSAGE');
    expect(res.body.error.retriable).toBe(false);
    expect(res.body.error.message).toMatch(/CRC/);
  });

  it('truncated bytes, trailing bytes and an empty body: 400 CORRUPT_MESSAGE', async () => {
    const good = batchOf(['x']);
    await refused(good.subarray(0, good.length - 3), 400, 'CORRUPT_MESSAGE');
    await refused(concat(good, new Uint8Array(5)), 400, 'CORRUPT_MESSAGE');
    await refused(new Uint8Array(0), 400, 'CORRUPT_MESSAGE');
  });

  it('a second batch that is bad fails the whole request', async () => {
    const bad = batchOf(['x']);
    flipLastByte(bad);
    await refused(concat(batchOf(['fine']), bad), 400, 'CORRUPT_MESSAGE');
  });

  it('a count that lies: 400 INVALID_RECORD', async () => {
    const lying = batchOf(['x', 'y']);
    // recordCount 3 with lastOffsetDelta 1, CRC recomputed so only the count is wrong.
    const view = new DataView(lying.buffer);
    view.setInt32(57, 3);
    const { crc32c } = await import('../../lib/contract/crc32c.js');
    view.setUint32(17, crc32c(lying.subarray(21)));
    await refused(lying, 400, 'INVALID_RECORD');
  });

  it('a batch over max.message.bytes: 413 MESSAGE_TOO_LARGE', async () => {
    await refused(batchOf(['x'.repeat(3000)]), 413, 'MESSAGE_TOO_LARGE');
  });

  it('the wrong content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    await refused(batchOf(['x']), 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/json' });
    await refused(batchOf(['x']), 415, 'UNSUPPORTED_MEDIA_TYPE', {
      'content-type': 'application/octet-stream',
    });
  });

  it('an unknown partition or topic: 404 UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await refused(batchOf(['x']), 404, 'UNKNOWN_TOPIC_OR_PARTITION', BATCH, 7);
    const res = await postBatches('rb-nope', 0, batchOf(['x']));
    expect(res.status).toBe(404);
    const fetched = await ctx.http.get('/v1/topics/rb-nope/partitions/0/batches?offset=0');
    expect(fetched.status).toBe(404);
  });

  it('a fetch past the high watermark: 416 OFFSET_OUT_OF_RANGE; a bad query: 400', async () => {
    const past = await ctx.http.get('/v1/topics/rb-bad/partitions/0/batches?offset=5');
    expect(past.status).toBe(416);
    expect(past.body.error.code).toBe('OFFSET_OUT_OF_RANGE');
    expect((await ctx.http.get('/v1/topics/rb-bad/partitions/0/batches')).status).toBe(400);
    expect((await ctx.http.get('/v1/topics/rb-bad/partitions/0/batches?offset=0&maxBytes=0')).status).toBe(
      400,
    );
  });
});
