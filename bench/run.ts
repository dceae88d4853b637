/**
 * `npm run bench`: Strata against the raw emulators it runs on, in one process and one run, so the
 * ratios mean something even on a noisy machine. Prints one table and writes bench/results/latest.json.
 * Figures from the local stack (s3rver, DynamoDB Local) are for comparing Strata with its own
 * storage, not predictions of AWS latency.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../local/stack.js';
import { measureBundles } from './bundles.js';
import { clientBenches } from './client.js';
import { benchDecompression } from './compression.js';
import { benchGatewayConsume, benchGatewayProduce } from './kafka.js';
import { countRequests } from './request-counter.js';

const MiB = 1024 * 1024;
const RECORD_BYTES = 1024;
const BYTES_PER_RUN = Number(process.env.STRATA_BENCH_MIB ?? 24) * MiB;

export interface Row {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

/** Runs `total` jobs on `concurrency` workers. */
async function pool(total: number, concurrency: number, job: (i: number, worker: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) await job(next++, worker);
    }),
  );
}

async function main() {
  const stack = await startLocalStack({ port: 0 });
  const { engine, url } = stack;
  const s3Requests = countRequests(engine.clients.s3, 's3');
  const ddbRequests = countRequests(engine.clients.dynamodb, 'dynamodb');
  const rows: Row[] = [];
  const results: Record<string, number> = {};
  const record = (key: string, name: string, value: number, unit: string, note?: string) => {
    results[key] = value;
    rows.push({ name, value, unit, ...(note ? { note } : {}) });
  };

  try {
    // --- raw S3: PUT MB/s at the segment sizes produce writes -------------------------------
    const putKeys: string[] = [];
    for (const size of [64 * 1024, MiB]) {
      for (const concurrency of [1, 8]) {
        const body = new Uint8Array(size).fill(7);
        const n = Math.max(8, Math.round(BYTES_PER_RUN / size / 2));
        const { ms } = await timed(() =>
          pool(n, concurrency, async () => {
            const key = `bench/raw/${randomUUID()}`;
            await engine.clients.s3.send(
              new PutObjectCommand({ Bucket: engine.config.bucket, Key: key, Body: body }),
            );
            if (size === MiB) putKeys.push(key);
          }),
        );
        record(
          `rawPut_${size}_${concurrency}`,
          `raw S3 PUT ${kib(size)} x${concurrency}`,
          (n * size) / MiB / (ms / 1000),
          'MB/s',
        );
      }
    }

    // --- raw S3: GET MB/s of the 1 MiB objects just written, the baseline of consume -------
    {
      const { ms } = await timed(() =>
        pool(putKeys.length, 8, async (i) => {
          const res = await engine.clients.s3.send(
            new GetObjectCommand({ Bucket: engine.config.bucket, Key: putKeys[i] }),
          );
          await res.Body?.transformToByteArray();
        }),
      );
      record('rawGet_1048576_8', 'raw S3 GET 1 MiB x8', putKeys.length / (ms / 1000), 'MB/s');
    }

    // --- raw DynamoDB: two-item conditional transactions/s (a head update + an index put) ---
    for (const concurrency of [1, 8]) {
      const n = 400;
      const heads = Array.from({ length: concurrency }, () => 0);
      const { ms } = await timed(() =>
        pool(n, concurrency, async (_i, worker) => {
          const next = (heads[worker] as number) + 1;
          await engine.clients.doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: engine.config.metaTable,
                    Key: { pk: `bench#${concurrency}#${worker}`, sk: 'head' },
                    UpdateExpression: 'SET nextOffset = :next',
                    ConditionExpression: 'attribute_not_exists(nextOffset) OR nextOffset = :prev',
                    ExpressionAttributeValues: { ':next': next, ':prev': next - 1 },
                  },
                },
                {
                  Put: {
                    TableName: engine.config.indexTable,
                    Item: {
                      pk: `bench#${concurrency}#${worker}`,
                      sk: next,
                      objectKey: 'x',
                      byteOffset: 0,
                      byteLength: 1,
                    },
                  },
                },
              ],
            }),
          );
          heads[worker] = next;
        }),
      );
      record(`rawTxn_${concurrency}`, `raw DynamoDB 2-item txn x${concurrency}`, n / (ms / 1000), 'txn/s');
    }

    // --- produce through the HTTP API, 1 KiB records ---------------------------------------
    const value = 'x'.repeat(RECORD_BYTES);
    for (const recordsPerRequest of [64, 1024]) {
      const requestBytes = recordsPerRequest * RECORD_BYTES;
      for (const concurrency of [1, 8]) {
        const topic = `bench-${recordsPerRequest}-${concurrency}`;
        await post(url, '/v1/topics', { name: topic, partitions: 8 });
        const body = JSON.stringify({
          records: Array.from({ length: recordsPerRequest }, () => ({ value })),
        });
        const n = Math.max(8, Math.round(BYTES_PER_RUN / requestBytes));
        s3Requests.reset();
        ddbRequests.reset();
        const { ms } = await timed(() =>
          pool(n, concurrency, async () => {
            await post(url, `/v1/topics/${topic}/records`, body);
          }),
        );
        const mib = (n * requestBytes) / MiB;
        const key = `${recordsPerRequest}_${concurrency}`;
        record(
          `produceMBs_${key}`,
          `produce ${kib(requestBytes)} requests x${concurrency}`,
          mib / (ms / 1000),
          'MB/s',
        );
        record(
          `produceRecords_${key}`,
          `produce ${kib(requestBytes)} requests x${concurrency}`,
          (n * recordsPerRequest) / (ms / 1000),
          'records/s',
        );
        const raw = results[`rawPut_${requestBytes >= MiB ? MiB : 64 * 1024}_${concurrency}`] as number;
        record(
          `produceRatio_${key}`,
          `  as a share of raw PUT at that size x${concurrency}`,
          (mib / (ms / 1000) / raw) * 100,
          '%',
        );
        record(`s3PerMiB_${key}`, `  S3 requests per MiB produced`, s3Requests.count / mib, 'req/MiB');
        record(
          `ddbPerMiB_${key}`,
          `  DynamoDB requests per MiB produced`,
          ddbRequests.count / mib,
          'req/MiB',
        );
      }
    }

    // --- consume: read one produced topic back from the start, cold cache ------------------
    {
      const topic = 'bench-1024-8';
      engine.segments.cache.clear();
      let bytes = 0;
      s3Requests.reset();
      ddbRequests.reset();
      const { ms } = await timed(async () => {
        await pool(8, 8, async (partition) => {
          let offset = 0;
          for (;;) {
            const res = await get(
              url,
              `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxBytes=${4 * MiB}&maxRecords=10000`,
            );
            for (const r of res.records) bytes += (r.value as string).length;
            if (res.nextOffset === res.highWatermark) break;
            offset = Number(res.nextOffset);
          }
        });
      });
      const mib = bytes / MiB;
      record(
        'consumeMBs',
        'consume (fetch from the start, 8 partitions in parallel)',
        mib / (ms / 1000),
        'MB/s',
      );
      record('consumeS3PerMiB', '  S3 GETs per MiB consumed', s3Requests.count / mib, 'req/MiB');
      record('consumeDdbPerMiB', '  DynamoDB requests per MiB consumed', ddbRequests.count / mib, 'req/MiB');
      record(
        'consumeRatio',
        '  as a share of raw GET 1 MiB x8',
        (mib / (ms / 1000) / (results.rawGet_1048576_8 as number)) * 100,
        '%',
      );
    }

    // --- the Kafka gateway (issue 9): pre-encoded Produce frames, then Fetch from the start ---
    const gateway = stack.kafka;
    if (!gateway) throw new Error('the local stack serves no Kafka port');
    let kafkaTopic = '';
    for (const requestBytes of [64 * 1024, MiB]) {
      for (const connections of [1, 8]) {
        const r = await benchGatewayProduce(
          engine,
          gateway.bootstrap,
          { requestBytes, connections, totalBytes: BYTES_PER_RUN, recordBytes: RECORD_BYTES },
          { s3: s3Requests, ddb: ddbRequests },
        );
        if (requestBytes === MiB && connections === 8) kafkaTopic = r.topic;
        const key = `${requestBytes}_${connections}`;
        const raw = results[`rawPut_${requestBytes}_${connections}`] as number;
        const http = results[`produceMBs_${requestBytes >= MiB ? 1024 : 64}_${connections}`] as number;
        record(
          `kafkaProduceMBs_${key}`,
          `Kafka produce ${kib(requestBytes)} requests x${connections} conns`,
          r.produceMBs,
          'MB/s',
        );
        record(
          `kafkaProduceRatio_${key}`,
          `  as a share of raw PUT at that size x${connections}`,
          (r.produceMBs / raw) * 100,
          '%',
        );
        record(
          `kafkaProduceVsHttp_${key}`,
          `  as a share of HTTP produce at that size x${connections}`,
          (r.produceMBs / http) * 100,
          '%',
        );
        record(`kafkaS3PerMiB_${key}`, '  S3 requests per MiB produced', r.s3PerMiB, 'req/MiB');
        record(`kafkaDdbPerMiB_${key}`, '  DynamoDB requests per MiB produced', r.ddbPerMiB, 'req/MiB');
      }
    }
    {
      engine.segments.cache.clear();
      const r = await benchGatewayConsume(gateway.bootstrap, kafkaTopic, {
        s3: s3Requests,
        ddb: ddbRequests,
      });
      record(
        'kafkaConsumeMBs',
        'Kafka consume (Fetch from the start, 8 partitions, 8 conns)',
        r.consumeMBs,
        'MB/s',
      );
      record(
        'kafkaConsumeRatio',
        '  as a share of raw GET 1 MiB x8',
        (r.consumeMBs / (results.rawGet_1048576_8 as number)) * 100,
        '%',
      );
      record(
        'kafkaConsumeVsHttp',
        '  as a share of HTTP consume',
        (r.consumeMBs / (results.consumeMBs as number)) * 100,
        '%',
      );
      record('kafkaConsumeS3PerMiB', '  S3 GETs per MiB consumed', r.s3PerMiB, 'req/MiB');
      record('kafkaConsumeDdbPerMiB', '  DynamoDB requests per MiB consumed', r.ddbPerMiB, 'req/MiB');
    }

    // --- the client (issue 3) --------------------------------------------------------------------
    const client = await clientBenches(url, BYTES_PER_RUN);
    record(
      'clientProducerMBs',
      'client producer, default settings, 1 KiB records',
      client.producerMBs,
      'MB/s',
    );
    record(
      'clientProducerRatio',
      '  as a share of raw HTTP produce at 1 MiB requests x8',
      (client.producerMBs / (results.produceMBs_1024_8 as number)) * 100,
      '%',
    );
    record('clientPlainProducerMBs', 'client producer, idempotent: false', client.plainProducerMBs, 'MB/s');
    record(
      'clientPlainProducerRatio',
      '  as a share of raw HTTP produce at 1 MiB requests x8',
      (client.plainProducerMBs / (results.produceMBs_1024_8 as number)) * 100,
      '%',
    );
    record(
      'e2eP50Ms',
      'end-to-end send -> eachMessage, group of 3 on 6 partitions, p50',
      client.e2eP50Ms,
      'ms',
    );
    record(
      'e2eP99Ms',
      'end-to-end send -> eachMessage, group of 3 on 6 partitions, p99',
      client.e2eP99Ms,
      'ms',
    );
    record('rebalanceMs', 'rebalance of a group of 3 after one member leaves', client.rebalanceMs, 'ms');
  } finally {
    await stack.stop();
  }

  // --- Lambda bundles (issue 4): size and import time in a fresh node process ----------------
  for (const b of await measureBundles()) {
    record(`bundleBytes_${b.function}`, `bundle ${b.function}`, b.bytes / 1024, 'KiB');
    record(`bundleImportMs_${b.function}`, `  cold import of the ${b.function} bundle`, b.coldImportMs, 'ms');
  }

  // --- decompression of client batches (issue 9), per codec, CPU only ---------------------------
  {
    const { copyMBs, figures } = benchDecompression();
    record('decompressCopyMBs', 'copy of a decompressed batch (the baseline)', copyMBs, 'MB/s');
    const gzip = figures.find((f) => f.codec === 'gzip')?.mbs as number;
    for (const f of figures) {
      const key = f.codec.replace(/\W+/g, '_').replace(/_$/, '');
      record(`decompressMBs_${key}`, `decompress ${f.codec} (kcat's batch of 72 KiB)`, f.mbs, 'MB/s');
      record(`decompressVsCopy_${key}`, '  as a share of the copy', (f.mbs / copyMBs) * 100, '%');
      record(`decompressVsGzip_${key}`, '  as a share of gzip', (f.mbs / gzip) * 100, '%');
      record(`compressedSize_${key}`, '  compressed size, of the decompressed size', f.sizeRatio, '%');
      if (f.compressMBs !== undefined) {
        record(`compressMBs_${key}`, `  compress ${f.codec} (HTTP produce)`, f.compressMBs, 'MB/s');
        record(
          `compressSize_${key}`,
          '  our compressed size, of the decompressed size',
          f.compressSizeRatio as number,
          '%',
        );
      }
    }
  }

  printTable(rows);
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/latest.json',
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, bytesPerRun: BYTES_PER_RUN, results }, null, 2)}\n`,
  );
  console.log('\nwritten to bench/results/latest.json');
}

function kib(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`;
}

async function post(url: string, path: string, body: unknown) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function get(url: string, path: string) {
  const res = await fetch(url + path);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function printTable(rows: Row[]) {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${'measure'.padEnd(width)}  ${'value'.padStart(10)}  unit`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(10)}  ----`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${r.value.toFixed(r.value >= 100 ? 0 : 2).padStart(10)}  ${r.unit}${r.note ? `  (${r.note})` : ''}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
