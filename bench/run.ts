/**
 * `npm run bench`: Strata against the raw emulators it runs on, in one process and one run, so the
 * ratios mean something even on a noisy machine. Prints one table (each figure next to its raw
 * baseline where it has one, and what bounds it), the goals of issue 12, and writes
 * bench/results/latest.json. Figures from the local stack (s3rver, DynamoDB Local) are for
 * comparing Strata with its own storage, not predictions of AWS latency; the AWS latency and the
 * cost per GB are computed from published figures (bench/latency-model.json, bench/prices.json)
 * and the requests this run counted.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_GATEWAY_CONFIG } from '../lib/kafka/config.js';
import { startLocalStack } from '../local/stack.js';
import { binaryConsume, binaryProduceRound, encodedBatch } from './binary.js';
import { measureBundles } from './bundles.js';
import { clientBenches } from './client.js';
import { benchDecompression } from './compression.js';
import {
  type Counted,
  costPerGB,
  countsPerGiB,
  describeCost,
  fargateMonthly,
  httpApiUnits,
  lambdaSeconds,
  loadPrices,
} from './cost.js';
import { hotGateway, hotHttp } from './hot.js';
import { benchGatewayConsume, benchGatewayProduce } from './kafka.js';
import { benchKafkajs } from './kafkajs-e2e.js';
import { benchKeyCompaction, type KeyCompactionOpts } from './key-compaction-pass.js';
import { loadLatencyModel, produceLatency, putLatency } from './latency.js';
import { measured, pool, rawHotCommits, rawPipeline, rawPut, rawRangedGet } from './raw.js';
import { countCapacity, countRequests } from './request-counter.js';

const MiB = 1024 * 1024;
const RECORD_BYTES = 1024;
/** Produce requests each gateway connection keeps outstanding (the gateway's per-connection limit). */
const GATEWAY_IN_FLIGHT = 16;
const BYTES_PER_RUN = Number(process.env.STRATA_BENCH_MIB ?? 24) * MiB;
/** How long each hot-partition measurement runs. */
const HOT_SECONDS = Number(process.env.STRATA_BENCH_HOT_SECONDS ?? 4);
/** The size HTTP consume's ranged GETs read: one index entry's batch of a 1 MiB produce request. */
const FETCH_RANGE = MiB;
/** The gateway's default flush size, as it is configured (lib/kafka/config.ts). */
const FLUSH_BYTES = DEFAULT_GATEWAY_CONFIG.produceFlushBytes;
/** Alternating rounds of raw pipeline and HTTP produce per figure. */
const ROUNDS = 3;
/** The compacted topic of the compaction section (issue 14): N keys x K updates. */
const COMPACTION: KeyCompactionOpts = {
  keys: Number(process.env.STRATA_BENCH_COMPACTION_KEYS ?? 1000),
  updates: Number(process.env.STRATA_BENCH_COMPACTION_UPDATES ?? 50),
  valueBytes: Number(process.env.STRATA_BENCH_COMPACTION_VALUE_BYTES ?? 150),
  partitions: 4,
};
/** `STRATA_BENCH_ONLY=compaction`: that section alone, on the same stack; latest.json is not written. */
const ONLY = process.env.STRATA_BENCH_ONLY;
const SECTIONS_ALONE = ['compaction'];

/** Request counts of one measurement. */
interface Counts {
  s3: number;
  ddb: number;
  puts: number;
  gets: number;
  txns: number;
  reads: number;
  wru: number;
  rru: number;
}

function emptyCounts(): Counts {
  return { s3: 0, ddb: 0, puts: 0, gets: 0, txns: 0, reads: 0, wru: 0, rru: 0 };
}

function addCounts(into: Counts, more: Counts): void {
  for (const k of Object.keys(into) as (keyof Counts)[]) into[k] += more[k];
}

export interface Row {
  name: string;
  value: number;
  unit: string;
  note?: string;
  bound?: string;
  /** `value` as a share of this result (its raw baseline), printed next to it. */
  baseline?: string;
}

interface Goal {
  goal: string;
  key: string;
  /** Unset for 'info'. */
  target?: number;
  /** 'min': met when value >= target; 'max': met when value <= target; 'info': no target. */
  kind: 'min' | 'max' | 'info';
  unit: string;
}

const GOALS: Goal[] = [
  {
    goal: 'HTTP produce (binary, the client default) / raw pipeline, 1 MiB, x1',
    key: 'produceBinaryVsPipeline_1024_1',
    target: 0.8,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'HTTP produce (binary, the client default) / raw pipeline, 1 MiB, x8',
    key: 'produceBinaryVsPipeline_1024_8',
    target: 0.8,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'HTTP produce (JSON) / raw pipeline, 1 MiB, x1',
    key: 'produceVsPipeline_1024_1',
    target: 0.8,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'HTTP produce (JSON) / raw pipeline, 1 MiB, x8',
    key: 'produceVsPipeline_1024_8',
    target: 0.8,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'gateway produce (8 conns, 64 KiB) / raw PUT at the flush size (8 MiB x8)',
    key: 'kafkaVsFlushPut_65536_8',
    target: 0.7,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: '  the same against raw PUTs of the flushes it formed, x2 (the uploads it keeps in flight)',
    key: 'kafkaVsObservedFlushPut_65536_8',
    target: 0.7,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'HTTP consume (binary) / raw ranged GET (1 MiB x8)',
    key: 'consumeBinaryVsRawGet',
    target: 0.7,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'HTTP consume (JSON) / raw ranged GET (1 MiB x8)',
    key: 'consumeVsRangedGet',
    target: 0.7,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'hot partition: gateway / HTTP records/s',
    key: 'hotKafkaVsHttp',
    target: 5,
    kind: 'min',
    unit: 'x',
  },
  {
    goal: 'cost per GB ingested, gateway, 8 MiB flushes (per-flush counts of 64 KiB x8, at full flushes)',
    key: 'costPerGB_gateway_64KiB_fullFlushes',
    target: 0.005,
    kind: 'max',
    unit: '$/GB',
  },
  {
    goal: '  the same at the flushes that run formed (see kafkaS3PerMiB_65536_8)',
    key: 'costPerGB_gateway_64KiB',
    target: 0.005,
    kind: 'max',
    unit: '$/GB',
  },
  {
    goal: 'cost per GB ingested, HTTP 4 MiB requests (JSON)',
    key: 'costPerGB_http_4MiB',
    target: 0.008,
    kind: 'max',
    unit: '$/GB',
  },
  {
    goal: 'cost per GB ingested, HTTP 4 MiB requests (binary)',
    key: 'costPerGB_http_binary4MiB',
    target: 0.008,
    kind: 'max',
    unit: '$/GB',
  },
  {
    goal: 'modelled produce p99, gateway, S3 Standard',
    key: 'modelP99_gateway_s3Standard',
    target: 400,
    kind: 'max',
    unit: 'ms',
  },
  {
    goal: 'compaction by key (issue 14, no target): pass MB/s / its raw replay',
    key: 'compactionVsRaw',
    kind: 'info',
    unit: 'x',
  },
  {
    goal: '  storage left after compacting N keys x K updates (issue 14, no target)',
    key: 'compactionBytesLeft',
    kind: 'info',
    unit: '%',
  },
];

