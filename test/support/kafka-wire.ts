import { connect, type Socket } from 'node:net';
import { onFrames } from '../../checker/kafka-link.js';
import { type BatchProducerInfo, encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { decodeResponse, encodeRequest } from '../../lib/kafka/protocol/codec.js';
import type { ApiKey, ApiNameOf, RequestInput, ResponseBody } from '../../lib/kafka/protocol/schema/index.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';

/**
 * A bare Kafka-protocol connection for tests: send a request built from the project's own schema,
 * read the next frame, or send raw bytes. Frames are read as they arrive, in order; `closed`
 * resolves when the server closes the connection.
 */
export interface KafkaWire {
  /** Sends one request and decodes the response to it. */
  request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestInput<ApiNameOf<K>>,
    clientId?: string,
  ): Promise<ResponseBody<ApiNameOf<K>>>;
  /** Sends a request and expects no response to it (acks=0): resolves once written. */
  send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInput<ApiNameOf<K>>): Promise<number>;
  /** Writes bytes as they are. */
  raw(bytes: Uint8Array): Promise<void>;
  /** The next whole frame the server sends (without its size prefix). */
  nextFrame(): Promise<Uint8Array>;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

export async function openKafkaWire(bootstrap: string): Promise<KafkaWire> {
  const [host, port] = bootstrap.split(':') as [string, string];
  const socket: Socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: Uint8Array[] = [];
  const waiting: ((frame: Uint8Array | Error) => void)[] = [];
  let isClosed = false;
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      isClosed = true;
      for (const w of waiting.splice(0)) w(new Error('connection closed'));
      resolve();
    });
  });
  socket.on('error', () => {});
  onFrames(socket, (frame) => {
    const w = waiting.shift();
    if (w) w(frame);
    else frames.push(frame);
  });
  let correlationId = 1;
  // A failed write (EPIPE, ECONNRESET) destroys the socket; its error is passed on once 'close'
  // has fired, so a caller that sees it also sees isClosed(), as after a failed read.
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      socket.write(bytes, (err) => (err ? void closed.then(() => reject(err)) : resolve())),
    );
  const nextFrame = () =>
    new Promise<Uint8Array>((resolve, reject) => {
      const ready = frames.shift();
      if (ready) return resolve(ready);
      if (isClosed) return reject(new Error('connection closed'));
      waiting.push((f) => (f instanceof Error ? reject(f) : resolve(f)));
    });
  return {
    async request(apiKey, apiVersion, body, clientId = 'strata-test') {
      const id = correlationId++;
      await write(encodeRequest({ apiKey, apiVersion, correlationId: id, clientId }, body));
      const frame = await nextFrame();
      const decoded = decodeResponse(apiKey, apiVersion, frame);
      if (decoded.correlationId !== id)
        throw new Error(`correlation id ${decoded.correlationId}, expected ${id}`);
      return decoded.body;
    },
    async send(apiKey, apiVersion, body) {
      const id = correlationId++;
      await write(encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: 'strata-test' }, body));
      return id;
    },
    raw: write,
    nextFrame,
    closed,
    isClosed: () => isClosed,
    close: () => socket.destroy(),
  };
}

const text = new TextEncoder();

/** A Produce body: `records` (RecordBatch bytes) to one partition, acks=-1 (all). */
export function produceRequest(
  topic: string,
  partition: number,
  records: Uint8Array,
  timeoutMs = 5000,
): RequestInput<'Produce'> {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  };
}

/** A RecordBatch of `values` (keys k0, k1, …, no headers, timestamps from 1_700_000_000_000), uncompressed. */
export function recordBatch(values: string[], producer?: BatchProducerInfo): Uint8Array {
  return encodeBatch(
    values.map((v, i) => ({
      key: text.encode(`k${i}`),
      value: text.encode(v),
      headers: [],
      timestamp: 1_700_000_000_000 + i,
    })),
    0,
    producer,
  ).bytes;
}

/** A fresh idempotent producer over the wire (InitProducerId v4, no transactional id): its id and epoch. */
export async function initIdempotentProducer(
  wire: KafkaWire,
): Promise<{ producerId: number; producerEpoch: number }> {
  const init = await wire.request(APIS.InitProducerId.key, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  if (init.errorCode !== 0) throw new Error(`InitProducerId failed with Kafka error ${init.errorCode}`);
  return { producerId: Number(init.producerId), producerEpoch: init.producerEpoch };
}

/** A CreateTopics body: each of `names` with one partition, replication factor 1, no configs. */
export function createTopicsRequest(names: string[]): RequestInput<'CreateTopics'> {
  return {
    topics: names.map((name) => ({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [],
    })),
    timeoutMs: 5000,
  };
}

/** The answer of a Produce's first (and only) partition. */
export function producedPartition(res: ResponseBody<'Produce'>) {
  return res.responses[0]?.partitionResponses[0];
}

/**
 * A Fetch body for one partition from `fetchOffset`, named by topic (up to v12), answering at
 * once (maxWaitMs 0, minBytes 0), read committed off, no session; replica id and leader epoch at
 * their defaults (-1).
 */
export function fetchRequest(
  topic: string,
  partition: number,
  fetchOffset: bigint,
  maxBytes = 1 << 20,
): RequestInput<'Fetch'> {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}
