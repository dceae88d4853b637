/**
 * The Kafka gateway in the bench: produce with pre-encoded Produce frames (so the load generator
 * costs almost nothing) on 1 and 8 connections, and consume with Fetch from the start, one
 * connection per partition. Each figure is put next to the raw emulator figure of the same run.
 */
import { encodeBatch } from '../lib/engine/codec/record-batch.js';
import { createTopic, type Engine } from '../lib/engine/index.js';
import { decodeResponse, encodeRequest } from '../lib/kafka/protocol/codec.js';
import { APIS } from '../lib/kafka/protocol/schema/index.js';
import { type KafkaWire, openKafkaWire } from '../test/support/kafka-wire.js';

const MiB = 1024 * 1024;
const PARTITIONS = 8;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;

export interface KafkaBenchResult {
  requestBytes: number;
  connections: number;
  produceMBs: number;
  /** MiB of batches produced (what the counters were counting for). */
  mib: number;
  s3PerMiB: number;
  ddbPerMiB: number;
}

interface Counter {
  count: number;
  reset(): void;
}

/** Counters reset with the others right before the measured loop (capacity units, ...). */
interface Resettable {
  reset(): void;
}

/**
 * Produce through the gateway: `requestBytes` of 1 KiB records per request, acks=-1, each
 * connection keeping `inFlight` requests outstanding, as a client with max.in.flight does (the
 * gateway admits a connection's next Produce once the one before joined a flush).
 */
export async function benchGatewayProduce(
  engine: Engine,
  bootstrap: string,
  opts: {
    requestBytes: number;
    connections: number;
    totalBytes: number;
    recordBytes: number;
    inFlight?: number;
  },
  counters: { s3: Counter; ddb: Counter; extra?: Resettable[] },
): Promise<KafkaBenchResult & { topic: string }> {
  const { requestBytes, connections, recordBytes } = opts;
  const topic = `kbench-${requestBytes}-${connections}`;
  // A 1 MiB request is one batch a little over Kafka's default max.message.bytes (1 MiB).
  await createTopic(engine, {
    name: topic,
    partitions: PARTITIONS,
    config: { 'max.message.bytes': String(2 * requestBytes) },
  });
  const value = new Uint8Array(recordBytes).fill(120);
  const records = Array.from({ length: Math.max(1, Math.round(requestBytes / recordBytes)) }, () => ({
    key: null,
    value,
    headers: [],
    timestamp: Date.now(),
  }));
  const batch = encodeBatch(records).bytes;
  // One frame per partition, encoded once; every send reuses it (the gateway ignores repeated ids).
  const frames = Array.from({ length: PARTITIONS }, (_, partition) => produceFrame(topic, partition, batch));
  const wires = await Promise.all(Array.from({ length: connections }, () => openKafkaWire(bootstrap)));
  const total = Math.max(8, Math.round(opts.totalBytes / requestBytes));
  let next = 0;
  counters.s3.reset();
  counters.ddb.reset();
  for (const c of counters.extra ?? []) c.reset();
  const started = performance.now();
  await Promise.all(
    wires.map(async (wire) => {
      let outstanding = 0;
      const fill = async () => {
        while (outstanding < (opts.inFlight ?? 1) && next < total) {
          const i = next++;
          outstanding++;
          await wire.raw(frames[i % PARTITIONS] as Uint8Array);
        }
      };
      await fill();
      while (outstanding > 0) {
        const answer = decodeResponse(APIS.Produce.key, PRODUCE_VERSION, await wire.nextFrame()).body;
        outstanding--;
        const code = answer.responses[0]?.partitionResponses[0]?.errorCode;
        if (code !== 0) throw new Error(`gateway produce failed with Kafka error ${code}`);
        await fill();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const wire of wires) wire.close();
  const mib = (total * batch.length) / MiB;
  return {
    topic,
    requestBytes,
    connections,
    produceMBs: mib / seconds,
    mib,
    s3PerMiB: counters.s3.count / mib,
    ddbPerMiB: counters.ddb.count / mib,
  };
}

/** A Produce request (acks=-1) of one batch to one partition, encoded once and sent as often as wanted. */
export function produceFrame(topic: string, partition: number, batch: Uint8Array): Uint8Array {
  return encodeRequest(
    { apiKey: APIS.Produce.key, apiVersion: PRODUCE_VERSION, correlationId: 1, clientId: 'bench' },
    {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    },
  );
}

/** Sends a pre-encoded Produce frame and waits for its answer: the partition's error code. */
export async function sendProduce(wire: KafkaWire, frame: Uint8Array): Promise<number | undefined> {
  await wire.raw(frame);
  const answer = decodeResponse(APIS.Produce.key, PRODUCE_VERSION, await wire.nextFrame()).body;
  return answer.responses[0]?.partitionResponses[0]?.errorCode;
}

/** Reads `topic` back from the start through the gateway, one connection per partition. */
export async function benchGatewayConsume(
  bootstrap: string,
  topic: string,
  counters: { s3: Counter; ddb: Counter; extra?: Resettable[] },
): Promise<{ consumeMBs: number; mib: number; s3PerMiB: number; ddbPerMiB: number }> {
  counters.s3.reset();
  counters.ddb.reset();
  for (const c of counters.extra ?? []) c.reset();
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      const wire = await openKafkaWire(bootstrap);
      let offset = 0n;
      for (;;) {
        const res = await wire.request(APIS.Fetch.key, FETCH_VERSION, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 16 * MiB,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 4 * MiB }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
        const p = res.responses[0]?.partitions[0];
        if (!p || p.errorCode !== 0) throw new Error(`gateway fetch failed with Kafka error ${p?.errorCode}`);
        const records = p.records ?? new Uint8Array(0);
        bytes += records.length;
        if (records.length === 0) break;
        offset = nextOffsetAfter(records);
        if (offset >= p.highWatermark) break;
      }
      wire.close();
    }),
  );
  const mib = bytes / MiB;
  const seconds = (performance.now() - started) / 1000;
  return {
    consumeMBs: mib / seconds,
    mib,
    s3PerMiB: counters.s3.count / mib,
    ddbPerMiB: counters.ddb.count / mib,
  };
}

/** The offset after the last batch in a Fetch answer's bytes (base offset + lastOffsetDelta + 1). */
function nextOffsetAfter(records: Uint8Array): bigint {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  let next = 0n;
  while (at + 12 <= records.length) {
    const length = view.getInt32(at + 8);
    next = view.getBigInt64(at) + BigInt(view.getInt32(at + 23)) + 1n;
    at += 12 + length;
  }
  return next;
}
