/**
 * The hot partition (issue 12): 8 producers on ONE partition with small (4 KiB) requests, through
 * the HTTP API and through the Kafka gateway, for a fixed time. Over HTTP every request is its
 * own commit, so the partition's head is the bottleneck; the gateway's flushes turn the requests
 * that arrive together into one commit.
 */
import { encodeBatch } from '../lib/engine/codec/record-batch.js';
import { createTopic, type Engine } from '../lib/engine/index.js';
import { openKafkaWire } from '../test/support/kafka-wire.js';
import { produceFrame, sendProduce } from './kafka.js';

export interface HotResult {
  /** Acknowledged requests per second. */
  commitsPerSecond: number;
  recordsPerSecond: number;
  /** Requests answered with a (retriable) error, which the producers sent again. */
  failed: number;
}

/** HTTP: `producers` loops POSTing `records` records of `recordBytes`, all with partition 0. */
export async function hotHttp(
  url: string,
  topic: string,
  opts: { producers: number; records: number; recordBytes: number; seconds: number },
): Promise<HotResult> {
  await fetch(`${url}/v1/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: topic, partitions: 1 }),
  });
  const value = 'h'.repeat(opts.recordBytes);
  const body = JSON.stringify({
    records: Array.from({ length: opts.records }, () => ({ value, partition: 0 })),
  });
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.producers }, async () => {
      while (performance.now() < deadline) {
        const res = await fetch(`${url}/v1/topics/${topic}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await res.text();
        if (res.ok) ok++;
        else if (res.status === 503 || res.status === 429) failed++;
        else throw new Error(`hot HTTP produce: ${res.status} ${text.slice(0, 300)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { commitsPerSecond: ok / seconds, recordsPerSecond: (ok * opts.records) / seconds, failed };
}

/** Kafka: `connections` connections sending pre-encoded Produce frames, all to partition 0. */
export async function hotGateway(
  engine: Engine,
  bootstrap: string,
  topic: string,
  opts: { connections: number; records: number; recordBytes: number; seconds: number },
): Promise<HotResult> {
  await createTopic(engine, { name: topic, partitions: 1 });
  const value = new Uint8Array(opts.recordBytes).fill(104);
  const batch = encodeBatch(
    Array.from({ length: opts.records }, () => ({ key: null, value, headers: [], timestamp: Date.now() })),
  ).bytes;
  const frame = produceFrame(topic, 0, batch);
  const wires = await Promise.all(Array.from({ length: opts.connections }, () => openKafkaWire(bootstrap)));
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  await Promise.all(
    wires.map(async (wire) => {
      while (performance.now() < deadline) {
        const code = await sendProduce(wire, frame);
        if (code === 0) ok++;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const wire of wires) wire.close();
  return { commitsPerSecond: ok / seconds, recordsPerSecond: (ok * opts.records) / seconds, failed };
}
