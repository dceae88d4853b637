/**
 * `npx tsx bench/linger.ts`: how the gateway's flush linger trades latency for requests. For each
 * linger, 8 connections send pre-encoded 64 KiB Produce requests (1 KiB records, acks=-1), each
 * keeping 16 in flight, and then 1 connection does the same; it prints MB/s, S3 PUTs per
 * MiB, and the request latency p50/p99 of both. The default linger (lib/kafka/config.ts) was chosen
 * from this table (docs/decisions.md).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { encodeBatch } from '../lib/engine/codec/record-batch.js';
import { createTopic, type FlushReport } from '../lib/engine/index.js';
import { DEFAULT_GATEWAY_CONFIG } from '../lib/kafka/config.js';
import { startGateway } from '../lib/kafka/gateway.js';
import { decodeResponse, encodeRequest } from '../lib/kafka/protocol/codec.js';
import { APIS } from '../lib/kafka/protocol/schema/index.js';
import { startLocalStack } from '../local/stack.js';
import { openKafkaWire } from '../test/support/kafka-wire.js';

const MiB = 1024 * 1024;
const LINGERS = (process.env.STRATA_BENCH_LINGERS ?? '0,5,10,25').split(',').map(Number);
const REQUESTS = Number(process.env.STRATA_BENCH_REQUESTS ?? 1600);
/** Requests each connection keeps outstanding, as a client's max.in.flight. */
const IN_FLIGHT = Number(process.env.STRATA_BENCH_IN_FLIGHT ?? 16);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main() {
  const stack = await startLocalStack({ port: 0 });
  const { engine } = stack;
  let puts = 0;
  engine.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === PutObjectCommand.name) puts++;
      return next(args);
    },
    { step: 'initialize', name: 'lingerBenchPuts' },
  );
  const value = new Uint8Array(1024).fill(120);
  const batch = encodeBatch(
    Array.from({ length: 64 }, () => ({ key: null, value, headers: [], timestamp: Date.now() })),
  ).bytes;
  console.log('linger ms  conns  MB/s   PUT/MiB  p50 ms  p99 ms');
  try {
    for (const lingerMs of LINGERS) {
      const gateway = await startGateway({
        engine,
        config: { ...DEFAULT_GATEWAY_CONFIG, port: 0, produceLingerMs: lingerMs },
      });
      const flushes: FlushReport[] = [];
      gateway.flusher.onFlush((r) => flushes.push(r));
      for (const connections of [8, 1]) {
        const topic = `linger-${lingerMs}-${connections}`;
        await createTopic(engine, { name: topic, partitions: 8 });
        const frames = Array.from({ length: 8 }, (_, partition) =>
          encodeRequest(
            { apiKey: APIS.Produce.key, apiVersion: 9, correlationId: 1, clientId: 'bench' },
            {
              transactionalId: null,
              acks: -1,
              timeoutMs: 30_000,
              topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
            },
          ),
        );
        const wires = await Promise.all(
          Array.from({ length: connections }, () => openKafkaWire(gateway.bootstrap)),
        );
        const total = connections === 1 ? REQUESTS / 4 : REQUESTS;
        const latencies: number[] = [];
        let next = 0;
        puts = 0;
        const started = performance.now();
        await Promise.all(
          wires.map(async (wire) => {
            const sentAt: number[] = [];
            const fill = async () => {
              while (sentAt.length < IN_FLIGHT && next < total) {
                const i = next++;
                sentAt.push(performance.now());
                await wire.raw(frames[i % 8] as Uint8Array);
              }
            };
            await fill();
            while (sentAt.length > 0) {
              const answer = decodeResponse(APIS.Produce.key, 9, await wire.nextFrame()).body;
              latencies.push(performance.now() - (sentAt.shift() as number));
              const code = answer.responses[0]?.partitionResponses[0]?.errorCode;
              if (code !== 0) throw new Error(`produce failed with Kafka error ${code}`);
              await fill();
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const mean = (f: (r: FlushReport) => number) =>
          flushes.reduce((n, r) => n + f(r), 0) / flushes.length;
        const timing = `flushes ${flushes.length}: ${(mean((r) => r.bytes) / MiB).toFixed(2)} MiB, upload ${mean((r) => r.uploadMs).toFixed(1)} ms, wait ${mean((r) => r.waitMs).toFixed(1)} ms, commit ${mean((r) => r.commitMs).toFixed(1)} ms`;
        flushes.length = 0;
        for (const wire of wires) wire.close();
        const mib = (total * batch.length) / MiB;
        latencies.sort((a, b) => a - b);
        console.log(
          [
            String(lingerMs).padStart(9),
            String(connections).padStart(5),
            (mib / seconds).toFixed(1).padStart(6),
            (puts / mib).toFixed(2).padStart(8),
            percentile(latencies, 50).toFixed(1).padStart(7),
            percentile(latencies, 99).toFixed(1).padStart(7),
            timing,
          ].join('  '),
        );
      }
      await gateway.close();
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