interface GoalRow {
  goal: string;
  key: string;
  target: string;
  unit: string;
  measured: number;
  /** null for a goal without a target. */
  met: boolean | null;
  bound: string;
}

function goalRows(results: Record<string, number>, bounds: Record<string, string>): GoalRow[] {
  return GOALS.map((g) => {
    const measuredValue = results[g.key] ?? Number.NaN;
    const target = g.target ?? Number.NaN;
    return {
      goal: g.goal,
      key: g.key,
      target: g.kind === 'info' ? 'none' : `${g.kind === 'min' ? '>=' : '<='} ${target}`,
      unit: g.unit,
      measured: measuredValue,
      met: g.kind === 'info' ? null : g.kind === 'min' ? measuredValue >= target : measuredValue <= target,
      bound: bounds[g.key] ?? '',
    };
  });
}

async function main() {
  const prices = loadPrices();
  const model = loadLatencyModel();
  // Memory and task sizes as deployed, so the cost follows lib/infra (a dynamic import: CDK is slow to load).
  const { FUNCTION_SIZING } = await import('../lib/infra/strata-cluster.js');
  const { GATEWAY_DEFAULTS } = await import('../lib/infra/kafka-gateway.js');
  const produceMemoryMiB = FUNCTION_SIZING.produce.memoryMiB;
  const fetchMemoryMiB = FUNCTION_SIZING.fetch.memoryMiB;

  const stack = await startLocalStack({ port: 0 });
  const { engine, url } = stack;
  const s3Requests = countRequests(engine.clients.s3, 's3');
  const ddbRequests = countRequests(engine.clients.dynamodb, 'dynamodb');
  const capacity = countCapacity(engine.clients.dynamodb);
  const resetCounters = () => {
    s3Requests.reset();
    ddbRequests.reset();
    capacity.reset();
  };
  const rows: Row[] = [];
  const results: Record<string, number> = {};
  const bounds: Record<string, string> = {};
  const record = (
    key: string,
    name: string,
    value: number,
    unit: string,
    opts: { bound?: string; note?: string; baseline?: string } = {},
  ) => {
    results[key] = value;
    if (opts.bound) bounds[key] = opts.bound;
    rows.push({ name, value, unit, ...opts });
  };
  const section = (title: string) => rows.push({ name: `-- ${title}`, value: Number.NaN, unit: '' });
  const S3RVER_WRITE = 's3rver: MD5 + disk write, in this process';
  const S3RVER_READ = 's3rver: disk read + HTTP, in this process';
  const DDB_TXN = 'DynamoDB Local txn latency (~5 ms per item, Java, same 2 cores)';

  /** What one measured run counted, for the cost model. */
  /** The counters now, as plain numbers. */
  const snapshot = (): Counts => ({
    s3: s3Requests.count,
    ddb: ddbRequests.count,
    puts: s3Requests.byCommand.PutObject ?? 0,
    gets: s3Requests.byCommand.GetObject ?? 0,
    txns: ddbRequests.byCommand.TransactWriteItems ?? 0,
    reads:
      (ddbRequests.byCommand.GetItem ?? 0) +
      (ddbRequests.byCommand.Query ?? 0) +
      (ddbRequests.byCommand.BatchGetItem ?? 0),
    wru: capacity.wru,
    rru: capacity.rru,
  });
  /** What one measured run counted (the counters now, unless given), for the cost model. */
  const counted = (mib: number, c: Counts = snapshot()): Counted => ({
    mib,
    s3Puts: c.puts,
    s3Gets: c.gets,
    wru: c.wru,
    rru: c.rru,
  });

  // --- compaction by key (issue 14): a forced pass over N keys x K updates, and its raw replay --
  const compactionSection = async () => {
    const { keys, updates, valueBytes, partitions } = COMPACTION;
    section(
      `compaction by key: ${keys} keys x ${updates} updates (${valueBytes} B values, tombstones mixed in), ${partitions} partitions, one forced pass, cold cache`,
    );
    const r = await benchKeyCompaction(engine, url, COMPACTION, {
      s3: s3Requests,
      ddb: ddbRequests,
      capacity,
    });
    const readMiB = r.before.bytes / MiB;
    const items = r.txns > 0 ? Math.round(r.txnItems / r.txns) : 0;
    record(
      'compactionRawGetMBs',
      'raw ranged GETs of the ranges the pass read, x1',
      readMiB / (r.rawGetMs / 1000),
      'MB/s',
      { bound: S3RVER_READ, note: `${r.before.entries} ranges` },
    );
    record(
      'compactionRawPutMBs',
      'raw PUTs of objects of the sizes the pass wrote, x1',
      r.bytesWritten / MiB / (r.rawPutMs / 1000),
      'MB/s',
      { bound: S3RVER_WRITE, note: `${r.puts} objects, ${(r.bytesWritten / MiB).toFixed(2)} MiB` },
    );
    record(
      'compactionRawTxns',
      `raw ${items}-item txns, as many as the pass's swaps, x1`,
      r.txns / (r.rawTxnMs / 1000),
      'txn/s',
      { bound: DDB_TXN },
    );
    // The replay's parts, largest first, name what bounds the pass.
    const rawMs = r.rawGetMs + r.rawPutMs + r.rawTxnMs;
    const parts = [
      { ms: r.rawTxnMs, what: `the ${r.txns} swap txns of ~${items} items (${DDB_TXN})` },
      { ms: r.rawGetMs, what: `the ${r.before.entries} ranged GETs` },
      { ms: r.rawPutMs, what: `the ${r.puts} PUTs` },
    ].sort((a, b) => b.ms - a.ms);
    const replayBound = `serial: ${parts.map((p) => `${((100 * p.ms) / rawMs).toFixed(0)} % ${p.what}`).join(', ')}`;
    record(
      'compactionRawMBs',
      'raw replay: those GETs, PUTs and txns in turn, per stored MiB read',
      readMiB / (rawMs / 1000),
      'MB/s',
      { bound: replayBound },
    );
    const passMBs = readMiB / (r.passMs / 1000);
    const passBound = `${replayBound}; plus decode and rewrite CPU, and the head and index reads`;
    record('compactionMBs', 'compaction pass, stored MiB read per second', passMBs, 'MB/s', {
      bound: passBound,
      baseline: 'compactionRawMBs',
      note: `${(r.passMs / 1000).toFixed(2)} s`,
    });
    record('compactionVsRaw', '  as a share of its raw replay', passMBs / (readMiB / (rawMs / 1000)), 'x', {
      bound: passBound,
    });
    record(
      'compactionVsRawStorage',
      "  as a share of the replay's GETs and PUTs alone",
      passMBs / (readMiB / ((r.rawGetMs + r.rawPutMs) / 1000)),
      'x',
      { bound: 'as compactionMBs; the swap transactions are not in this baseline' },
    );
    record('compactionS3Gets', '  S3 GETs of the pass', r.gets, 'GETs', {
      bound: 'one per index entry; the rewrite reads them again from the segment cache',
    });
    record('compactionS3Puts', '  S3 PUTs of the pass', r.puts, 'PUTs', {
      bound: 'one object per run of up to 30 entries',
    });
    record('compactionTxns', '  DynamoDB transactions of the pass', r.txns, 'txns', {
      bound: 'one conditional swap per run: a delete per old entry, the new entry, the segment records',
      note: `${r.txnItems} items`,
    });
    record('compactionDdbReads', '  DynamoDB reads of the pass (GetItem, Query)', r.ddbReads, 'requests', {
      bound: 'head, cleaned point and index Query per partition',
    });
    record('compactionBytesBefore', 'stored before the pass', readMiB, 'MiB', {
      bound: 'the data',
      note: `${r.before.entries} index entries, ${r.tombstones} tombstones produced`,
    });
    record('compactionRecordsBefore', '  records before', r.before.records, 'records', {
      bound: `${keys} keys x ${updates} updates`,
    });
    record('compactionBytesAfter', 'stored after the pass', r.after.bytes / MiB, 'MiB', {
      bound: 'the data',
      note: `${r.after.entries} index entries`,
    });
    record('compactionRecordsAfter', '  records after (about the keys)', r.after.records, 'records', {
      bound: `the latest record of each of the ${keys} keys, tombstones included`,
    });
    record('compactionBytesLeft', '  bytes left, of before', (100 * r.after.bytes) / r.before.bytes, '%', {
      bound: `1 record of ${updates} per key, plus the batch headers`,
    });
    record(
      'compactionRecordsAfterSecondPass',
      '  records after a second pass (tombstones past delete.retention.ms=0 dropped)',
      r.recordsAfterSecondPass,
      'records',
      { bound: 'a tombstone is dropped once a completed pass has cleaned past it' },
    );
    record(
      'compactionReadFromZero',
      '  read from offset 0 over HTTP after the pass',
      r.readFromZero,
      'records',
      {
        bound: 'the records left',
      },
    );
    record(
      'compactionWrongLatest',
      '  keys whose latest value read from 0 is wrong (goal 0)',
      r.wrongLatest,
      'keys',
      {
        bound: "Kafka's guarantee: a reader from 0 sees at least the last value of every key",
      },
    );
  };

  if (ONLY !== undefined) {
    if (!SECTIONS_ALONE.includes(ONLY)) {
      throw new Error(`STRATA_BENCH_ONLY=${ONLY}: sections that run alone: ${SECTIONS_ALONE.join(', ')}`);
    }
    try {
      await compactionSection();
    } finally {
      await stack.stop();
    }
    printTable(rows, results);
    printGoals(goalRows(results, bounds).filter((g) => g.key in results));
    console.log(`
STRATA_BENCH_ONLY=${ONLY}: bench/results/latest.json not written`);
    return;
  }

  const httpCost: Record<string, Counted> = {};
  const gatewayCost: Record<string, Counted> = {};
  let observedFlushBytes = 0;
  let httpReadCost: Counted | undefined;
  let gatewayReadCost: Counted | undefined;
  try {
    section('raw emulators');
    // --- raw S3: PUT MB/s at the segment sizes produce writes, and at the gateway's flush size --
    const putKeys: string[] = [];
    let flushKeys: string[] = [];
    for (const size of [64 * 1024, MiB, FLUSH_BYTES]) {
      for (const concurrency of [1, 8]) {
        const n = Math.max(size >= FLUSH_BYTES ? 4 : 8, Math.round(BYTES_PER_RUN / size / 2));
        const r = await rawPut(engine, size, concurrency, n);
        if (size === MiB) putKeys.push(...r.keys);
        if (size === FLUSH_BYTES) flushKeys = flushKeys.concat(r.keys);
        record(`rawPut_${size}_${concurrency}`, `raw S3 PUT ${kib(size)} x${concurrency}`, r.mbs, 'MB/s', {
          bound: S3RVER_WRITE,
        });
      }
    }

    // --- raw S3: GET MB/s of the 1 MiB objects just written, the baseline of consume -------
    {
      const { ms } = await measured(() =>
        pool(putKeys.length, 8, async (i) => {
          const res = await engine.clients.s3.send(
            new GetObjectCommand({ Bucket: engine.config.bucket, Key: putKeys[i] }),
          );
          await res.Body?.transformToByteArray();
        }),
      );
      record('rawGet_1048576_8', 'raw S3 GET 1 MiB x8', putKeys.length / (ms / 1000), 'MB/s', {
        bound: S3RVER_READ,
      });
    }
    // --- raw S3: ranged GETs of the size fetch reads (an index entry's batch), of 8 MiB objects --
    let rangedCpuMsPerMiB = 0;
    for (const concurrency of [1, 8]) {
      const count = Math.max(16, Math.round(BYTES_PER_RUN / FETCH_RANGE));
      const r = await rawRangedGet(engine, flushKeys, FLUSH_BYTES, FETCH_RANGE, concurrency, count);
      if (concurrency === 8) rangedCpuMsPerMiB = r.cpuMsPerMiB;
      record(
        `rawRangedGet_${FETCH_RANGE}_${concurrency}`,
        `raw S3 ranged GET ${kib(FETCH_RANGE)} of 8 MiB objects x${concurrency}`,
        r.mbs,
        'MB/s',
        { bound: S3RVER_READ },
      );
    }

    // --- raw DynamoDB: two-item conditional transactions/s (a head update + an index put) ---
    for (const concurrency of [1, 8]) {
      const n = 400;
      const heads = Array.from({ length: concurrency }, () => 0);
      const run = randomUUID();
      const { ms } = await measured(() =>
        pool(n, concurrency, async (_i, worker) => {
          const next = (heads[worker] as number) + 1;
          await engine.clients.doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: engine.config.metaTable,
                    Key: { pk: `bench#${run}#${worker}`, sk: 'head' },
                    UpdateExpression: 'SET nextOffset = :next',
                    ConditionExpression: 'attribute_not_exists(nextOffset) OR nextOffset = :prev',
                    ExpressionAttributeValues: { ':next': next, ':prev': next - 1 },
                  },
                },
                {
                  Put: {
                    TableName: engine.config.indexTable,
                    Item: {
                      pk: `bench#${run}#${worker}`,
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
      record(`rawTxn_${concurrency}`, `raw DynamoDB 2-item txn x${concurrency}`, n / (ms / 1000), 'txn/s', {
        bound: DDB_TXN,
      });
    }

    // --- produce through the HTTP API, 1 KiB records, interleaved with its raw pipeline --------
    // The raw pipeline does exactly what one produce request must do: one PUT of the request's
    // size, then one 4-item commit. Rounds of pipeline and HTTP alternate, so that load from
    // outside this process (the machine is shared) weighs on both alike.
    section('HTTP produce, 1 KiB records (JSON), each after its raw pipeline (PUT + 4-item commit)');
    const value = 'x'.repeat(RECORD_BYTES);
    for (const recordsPerRequest of [64, 1024, 4096]) {
      const requestBytes = recordsPerRequest * RECORD_BYTES;
      for (const concurrency of recordsPerRequest === 4096 ? [1] : [1, 8]) {
        const topic = `bench-${recordsPerRequest}-${concurrency}`;
        await post(url, '/v1/topics', { name: topic, partitions: 8 });
        const body = JSON.stringify({
          records: Array.from({ length: recordsPerRequest }, () => ({ value })),
        });
        const n = Math.max(recordsPerRequest === 4096 ? 4 : 8, Math.round(BYTES_PER_RUN / requestBytes));
        const rounds = Math.min(ROUNDS, Math.floor(n / concurrency)) || 1;
        const perRound = Math.ceil(n / rounds);
        const pipePerRound = Math.max(concurrency, Math.ceil(perRound / 2));
        const http = { requests: 0, ms: 0, cpuMs: 0, counts: emptyCounts() };
        const pipe = { requests: 0, ms: 0, cpuMs: 0 };
        let responseBytes = 0;
        for (let round = 0; round < rounds; round++) {
          const p = await rawPipeline(engine, requestBytes, concurrency, pipePerRound);
          pipe.requests += pipePerRound;
          pipe.ms += (pipePerRound / p.requestsPerSecond) * 1000;
          pipe.cpuMs += p.cpuMsPerRequest * pipePerRound;
          resetCounters();
          const r = await measured(() =>
            pool(perRound, concurrency, async () => {
              responseBytes = (await postText(url, `/v1/topics/${topic}/records`, body)).length;
            }),
          );
          http.requests += perRound;
          http.ms += r.ms;
          http.cpuMs += r.cpuMs;
          addCounts(http.counts, snapshot());
        }
        const pipelineKey = `rawPipeline_${requestBytes}_${concurrency}`;
        record(
          pipelineKey,
          `raw pipeline ${kib(requestBytes)} x${concurrency}`,
          (pipe.requests * requestBytes) / MiB / (pipe.ms / 1000),
          'MB/s',
          {
            bound: requestBytes >= MiB ? `${S3RVER_WRITE}, then the txn` : `${DDB_TXN}, then the PUT`,
            baseline: `rawPut_${Math.min(requestBytes, MiB)}_${concurrency}`,
          },
        );
        const { ms, cpuMs, counts } = http;
        const mib = (http.requests * requestBytes) / MiB;
        const key = `${recordsPerRequest}_${concurrency}`;
        const rawSize = requestBytes >= MiB ? MiB : 64 * 1024;
        const label = `produce ${kib(requestBytes)} requests x${concurrency}`;
        const bound =
          concurrency === 1
            ? 'serial: JSON parse + encode + CRC, then PUT, then the commit'
            : 'CPU: 2 cores for s3rver, DynamoDB Local, the server and the load generator';
        record(`produceMBs_${key}`, label, mib / (ms / 1000), 'MB/s', { bound, baseline: pipelineKey });
        record(
          `produceRecords_${key}`,
          label,
          (http.requests * recordsPerRequest) / (ms / 1000),
          'records/s',
          { bound },
        );
        if (recordsPerRequest !== 4096) {
          record(
            `produceRatio_${key}`,
            `  as a share of raw PUT at that size x${concurrency}`,
            (mib / (ms / 1000) / (results[`rawPut_${rawSize}_${concurrency}`] as number)) * 100,
            '%',
            { bound },
          );
        }
        record(
          `produceVsPipeline_${key}`,
          `  as a share of the raw pipeline at that size x${concurrency}`,
          mib / (ms / 1000) / (results[pipelineKey] as number),
          'x',
          { bound },
        );
        record(`s3PerMiB_${key}`, `  S3 requests per MiB produced`, counts.s3 / mib, 'req/MiB', {
          bound: 'one PUT per request',
        });
        record(`ddbPerMiB_${key}`, `  DynamoDB requests per MiB produced`, counts.ddb / mib, 'req/MiB', {
          bound: 'one commit per request (+ topic reads, cached 1 s)',
        });
        if (concurrency === 1) {
          // The handler's CPU: this process's CPU over the HTTP rounds, less the raw pipeline's per
          // request (the SDK calls and s3rver's work). It still holds the load generator.
          const handlerCpuMs = cpuMs / http.requests - pipe.cpuMs / pipe.requests;
          record(
            `produceHandlerCpuMs_${recordsPerRequest}`,
            `  handler CPU per request`,
            handlerCpuMs,
            'ms',
            {
              bound: 'process CPU over the loop minus the raw pipeline CPU (includes the load generator)',
            },
          );
          const ioWaitMs =
            putLatency(model, 's3Standard', requestBytes).p50Ms +
            (counts.txns / http.requests) * model.dynamodbTransaction.p50Ms +
            (counts.reads / http.requests) * model.dynamodbRead.p50Ms;
          httpCost[kib(requestBytes).replace(' ', '')] = {
            ...counted(mib, counts),
            lambdaRequests: http.requests,
            httpApiUnits:
              http.requests * httpApiUnits(Math.max(Buffer.byteLength(body), responseBytes), prices),
            lambdaSeconds: http.requests * lambdaSeconds(handlerCpuMs, ioWaitMs, produceMemoryMiB, prices),
            lambdaMemoryMiB: produceMemoryMiB,
          };
        }
      }
    }

    // --- produce over the binary data path (the client's default), interleaved likewise ------
    section('HTTP produce, RecordBatch v2 bytes per partition (binary), each after its raw pipeline');
    for (const recordsPerRequest of [1024, 4096]) {
      const requestBytes = recordsPerRequest * RECORD_BYTES;
      for (const concurrency of recordsPerRequest === 4096 ? [1] : [1, 8]) {
        const topic = `bench-bin-${recordsPerRequest}-${concurrency}`;
        // One batch per request, a little over its records' bytes: the topic takes batches that big.
        await post(url, '/v1/topics', {
          name: topic,
          partitions: 8,
          config: { 'max.message.bytes': String(Math.min(5 * MiB, 2 * requestBytes)) },
        });
        const batch = encodedBatch(requestBytes, RECORD_BYTES);
        const n = Math.max(recordsPerRequest === 4096 ? 4 : 8, Math.round(BYTES_PER_RUN / requestBytes));
        const rounds = Math.min(ROUNDS, Math.floor(n / concurrency)) || 1;
        const perRound = Math.ceil(n / rounds);
        const bin = { requests: 0, ms: 0, cpuMs: 0, counts: emptyCounts() };
        const pipe = { requests: 0, ms: 0, cpuMs: 0 };
        for (let round = 0; round < rounds; round++) {
          const p = await rawPipeline(engine, requestBytes, concurrency, perRound);
          pipe.requests += perRound;
          pipe.ms += (perRound / p.requestsPerSecond) * 1000;
          pipe.cpuMs += p.cpuMsPerRequest * perRound;
          resetCounters();
          const r = await binaryProduceRound(url, topic, 8, batch, concurrency, perRound);
          bin.requests += r.requests;
          bin.ms += r.ms;
          bin.cpuMs += r.cpuMs;
          addCounts(bin.counts, snapshot());
        }
        const key = `${recordsPerRequest}_${concurrency}`;
        const pipelineMBs = (pipe.requests * requestBytes) / MiB / (pipe.ms / 1000);
        record(
          `rawPipelineBin_${key}`,
          `raw pipeline ${kib(requestBytes)} x${concurrency}`,
          pipelineMBs,
          'MB/s',
          {
            bound: `${S3RVER_WRITE}, then the txn`,
          },
        );
        const mib = (bin.requests * batch.length) / MiB;
        const mbs = mib / (bin.ms / 1000);
        const bound =
          concurrency === 1
            ? 'serial: CRC check of the batch, then PUT, then the commit'
            : 'CPU: 2 cores for s3rver, DynamoDB Local, the server and the load generator';
        record(
          `produceBinaryMBs_${key}`,
          `binary produce ${kib(requestBytes)} requests x${concurrency}`,
          mbs,
          'MB/s',
          { bound, baseline: `rawPipelineBin_${key}` },
        );
        record(
          `produceBinaryVsPipeline_${key}`,
          `  as a share of the raw pipeline at that size x${concurrency}`,
          mbs / pipelineMBs,
          'x',
          { bound },
        );
        record(
          `produceBinaryVsJson_${key}`,
          '  as a share of JSON produce at that size',
          mbs / (results[`produceMBs_${key}`] as number),
          'x',
          { bound: 'JSON parse and batch encoding that the binary path leaves to the client' },
        );
        if (concurrency === 1) {
          const handlerCpuMs = bin.cpuMs / bin.requests - pipe.cpuMs / pipe.requests;
          record(
            `produceBinaryHandlerCpuMs_${recordsPerRequest}`,
            '  handler CPU per request',
            handlerCpuMs,
            'ms',
            {
              bound: 'process CPU over the loop minus the raw pipeline CPU (includes the load generator)',
            },
          );
          const ioWaitMs =
            putLatency(model, 's3Standard', requestBytes).p50Ms +
            (bin.counts.txns / bin.requests) * model.dynamodbTransaction.p50Ms +
            (bin.counts.reads / bin.requests) * model.dynamodbRead.p50Ms;
          httpCost[`binary${kib(requestBytes).replace(' ', '')}`] = {
            ...counted(mib, bin.counts),
            lambdaRequests: bin.requests,
            httpApiUnits: bin.requests * httpApiUnits(batch.length, prices),
            lambdaSeconds: bin.requests * lambdaSeconds(handlerCpuMs, ioWaitMs, produceMemoryMiB, prices),
            lambdaMemoryMiB: produceMemoryMiB,
          };
        }
      }
    }

    // --- consume: read one produced topic back from the start, cold then warm cache ---------
    section('HTTP consume (fetch from the start, 8 partitions in parallel)');
    for (const pass of ['cold', 'warm'] as const) {
      const topic = 'bench-1024-8';
      if (pass === 'cold') engine.segments.cache.clear();
      let bytes = 0;
      let fetches = 0;
      let responseUnits = 0;
      resetCounters();
      const { ms, cpuMs } = await measured(async () => {
        await pool(8, 8, async (partition) => {
          let offset = 0;
          for (;;) {
            const text = await getText(
              url,
              `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxBytes=${4 * MiB}&maxRecords=10000`,
            );
            fetches++;
            responseUnits += httpApiUnits(Buffer.byteLength(text), prices);
            const res = JSON.parse(text);
            for (const r of res.records) bytes += (r.value as string).length;
            if (res.nextOffset === res.highWatermark) break;
            offset = Number(res.nextOffset);
          }
        });
      });
      const mib = bytes / MiB;
      const gets = s3Requests.byCommand.GetObject ?? 0;
      if (pass === 'cold') {
        record('consumeMBs', 'consume, cold cache', mib / (ms / 1000), 'MB/s', {
          bound: 'JSON encode of the records + ranged GETs (8 per fetch), CPU-shared',
          baseline: `rawRangedGet_${FETCH_RANGE}_8`,
        });
        record('consumeS3PerMiB', '  S3 GETs per MiB consumed', s3Requests.count / mib, 'req/MiB', {
          bound: 'one ranged GET per 1 MiB batch',
        });
        record(
          'consumeDdbPerMiB',
          '  DynamoDB requests per MiB consumed',
          ddbRequests.count / mib,
          'req/MiB',
          {
            bound: 'head read + index Query per fetch',
          },
        );
        record(
          'consumeRatio',
          '  as a share of raw GET 1 MiB x8',
          (mib / (ms / 1000) / (results.rawGet_1048576_8 as number)) * 100,
          '%',
          { bound: 'as consumeMBs' },
        );
        record(
          'consumeVsRangedGet',
          `  as a share of raw ranged GET ${kib(FETCH_RANGE)} x8`,
          mib / (ms / 1000) / (results[`rawRangedGet_${FETCH_RANGE}_8`] as number),
          'x',
          { bound: 'as consumeMBs' },
        );
        record('consumeColdS3Gets', '  S3 GETs of the cold read', gets, 'GETs', { bound: 'one per batch' });
        // The fetch handler's CPU: this process's CPU less raw ranged GETs of the same bytes.
        const handlerCpuMs = (cpuMs - rangedCpuMsPerMiB * mib) / fetches;
        const reads = ((ddbRequests.byCommand.GetItem ?? 0) + (ddbRequests.byCommand.Query ?? 0)) / fetches;
        const ioWaitMs =
          Math.ceil(gets / fetches / 8) * model.s3Standard.getUpTo1MiB.p50Ms +
          reads * model.dynamodbRead.p50Ms;
        httpReadCost = {
          ...counted(mib),
          lambdaRequests: fetches,
          httpApiUnits: responseUnits,
          lambdaSeconds: fetches * lambdaSeconds(handlerCpuMs, ioWaitMs, fetchMemoryMiB, prices),
          lambdaMemoryMiB: fetchMemoryMiB,
        };
      } else {
        record('consumeWarmMBs', 'consume again, warm segment cache', mib / (ms / 1000), 'MB/s', {
          bound: 'JSON encode + DynamoDB head/index reads (no S3)',
          baseline: 'consumeMBs',
        });
        record('consumeWarmS3Gets', '  S3 GETs of the warm read (goal 0)', gets, 'GETs', {
          bound: `the segment cache (${engine.config.segmentCacheBytes / MiB} MiB) holds the topic`,
        });
        record(
          'consumeWarmVsCold',
          '  warm / cold',
          mib / (ms / 1000) / (results.consumeMBs as number),
          'x',
          {
            bound: 'as consumeWarmMBs',
          },
        );
      }
    }

    // --- the Kafka gateway (issue 9): pre-encoded Produce frames, then Fetch from the start ---
    section('HTTP consume over the binary data path (RecordBatch bytes, 8 partitions in parallel)');
    {
      engine.segments.cache.clear();
      resetCounters();
      const r = await binaryConsume(url, 'bench-bin-1024-8', 8);
      const mbs = r.mib / (r.ms / 1000);
      record('consumeBinaryMBs', 'binary consume, cold cache', mbs, 'MB/s', {
        bound: 'ranged GETs (8 per fetch) + the head and index reads; the bytes are served as stored',
        baseline: `rawRangedGet_${FETCH_RANGE}_8`,
      });
      record(
        'consumeBinaryVsRawGet',
        '  as a share of raw ranged GET 1 MiB x8',
        mbs / (results[`rawRangedGet_${FETCH_RANGE}_8`] as number),
        'x',
        { bound: 'a fetch waits for its head read and index Query before its GETs' },
      );
      record(
        'consumeBinaryVsJson',
        '  as a share of JSON consume',
        mbs / (results.consumeMBs as number),
        'x',
        {
          bound: 'JSON encoding of every record, which the binary path does not do',
        },
      );
    }

    section('Kafka gateway, pre-encoded Produce frames');
    const gateway = stack.kafka;
    if (!gateway) throw new Error('the local stack serves no Kafka port');
    let kafkaTopic = '';
    for (const requestBytes of [64 * 1024, MiB]) {
      for (const connections of [1, 8]) {
        const r = await benchGatewayProduce(
          engine,
          gateway.bootstrap,
          {
            requestBytes,
            connections,
            // Enough requests for many flushes, each connection keeping 16 in flight.
            totalBytes: requestBytes < MiB ? 4 * BYTES_PER_RUN : BYTES_PER_RUN,
            recordBytes: RECORD_BYTES,
            inFlight: GATEWAY_IN_FLIGHT,
          },
          { s3: s3Requests, ddb: ddbRequests, extra: [capacity] },
        );
        if (requestBytes === MiB && connections === 8) kafkaTopic = r.topic;
        if (connections === 8) gatewayCost[kib(requestBytes).replace(' ', '')] = counted(r.mib);
        // The flushes this load formed: S3 requests during the run are the flushes' PUTs.
        if (connections === 8 && requestBytes === 64 * 1024) observedFlushBytes = MiB / r.s3PerMiB;
        const key = `${requestBytes}_${connections}`;
        const raw = results[`rawPut_${requestBytes}_${connections}`] as number;
        const http = results[`produceMBs_${requestBytes >= MiB ? 1024 : 64}_${connections}`] as number;
        const bound =
          'one flush at a time uploads while the one before commits: PUT of the flush + one commit per topic; CPU shared with s3rver and the load generator';
        record(
          `kafkaProduceMBs_${key}`,
          `Kafka produce ${kib(requestBytes)} requests x${connections} conns, ${GATEWAY_IN_FLIGHT} in flight each`,
          r.produceMBs,
          'MB/s',
          { bound, baseline: `rawPipeline_${requestBytes}_${connections}` },
        );
        record(
          `kafkaProduceRatio_${key}`,
          `  as a share of raw PUT at that size x${connections}`,
          (r.produceMBs / raw) * 100,
          '%',
          { bound },
        );
        record(
          `kafkaProduceVsHttp_${key}`,
          `  as a share of HTTP produce at that size x${connections}`,
          (r.produceMBs / http) * 100,
          '%',
          { bound },
        );
        if (connections === 8) {
          record(
            `kafkaVsFlushPut_${key}`,
            `  as a share of raw PUT at the flush size (8 MiB x8)`,
            r.produceMBs / (results[`rawPut_${FLUSH_BYTES}_8`] as number),
            'x',
            { bound },
          );
          // The flush pipeline's own limit: PUTs of the flushes this load formed, as many at
          // once as the gateway uploads (2), measured right after it.
          const flushSize = Math.round(MiB / r.s3PerMiB);
          const uploads = await rawPut(engine, flushSize, 2, Math.max(8, Math.round((8 * MiB) / flushSize)));
          record(
            `rawPutObservedFlush_${key}`,
            `  raw S3 PUT of its ${(flushSize / MiB).toFixed(2)} MiB flushes x2 (the gateway's uploads in flight)`,
            uploads.mbs,
            'MB/s',
            { bound: S3RVER_WRITE },
          );
          record(
            `kafkaVsObservedFlushPut_${key}`,
            '  as a share of that raw PUT',
            r.produceMBs / uploads.mbs,
            'x',
            { bound: `${bound}; the commit of each flush waits for the one before` },
          );
        }
        record(`kafkaS3PerMiB_${key}`, '  S3 requests per MiB produced', r.s3PerMiB, 'req/MiB', {
          bound: 'one PUT per flush: what arrived within the linger, up to 8 MiB',
        });
        record(`kafkaDdbPerMiB_${key}`, '  DynamoDB requests per MiB produced', r.ddbPerMiB, 'req/MiB', {
          bound: 'one commit per request',
        });
      }
    }
    {
      engine.segments.cache.clear();
      const r = await benchGatewayConsume(gateway.bootstrap, kafkaTopic, {
        s3: s3Requests,
        ddb: ddbRequests,
        extra: [capacity],
      });
      gatewayReadCost = counted(r.mib);
      const bound = 'ranged GETs + head/index reads; no JSON (batches served as stored)';
      record(
        'kafkaConsumeMBs',
        'Kafka consume (Fetch from the start, 8 partitions, 8 conns)',
        r.consumeMBs,
        'MB/s',
        {
          bound,
          baseline: `rawRangedGet_${FETCH_RANGE}_8`,
        },
      );
      record(
        'kafkaConsumeRatio',
        '  as a share of raw GET 1 MiB x8',
        (r.consumeMBs / (results.rawGet_1048576_8 as number)) * 100,
        '%',
        { bound },
      );
      record(
        'kafkaConsumeVsHttp',
        '  as a share of HTTP consume',
        (r.consumeMBs / (results.consumeMBs as number)) * 100,
        '%',
        { bound },
      );
      record('kafkaConsumeS3PerMiB', '  S3 GETs per MiB consumed', r.s3PerMiB, 'req/MiB', {
        bound: 'one per batch',
      });
      record('kafkaConsumeDdbPerMiB', '  DynamoDB requests per MiB consumed', r.ddbPerMiB, 'req/MiB', {
        bound: 'head read + index Query per fetch',
      });
    }

    // --- the hot partition: 8 producers, one partition, 4 KiB requests ----------------------
    section(`hot partition: 8 producers on ONE partition, 4 KiB requests, ${HOT_SECONDS} s each`);
    {
      const records = 4;
      const raw = await rawHotCommits(engine, 8, records, HOT_SECONDS);
      const HOT_BOUND = 'the conditional head update: one commit at a time on one item';
      record(
        'rawHotTxn_8',
        'raw 4-item commits on one head, 8 writers (retry on a lost race)',
        raw.commitsPerSecond,
        'txn/s',
        {
          bound: HOT_BOUND,
        },
      );
      record(
        'rawHotRecords_8',
        '  records/s at 4 records per commit',
        raw.commitsPerSecond * records,
        'records/s',
        {
          bound: HOT_BOUND,
        },
      );
      record('rawHotAttempts_8', '  attempts per commit', raw.attemptsPerCommit, 'attempts', {
        bound: HOT_BOUND,
      });
      const http = await hotHttp(url, 'bench-hot-http', {
        producers: 8,
        records,
        recordBytes: RECORD_BYTES,
        seconds: HOT_SECONDS,
      });
      record('hotHttpCommits', 'HTTP hot partition, commits/s', http.commitsPerSecond, 'commits/s', {
        bound: `${HOT_BOUND}; a request per commit`,
        baseline: 'rawHotTxn_8',
      });
      record('hotHttpRecords', '  records/s', http.recordsPerSecond, 'records/s', {
        bound: `${HOT_BOUND}; a request per commit`,
        baseline: 'rawHotRecords_8',
      });
      record('hotHttpFailed', '  requests refused after 64 commit attempts (503)', http.failed, 'requests', {
        bound: HOT_BOUND,
      });
      const kafka = await hotGateway(engine, gateway.bootstrap, 'bench-hot-kafka', {
        connections: 8,
        records,
        recordBytes: RECORD_BYTES,
        seconds: HOT_SECONDS,
      });
      record(
        'hotKafkaCommits',
        'Kafka hot partition, acknowledged requests/s',
        kafka.commitsPerSecond,
        'req/s',
        {
          bound: `${HOT_BOUND}; the 8 connections' requests share a flush: one PUT and one commit`,
          baseline: 'rawHotTxn_8',
        },
      );
      record('hotKafkaRecords', '  records/s', kafka.recordsPerSecond, 'records/s', {
        bound: `${HOT_BOUND}; the 8 connections' requests share a flush: one PUT and one commit`,
        baseline: 'rawHotRecords_8',
      });
      record('hotKafkaFailed', '  requests answered with an error', kafka.failed, 'requests', {
        bound: HOT_BOUND,
      });
      record(
        'hotKafkaVsHttp',
        'hot partition: gateway / HTTP records/s',
        kafka.recordsPerSecond / http.recordsPerSecond,
        'x',
        {
          bound:
            'gateway flushes: 8 requests in one commit on the one head, against one commit per request over HTTP',
        },
      );
    }

    // --- a real Kafka client end to end: kafkajs producing and consuming 1 KiB messages -------
    section('kafkajs 2.2.4 through the gateway, 1 KiB messages');
    {
      const r = await benchKafkajs(engine, gateway.bootstrap, {
        totalBytes: BYTES_PER_RUN,
        messageBytes: RECORD_BYTES,
        perSend: 1024,
        inFlight: 4,
        partitions: 8,
      });
      record(
        'kafkajsProducerMBs',
        'kafkajs producer, send() of 1,024 messages, 4 in flight',
        r.producerMBs,
        'MB/s',
        {
          bound: 'one PUT + one 8-partition commit per send; kafkajs encoding in this process',
          baseline: 'kafkaProduceMBs_1048576_1',
        },
      );
      record('kafkajsConsumerMBs', 'kafkajs group consumer from the beginning', r.consumerMBs, 'MB/s', {
        bound: 'kafkajs Fetch (1 MiB per partition) + decode in this process',
        baseline: 'kafkaConsumeMBs',
      });
      record('kafkajsConsumerJoinMs', '  its group join (not in the MB/s)', r.consumerJoinMs, 'ms', {
        bound: 'group.initial.rebalance.delay.ms (3 s)',
      });
    }

    // --- the client (issue 3) --------------------------------------------------------------------
    section('Strata client (HTTP)');
    const client = await clientBenches(url, BYTES_PER_RUN);
    const CLIENT_BOUND = 'maxInFlightRequests 5, JSON built in this process';
    record(
      'clientProducerMBs',
      'client producer, default settings, 1 KiB records',
      client.producerMBs,
      'MB/s',
      {
        bound: CLIENT_BOUND,
        baseline: 'produceMBs_1024_8',
      },
    );
    record(
      'clientProducerRatio',
      '  as a share of raw HTTP produce at 1 MiB requests x8',
      (client.producerMBs / (results.produceMBs_1024_8 as number)) * 100,
      '%',
      { bound: CLIENT_BOUND },
    );
    record('clientPlainProducerMBs', 'client producer, idempotent: false', client.plainProducerMBs, 'MB/s', {
      bound: CLIENT_BOUND,
      baseline: 'produceMBs_1024_8',
    });
    record(
      'clientPlainProducerRatio',
      '  as a share of raw HTTP produce at 1 MiB requests x8',
      (client.plainProducerMBs / (results.produceMBs_1024_8 as number)) * 100,
      '%',
      { bound: CLIENT_BOUND },
    );
    const E2E_BOUND = 'produce latency + the consumer poll';
    record(
      'e2eP50Ms',
      'end-to-end send -> eachMessage, group of 3 on 6 partitions, p50',
      client.e2eP50Ms,
      'ms',
      {
        bound: E2E_BOUND,
      },
    );
    record(
      'e2eP99Ms',
      'end-to-end send -> eachMessage, group of 3 on 6 partitions, p99',
      client.e2eP99Ms,
      'ms',
      {
        bound: E2E_BOUND,
      },
    );
    record('rebalanceMs', 'rebalance of a group of 3 after one member leaves', client.rebalanceMs, 'ms', {
      bound: "the survivors' next heartbeat",
    });

    await compactionSection();
  } finally {
    await stack.stop();
  }

  // --- cost per GB from the counted requests (bench/prices.json) -------------------------------
  section(`cost per GiB of 1 KiB records, from this run's counted requests (prices ${prices.taken})`);
  const costInputs: Record<string, Record<string, number>> = {};
  for (const [size, c] of Object.entries(httpCost)) {
    costInputs[`costPerGB_http_${size}`] = countsPerGiB(c);
    const cost = costPerGB(c, prices);
    record(`costPerGB_http_${size}`, `ingest, HTTP ${size} requests`, cost.total, '$/GB', {
      bound: 'per-request charges: S3 PUT, 4-item commit (8 WRU), HTTP API 512 KB steps, Lambda',
      note: describeCost(cost, c),
    });
  }
  for (const [size, c] of Object.entries(gatewayCost)) {
    costInputs[`costPerGB_gateway_${size}`] = countsPerGiB(c);
    const cost = costPerGB(c, prices);
    record(`costPerGB_gateway_${size}`, `ingest, gateway ${size} requests x8`, cost.total, '$/GB', {
      bound:
        'S3 PUT + commit per flush (per topic), whose items (heads, index entries) grow with the partitions it holds',
      note: describeCost(cost, c),
    });
  }
  // The same requests per flush, at full flushes: how much a GiB costs once the gateway's flushes
  // reach flush.bytes (more in flight than the bench's 8 x 16 requests of 64 KiB).
  const measured64 = gatewayCost['64KiB'];
  if (measured64 && measured64.s3Puts > 0) {
    const scale = measured64.mib / measured64.s3Puts / (FLUSH_BYTES / MiB);
    const full: Counted = {
      mib: measured64.mib,
      s3Puts: measured64.s3Puts * scale,
      s3Gets: measured64.s3Gets * scale,
      wru: measured64.wru * scale,
      rru: measured64.rru * scale,
    };
    costInputs.costPerGB_gateway_64KiB_fullFlushes = countsPerGiB(full);
    const cost = costPerGB(full, prices);
    record(
      'costPerGB_gateway_64KiB_fullFlushes',
      `ingest, gateway 64 KiB requests x8, at full ${kib(FLUSH_BYTES)} flushes`,
      cost.total,
      '$/GB',
      {
        bound:
          'the measured requests per flush (1 PUT, one 8-partition commit), at GiB / flush.bytes flushes',
        note: describeCost(cost, full),
      },
    );
  }
  if (httpReadCost) {
    const c = httpReadCost;
    costInputs.costPerGBRead_http = countsPerGiB(c);
    const cost = costPerGB(c, prices);
    record('costPerGBRead_http', 'read, HTTP, per consumer (cold cache)', cost.total, '$/GB', {
      bound: 'HTTP API steps of the 4 MiB responses + Lambda duration',
      note: describeCost(cost, c),
    });
  }
  if (gatewayReadCost) {
    const c = gatewayReadCost;
    costInputs.costPerGBRead_gateway = countsPerGiB(c);
    const cost = costPerGB(c, prices);
    record('costPerGBRead_gateway', 'read, gateway, per consumer (cold cache)', cost.total, '$/GB', {
      bound: 'S3 GET per batch + head/index reads',
      note: describeCost(cost, c),
    });
  }
  record(
    'fargateMonthly_gateway',
    `gateway task all month (${GATEWAY_DEFAULTS.cpu / 1024} vCPU, ${GATEWAY_DEFAULTS.memoryMiB / 1024} GB), fixed`,
    fargateMonthly(GATEWAY_DEFAULTS.cpu, GATEWAY_DEFAULTS.memoryMiB, prices),
    '$/month',
    { bound: 'Fargate bills per hour, not per GB (NLB and IPv4 not included)' },
  );

  // --- modelled AWS produce latency (bench/latency-model.json) ---------------------------------
  section('modelled AWS produce latency: linger + S3 PUT + one transaction');
  const { produceLingerMs: lingerMs, produceFlushBytes: flushBytes } = DEFAULT_GATEWAY_CONFIG;
  for (const storage of ['s3Standard', 's3ExpressOneZone'] as const) {
    for (const [path, objectBytes, linger] of [
      ['http', MiB, 0],
      ['http4MiB', 4 * MiB, 0],
      ['gateway', flushBytes, lingerMs],
      ['gatewayObserved', Math.round(observedFlushBytes), lingerMs],
    ] as const) {
      if (objectBytes === 0) continue;
      const l = produceLatency(model, storage, objectBytes, linger);
      const what = `${
        path === 'gateway'
          ? `gateway (linger ${linger} ms, full ${kib(objectBytes)} flushes)`
          : path === 'gatewayObserved'
            ? `gateway (linger ${linger} ms, the ${(objectBytes / MiB).toFixed(2)} MiB flushes of 8 conns x 64 KiB)`
            : `HTTP ${kib(objectBytes)} request`
      }, ${storage}`;
      const bound = `${storage} PUT of ${kib(objectBytes)}${linger ? ' + linger' : ''}`;
      record(`modelP50_${path}_${storage}`, `p50 ${what}`, l.p50Ms, 'ms', { bound });
      record(`modelP99_${path}_${storage}`, `p99 ${what}`, l.p99Ms, 'ms', { bound });
    }
  }

  // --- Lambda bundles (issue 4): size and import time in a fresh node process ----------------
  section('Lambda bundles');
  for (const b of await measureBundles()) {
    record(`bundleBytes_${b.function}`, `bundle ${b.function}`, b.bytes / 1024, 'KiB', {
      bound: 'the AWS SDK clients and the contract schemas',
    });
    record(
      `bundleImportMs_${b.function}`,
      `  cold import of the ${b.function} bundle`,
      b.coldImportMs,
      'ms',
      {
        bound: 'loading the AWS SDK',
      },
    );
  }

  // --- decompression of client batches (issue 9), per codec, CPU only ---------------------------
  section('decompression of client batches, CPU only');
  {
    const { copyMBs, figures } = benchDecompression();
    record('decompressCopyMBs', 'copy of a decompressed batch (the baseline)', copyMBs, 'MB/s', {
      bound: 'memory bandwidth',
    });
    const gzip = figures.find((f) => f.codec === 'gzip')?.mbs as number;
    for (const f of figures) {
      const key = f.codec.replace(/\W+/g, '_').replace(/_$/, '');
      const bound = `the ${f.codec} implementation (one core)`;
      record(`decompressMBs_${key}`, `decompress ${f.codec} (kcat's batch of 72 KiB)`, f.mbs, 'MB/s', {
        bound,
        baseline: 'decompressCopyMBs',
      });
      record(`decompressVsCopy_${key}`, '  as a share of the copy', (f.mbs / copyMBs) * 100, '%', { bound });
      record(`decompressVsGzip_${key}`, '  as a share of gzip', (f.mbs / gzip) * 100, '%', { bound });
      record(`compressedSize_${key}`, '  compressed size, of the decompressed size', f.sizeRatio, '%', {
        bound: 'the data',
      });
      if (f.compressMBs !== undefined) {
        record(`compressMBs_${key}`, `  compress ${f.codec} (HTTP produce)`, f.compressMBs, 'MB/s', {
          bound,
        });
        record(
          `compressSize_${key}`,
          '  our compressed size, of the decompressed size',
          f.compressSizeRatio as number,
          '%',
          { bound: 'the data' },
        );
      }
    }
  }

  printTable(rows, results);
  const goals = goalRows(results, bounds);
  printGoals(goals);
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/latest.json',
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        bytesPerRun: BYTES_PER_RUN,
        results,
        goals,
        bounds,
        costInputs,
        prices: { taken: prices.taken, source: prices.source },
      },
      null,
      2,
    )}\n`,
  );
  console.log('\nwritten to bench/results/latest.json');
}

function kib(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`;
}

async function postText(url: string, path: string, body: unknown): Promise<string> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

async function post(url: string, path: string, body: unknown) {
  const text = await postText(url, path, body);
  return text ? JSON.parse(text) : undefined;
}

async function getText(url: string, path: string): Promise<string> {
  const res = await fetch(url + path);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

function format(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === '$/GB') return value.toFixed(4);
  if (value !== 0 && Math.abs(value) < 0.01) return value.toPrecision(2);
  return value.toFixed(Math.abs(value) >= 100 ? 0 : 2);
}

function printTable(rows: Row[], results: Record<string, number>) {
  const width = Math.max(...rows.filter((r) => !Number.isNaN(r.value)).map((r) => r.name.length));
  console.log(
    `\n${'measure'.padEnd(width)}  ${'value'.padStart(10)}  ${'unit'.padEnd(9)}  ${'vs base'.padStart(7)}  bound`,
  );
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(10)}  ${'-'.repeat(9)}  ${'-'.repeat(7)}  -----`);
  for (const r of rows) {
    if (Number.isNaN(r.value) && r.name.startsWith('--')) {
      console.log(r.name);
      continue;
    }
    const base = r.baseline ? results[r.baseline] : undefined;
    const ratio = base ? `${(r.value / base).toFixed(2)}x` : '';
    console.log(
      `${r.name.padEnd(width)}  ${format(r.value, r.unit).padStart(10)}  ${r.unit.padEnd(9)}  ${ratio.padStart(7)}  ${r.bound ?? ''}${r.note ? ` [${r.note}]` : ''}`,
    );
  }
  console.log(
    '\n"vs base": the value as a share of its raw baseline in this run (bench/results/latest.json names it).',
  );
}

function printGoals(goals: GoalRow[]) {
  const width = Math.max(...goals.map((g) => g.goal.length));
  console.log(
    `\n${'goal'.padEnd(width)}  ${'target'.padStart(10)}  ${'measured'.padStart(10)}  result  bound`,
  );
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(10)}  ${'-'.repeat(10)}  ------  -----`);
  for (const g of goals) {
    console.log(
      `${g.goal.padEnd(width)}  ${`${g.target} ${g.unit === 'x' ? '' : g.unit}`.trim().padStart(10)}  ${format(g.measured, g.unit).padStart(10)}  ${(g.met === null ? 'info' : g.met ? 'met' : 'MISSED').padEnd(6)}  ${g.bound}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
