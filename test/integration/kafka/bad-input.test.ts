/**
 * Bad input at the Kafka socket (issue 9, item 8). Each case gets Kafka's error, or a closed
 * connection, and changes nothing: no partition head or index entry moved, no topic appeared, and
 * no object left in the bucket that is not recorded for cleanup. After each, a fresh connection
 * still gets normal ApiVersions and Metadata answers, a client connected all along is answered
 * as before, and the gateway holds no connection of the case's.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { crc32c } from '../../../lib/engine/codec/crc32c.js';
import type { BatchProducerInfo } from '../../../lib/engine/codec/record-batch.js';
import { initProducer } from '../../../lib/engine/ops/producers.js';
import { getTopic } from '../../../lib/engine/ops/topics.js';
import { decodeResponse, encodeRequest } from '../../../lib/kafka/protocol/codec.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import {
  fetchRequest,
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
  recordBatch,
} from '../../support/kafka-wire.js';

const MAX_FRAME_BYTES = 64 * 1024;
const ctx = useTestGateway({ maxFrameBytes: MAX_FRAME_BYTES });
const TOPIC = 'bad';
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const text = new TextEncoder();

/** Kafka's codes the cases expect. */
const CODE = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  UNSUPPORTED_VERSION: 35,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
  INVALID_PRODUCER_EPOCH: 47,
} as const;

let idempotent: BatchProducerInfo;
/** A client connected throughout, whose connection no case may disturb. */
let bystander: KafkaWire;
let fenced: BatchProducerInfo;
const opened: KafkaWire[] = [];

async function open(): Promise<KafkaWire> {
  const wire = await openKafkaWire(ctx.bootstrap);
  opened.push(wire);
  return wire;
}

/** A batch changed on purpose, with its length and CRC made right again so only the change is wrong. */
function resealed(bytes: Uint8Array, change: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  change(view, copy);
  view.setUint32(17, crc32c(copy.subarray(21)));
  return copy;
}

/** A one-record batch header around `payload`, compressed (it says) with codec `compression`. */
function withPayload(compression: number, payload: Uint8Array): Uint8Array {
  const template = recordBatch(['a']);
  const out = new Uint8Array(61 + payload.length);
  out.set(template.subarray(0, 61));
  out.set(payload, 61);
  return resealed(out, (v) => {
    v.setInt32(8, out.length - 12);
    v.setInt16(21, compression);
  });
}

/**
 * A valid zstd frame that inflates to `bytes` zeros from a few bytes per 128 KiB: RLE blocks, each
 * a 3-byte header and the one byte it repeats. No content size, so only the blocks tell.
 */
function zstdBomb(bytes: number): Uint8Array {
  const block = 128 * 1024;
  const count = Math.ceil(bytes / block);
  const out = new Uint8Array(6 + count * 4);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]); // magic; no content size; a 128 KiB window
  for (let i = 0; i < count; i++) {
    const header = ((block << 3) | (1 << 1) | (i === count - 1 ? 1 : 0)) >>> 0;
    out.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0], 6 + i * 4);
  }
  return out;
}

/** Sends a Produce and answers its one partition's error code. */
async function produceCode(
  wire: KafkaWire,
  records: Uint8Array,
  topic = TOPIC,
  partition = 0,
): Promise<number> {
  const res = await wire.request(
    APIS.Produce.key,
    PRODUCE_VERSION,
    produceRequest(topic, partition, records),
  );
  return producedPartition(res)?.errorCode ?? -1;
}

/** A request header the schema does not know (an API key or a version), written by hand. */
function rawHeader(apiKey: number, apiVersion: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const clientId = text.encode('strata-test');
  const frame = new Uint8Array(4 + 2 + 2 + 4 + 2 + clientId.length + body.length);
  const view = new DataView(frame.buffer);
  view.setInt32(0, frame.length - 4);
  view.setInt16(4, apiKey);
  view.setInt16(6, apiVersion);
  view.setInt32(8, 77);
  view.setInt16(12, clientId.length);
  frame.set(clientId, 14);
  frame.set(body, 14 + clientId.length);
  return frame;
}

function sizePrefix(size: number, rest: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + rest.length);
  new DataView(out.buffer).setInt32(0, size);
  out.set(rest, 4);
  return out;
}

const metadataFrame = () =>
  encodeRequest(
    { apiKey: APIS.Metadata.key, apiVersion: 12, correlationId: 5, clientId: 'strata-test' },
    {
      topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    },
  );

/** The frame with its size prefix set to what it now holds. */
function resized(frame: Uint8Array): Uint8Array {
  const copy = frame.slice();
  new DataView(copy.buffer).setInt32(0, copy.length - 4);
  return copy;
}

/** Writes bytes and reports what the server did: closed the connection, or answered. */
async function sendRaw(wire: KafkaWire, bytes: Uint8Array): Promise<'closed' | 'answered'> {
  await wire.raw(bytes);
  return wire.nextFrame().then(
    () => 'answered' as const,
    () => 'closed' as const,
  );
}

type Outcome = 'closed' | 'answered' | 'abandoned' | number;
type Case = [name: string, act: (wire: KafkaWire) => Promise<Outcome>, expected: Outcome];

const cases: Case[] = [
  // --- frames the connection cannot read: closed ------------------------------------------------
  ['a negative frame length', (w) => sendRaw(w, sizePrefix(-5, new Uint8Array(8))), 'closed'],
  ['a zero frame length', (w) => sendRaw(w, sizePrefix(0)), 'closed'],
  // The size alone closes it: the body is never waited for.
  ['a frame length over maxFrameBytes', (w) => sendRaw(w, sizePrefix(MAX_FRAME_BYTES + 1)), 'closed'],
  [
    'garbage: an HTTP request on the Kafka port',
    (w) => sendRaw(w, text.encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
    'closed',
  ],
  [
    'garbage: noise in a well-sized frame',
    (w) =>
      sendRaw(
        w,
        sizePrefix(
          40,
          Uint8Array.from({ length: 40 }, (_, i) => (i * 97 + 0xde) & 0xff),
        ),
      ),
    'closed',
  ],
  ['an unknown API key', (w) => sendRaw(w, rawHeader(9999, 0)), 'closed'],
  ['an unsupported version (Metadata v99)', (w) => sendRaw(w, rawHeader(APIS.Metadata.key, 99)), 'closed'],
  [
    'a truncated request (the frame ends inside the body)',
    (w) => sendRaw(w, resized(metadataFrame().subarray(0, -6))),
    'closed',
  ],
  [
    'bytes after the request body',
    (w) => {
      const frame = metadataFrame();
      const longer = new Uint8Array(frame.length + 3);
      longer.set(frame);
      return sendRaw(w, resized(longer));
    },
    'closed',
  ],
  [
    'a produce with a truncated record batch field',
    async (w) => {
      const frame = encodeRequest(
        { apiKey: APIS.Produce.key, apiVersion: PRODUCE_VERSION, correlationId: 9, clientId: 'strata-test' },
        produceRequest(TOPIC, 0, recordBatch(['x'])),
      );
      return sendRaw(w, resized(frame.subarray(0, frame.length - 30)));
    },
    'closed',
  ],

  // --- requests Kafka answers with an error ----------------------------------------------------
  [
    'ApiVersions at a version the gateway does not know (answered v0, with its ranges)',
    async (w) => {
      await w.raw(rawHeader(APIS.ApiVersions.key, 99));
      const answer = decodeResponse(APIS.ApiVersions.key, 0, await w.nextFrame());
      expect(answer.correlationId).toBe(77);
      expect(answer.body.apiKeys.some((k) => k.apiKey === APIS.Produce.key)).toBe(true);
      return answer.body.errorCode;
    },
    CODE.UNSUPPORTED_VERSION,
  ],
  [
    'Produce v2 (advertised for librdkafka, refused when used)',
    async (w) => {
      const res = await w.request(APIS.Produce.key, 2, {
        acks: -1,
        timeoutMs: 5000,
        topicData: produceRequest(TOPIC, 0, recordBatch(['x'])).topicData,
      });
      return res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
    },
    CODE.UNSUPPORTED_VERSION,
  ],
  [
    'a batch with a bad CRC',
    (w) => {
      const bytes = recordBatch(['a', 'b']);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
      return produceCode(w, bytes);
    },
    CODE.CORRUPT_MESSAGE,
  ],
  [
    'a batch counting more records than it holds',
    (w) =>
      produceCode(
        w,
        resealed(recordBatch(['a', 'b']), (v) => {
          v.setInt32(57, 3);
          v.setInt32(23, 2);
        }),
      ),
    CODE.INVALID_RECORD,
  ],
  [
    'a batch counting fewer records than it holds',
    (w) =>
      produceCode(
        w,
        resealed(recordBatch(['a', 'b', 'c']), (v) => {
          v.setInt32(57, 2);
          v.setInt32(23, 1);
        }),
      ),
    CODE.INVALID_RECORD,
  ],
  [
    'a batch whose lastOffsetDelta disagrees with its count',
    (w) =>
      produceCode(
        w,
        resealed(recordBatch(['a', 'b']), (v) => v.setInt32(23, 5)),
      ),
    CODE.INVALID_RECORD,
  ],
  [
    'a batch of no records',
    (w) =>
      produceCode(
        w,
        resealed(recordBatch(['a']), (v) => {
          v.setInt32(57, 0);
          v.setInt32(23, -1);
        }),
      ),
    CODE.INVALID_RECORD,
  ],
  // Magic sits before the CRC'd bytes: the CRC still matches.
  [
    'a batch of magic 1 in Produce v3+',
    (w) =>
      produceCode(
        w,
        resealed(recordBatch(['a']), (v) => v.setInt8(16, 1)),
      ),
    CODE.INVALID_RECORD,
  ],
  [
    'a batch whose length claims more bytes than were sent',
    (w) => {
      const bytes = recordBatch(['a']);
      new DataView(bytes.buffer).setInt32(8, bytes.length + 100);
      return produceCode(w, bytes);
    },
    CODE.CORRUPT_MESSAGE,
  ],
  [
    'a gzip batch whose payload does not decompress',
    (w) => produceCode(w, withPayload(1, text.encode('not gzip at all, just bytes'))),
    CODE.CORRUPT_MESSAGE,
  ],
  [
    'a batch naming compression id 6',
    (w) => produceCode(w, withPayload(6, new Uint8Array(8))),
    CODE.CORRUPT_MESSAGE,
  ],
  [
    'a zstd batch that inflates past 64 MiB (a compression bomb)',
    (w) => produceCode(w, withPayload(4, zstdBomb(65 * 1024 * 1024))),
    CODE.MESSAGE_TOO_LARGE,
  ],
  [
    'a produce to an unknown topic',
    (w) => produceCode(w, recordBatch(['a']), 'no-such-topic'),
    CODE.UNKNOWN_TOPIC_OR_PARTITION,
  ],
  [
    'a produce to an unknown partition',
    (w) => produceCode(w, recordBatch(['a']), TOPIC, 7),
    CODE.UNKNOWN_TOPIC_OR_PARTITION,
  ],
  [
    'an idempotent batch with a sequence gap',
    // The producer wrote sequence 0 (one record) in beforeAll: 1 is next, 5 leaves a gap.
    (w) => produceCode(w, recordBatch(['a'], { ...idempotent, baseSequence: 5 })),
    CODE.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ],
  [
    'an idempotent batch from a fenced epoch',
    (w) => produceCode(w, recordBatch(['a'], fenced)),
    CODE.INVALID_PRODUCER_EPOCH,
  ],
  [
    'a fetch past the end',
    async (w) => {
      const res = await w.request(APIS.Fetch.key, FETCH_VERSION, fetchRequest(TOPIC, 0, 1000n));
      return res.responses[0]?.partitions[0]?.errorCode ?? -1;
    },
    CODE.OFFSET_OUT_OF_RANGE,
  ],

  [
    'a zstd batch in Produce v6 (Kafka allows zstd from v7)',
    async (w) => {
      const res = await w.request(
        APIS.Produce.key,
        6,
        produceRequest(TOPIC, 0, withPayload(4, zstdBomb(1024))),
      );
      return res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
    },
    CODE.UNSUPPORTED_COMPRESSION_TYPE,
  ],
  [
    'a bad batch with acks=0: no answer, and the connection goes on',
    async (w) => {
      const bytes = recordBatch(['a']);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
      await w.send(APIS.Produce.key, PRODUCE_VERSION, { ...produceRequest(TOPIC, 0, bytes), acks: 0 });
      // Answers come in request order: the next answer on this connection is the Metadata one.
      const metadata = await w.request(APIS.Metadata.key, 12, {
        topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
      return metadata.topics[0]?.errorCode ?? -1;
    },
    0,
  ],

  // --- a client that goes away ---------------------------------------------------------------------
  [
    'a produce abandoned mid-frame (half sent, then the client closes)',
    async (w) => {
      const frame = encodeRequest(
        { apiKey: APIS.Produce.key, apiVersion: PRODUCE_VERSION, correlationId: 11, clientId: 'strata-test' },
        produceRequest(TOPIC, 0, recordBatch(['never', 'written'])),
      );
      await w.raw(frame.subarray(0, Math.floor(frame.length / 2)));
      w.close();
      await w.closed;
      return 'abandoned';
    },
    'abandoned',
  ],
  [
    'a size prefix abandoned halfway',
    async (w) => {
      await w.raw(Uint8Array.from([0, 0]));
      w.close();
      await w.closed;
      return 'abandoned';
    },
    'abandoned',
  ],
];

/** Everything a bad request could have changed: topics, heads, index entries, objects, orphans. */
async function snapshot() {
  const topic = await getTopic(ctx.engine, TOPIC);
  const heads = await ctx.engine.metadata.getHeads(topic);
  const index = await Promise.all(
    [0, 1].map(async (p) => (await ctx.engine.metadata.queryIndex(topic, p, 0, 100)).entries),
  );
  const listed = await ctx.engine.clients.s3.send(
    new ListObjectsV2Command({ Bucket: ctx.engine.config.bucket }),
  );
  const topics = (await ctx.engine.metadata.listTopics()).map((t) => `${t.name}:${t.partitions}`);
  const orphans = (await ctx.engine.metadata.orphans()).map((o) => o.objectKey);
  return { heads, index, topics, objects: (listed.Contents ?? []).map((o) => o.Key as string), orphans };
}

beforeAll(async () => {
  expect((await ctx.http.post('/v1/topics', { name: TOPIC, partitions: 2 })).status).toBe(201);
  // A non-empty log, so that "nothing moved" is checked against real heads.
  expect(
    (await ctx.http.post(`/v1/topics/${TOPIC}/records`, { records: [{ value: 'ok', partition: 0 }] })).status,
  ).toBe(200);
  const wire = await open();
  const init = await wire.request(APIS.InitProducerId.key, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  expect(init.errorCode).toBe(0);
  idempotent = { producerId: Number(init.producerId), producerEpoch: init.producerEpoch, baseSequence: 0 };
  expect(await produceCode(wire, recordBatch(['first'], idempotent), TOPIC, 0)).toBe(0);
  // Two inits of one transactional id: epoch 1 fences epoch 0. The gateway refuses transactional
  // ids until it serves transactions, so the engine (as HTTP's POST /v1/producers) makes them.
  await initProducer(ctx.engine, { transactionalId: 'bad-input-fenced' });
  const current = await initProducer(ctx.engine, { transactionalId: 'bad-input-fenced' });
  expect(current.producerEpoch).toBe(1);
  fenced = { producerId: Number(current.producerId), producerEpoch: 0, baseSequence: 0 };
  wire.close();
  await wire.closed;
  await vi.waitFor(() => expect(ctx.gateway.connectionCount()).toBe(0));
  bystander = await openKafkaWire(ctx.bootstrap);
});

afterAll(() => bystander.close());

afterEach(async () => {
  for (const w of opened.splice(0)) w.close();
});

describe('bad input at the Kafka socket', () => {
  it.each(cases)('%s', async (_name, act, expected) => {
    const before = await snapshot();
    const wire = await open();
    expect(await act(wire)).toBe(expected);
    if (expected === 'closed') expect(wire.isClosed()).toBe(true);

    const after = await snapshot();
    expect({ ...after, objects: undefined, orphans: undefined }).toEqual({
      ...before,
      objects: undefined,
      orphans: undefined,
    });
    // An object uploaded before the request failed is recorded for cleanup, never left behind.
    for (const key of after.objects.filter((k) => !before.objects.includes(k)))
      expect(after.orphans).toContain(key);

    // The gateway lets go of a closed connection, and answers a fresh one as usual.
    if (expected === 'closed' || expected === 'abandoned')
      await vi.waitFor(() => expect(ctx.gateway.connectionCount()).toBe(1));
    const still = await bystander.request(APIS.ApiVersions.key, 3, {
      clientSoftwareName: 'strata-test',
      clientSoftwareVersion: '1',
    });
    expect(still.errorCode).toBe(0);
    const fresh = await open();
    const versions = await fresh.request(APIS.ApiVersions.key, 3, {
      clientSoftwareName: 'strata-test',
      clientSoftwareVersion: '1',
    });
    expect(versions.errorCode).toBe(0);
    const metadata = await fresh.request(APIS.Metadata.key, 12, {
      topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(metadata.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([[TOPIC, 0, 2]]);
  });

  it("left the log as it was: the one record written over HTTP and the idempotent producer's", async () => {
    const res = await ctx.http.get(`/v1/topics/${TOPIC}/partitions/0/records?offset=0`);
    expect(res.body.records.map((r: { value: string }) => r.value)).toEqual(['ok', 'first']);
    expect((await ctx.http.get(`/v1/topics/${TOPIC}/partitions/1/records?offset=0`)).body.records).toEqual(
      [],
    );
  });
});
