/**
 * `npx tsx bench/lambda-memory.ts`: the Lambda memory of the produce and fetch functions, from
 * measured CPU time instead of a guess (issue 12; docs/decisions.md "Issue 12: Lambda memory from
 * measured CPU").
 *
 * It runs the very handlers the functions run (functions/produce.ts and fetch.ts, the factories)
 * in this process against DynamoDB Local (Java, its own process) and s3rver (started in a child
 * process, so that its CPU is not counted), and measures this process's CPU time
 * (process.cpuUsage: user + system, every thread) per MiB produced and fetched, with 1 MiB and
 * 4 MiB requests. Each measured request also pays what the Lambda runtime does around the handler:
 * JSON-decoding the event (the body inside it) and JSON-encoding the result.
 *
 * Lambda gives CPU in proportion to memory (1,769 MB = one vCPU) and bills GB-seconds, so for the
 * CPU part of a request every size up to 1,769 MB costs the same and the smaller one is slower;
 * only the time spent waiting on S3 and DynamoDB costs more at a larger size. The cheapest size is
 * therefore the smallest one at which a 4 MiB request's CPU time fits the latency target (and the
 * working set fits). The script prints that size per function; the construct's FUNCTION_SIZING
 * holds the chosen ones, with these figures in a comment. Nothing reads this at runtime.
 *
 * Honest limits: this machine's CPU is not Lambda's (Graviton arm64; an x86 laptop or CI runner
 * differs by tens of percent either way), the local emulators speak plain HTTP where AWS is TLS
 * (which adds CPU at Lambda), and the I/O wait per request is an assumption (below), not measured.
 *
 * Environment: LAMBDA_TARGET_MS (CPU budget of a 4 MiB request, default 250), LAMBDA_CPU_FACTOR
 * (Lambda's CPU time per unit of this machine's, default 1.5), LAMBDA_BENCH_MIB
 * (MiB produced and fetched per measurement, default 32), LAMBDA_BENCH_JSON (write the results to
 * this file, e.g. bench/lambda-memory.json).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFetchHandler } from '../functions/fetch.js';
import { createProduceHandler } from '../functions/produce.js';
import { createTopicsHandler } from '../functions/topics.js';
import { DEFAULT_CONFIG, type EngineConfig } from '../lib/engine/config.js';
import { createEngine, type Engine } from '../lib/engine/engine.js';
import type { HttpEvent, HttpHandler, HttpResult } from '../lib/engine/http/api.js';
import { createAwsClients } from '../lib/engine/storage/aws-clients.js';
import { ensureStorage } from '../lib/engine/storage/provision.js';
import { startDynamoDbLocal, startS3rver } from '../local/stack.js';

const MiB = 1024 * 1024;
/** Lambda: one vCPU at 1,769 MB; CPU share is proportional below that. */
const VCPU_MB = 1769;
/** arm64, USD per GB-second and per request (docs: /work/shared/reference, Lambda price). */
const GB_SECOND_USD = 0.0000133;
const REQUEST_USD = 0.2 / 1e6;
/** Lambda sizes step by 1 MB; we keep to multiples of 128 MB, so that a few percent of noise rarely moves the choice. */
const SIZE_STEP_MB = 128;
/**
 * The CPU time a 4 MiB request may take at the chosen size (LAMBDA_TARGET_MS). 250 ms: with the
 * storage round trips (about 50-100 ms) a 4 MiB produce or fetch answers in about a third of a
 * second, and smaller requests in proportion.
 */
const TARGET_CPU_MS = Number(process.env.LAMBDA_TARGET_MS ?? 250);
const MIB_PER_RUN = Number(process.env.LAMBDA_BENCH_MIB ?? 32);
/**
 * Lambda's arm64 vCPU is not this machine's core, and AWS traffic is TLS where the emulators' is
 * plain HTTP: the CPU measured here is multiplied by this before sizing (LAMBDA_CPU_FACTOR).
 * An assumption, stated as one; docs/decisions.md says why 1.5.
 */
const CPU_FACTOR = Number(process.env.LAMBDA_CPU_FACTOR ?? 1.5);
/** Node.js runtime, the bundle and the SDK clients before any request ("Max Memory Used" of an idle function). */
const RUNTIME_BASE_MIB = 100;
/** Measurement rounds per request size; the least CPU of them counts (LAMBDA_BENCH_ROUNDS). */
const ROUNDS = Number(process.env.LAMBDA_BENCH_ROUNDS ?? 3);
const RECORD_BYTES = 1024;
const PARTITIONS = 4;
/**
 * The segment cache each function is deployed with (FUNCTION_SIZING.cacheMiB in
 * lib/infra/strata-cluster.ts; the bench does not import the CDK construct, to keep its own
 * memory figures clean). The cache fills over a function's life, so it counts on top of the
 * working set measured here.
 */
const CACHE_MIB = { produce: 16, fetch: 256 } as const;
/**
 * Assumed time a request waits on storage, not measured here (the emulators' latency is not
 * AWS's): produce = one S3 PUT of the segment + one DynamoDB transaction; fetch = a Query of the
 * offset index + one ranged S3 GET. Only the cost table uses it.
 */
const IO_WAIT_MS = { produce: 80, fetch: 50 } as const;

type Fn = 'produce' | 'fetch';

interface Measurement {
  requestMiB: number;
  requests: number;
  mib: number;
  cpuMs: number;
  cpuMsPerMiB: number;
  cpuMsPerRequest: number;
  wallMsPerRequest: number;
  /** Peak resident set during the measurement, MiB (this process: tsx, Node, the engine, the SDK, the prepared requests). */
  peakRssMiB: number;
  /** Peak JS heap + external + array buffers above what it was before the run, MiB: the requests' working set, garbage included. */
  peakWorkingMiB: number;
}

async function startS3rverChild(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--s3rver-child'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { endpoint: string }).endpoint);
    });
    child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}`)));
  });
  return { endpoint, child };
}

function event(
  method: string,
  path: string,
  routeKey: string,
  pathParameters: Record<string, string>,
  opts: { query?: Record<string, string>; body?: string },
): HttpEvent {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench',
      domainPrefix: 'bench',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
    isBase64Encoded: false,
  };
}

/** What the Lambda runtime does around a handler: decode the event, encode the result. */
async function invoke(handler: HttpHandler, wire: string): Promise<HttpResult> {
  const result = await handler(JSON.parse(wire) as HttpEvent);
  JSON.stringify(result);
  return result;
}

/** Runs the prepared invocations one after another; CPU time of this process over all of them. */
async function measure(
  requestMiB: number,
  wires: string[],
  handler: HttpHandler,
  check: (r: HttpResult) => number,
): Promise<Measurement> {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external + m.arrayBuffers;
  };
  const before = used();
  let peakRss = process.memoryUsage.rss();
  let peakUsed = before;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakUsed = Math.max(peakUsed, used());
  };
  const sampler = setInterval(sample, 5);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (const wire of wires) {
    bytes += check(await invoke(handler, wire));
    sample();
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  sample();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mib = bytes / MiB;
  return {
    requestMiB,
    requests: wires.length,
    mib,
    cpuMs,
    cpuMsPerMiB: cpuMs / mib,
    cpuMsPerRequest: cpuMs / wires.length,
    wallMsPerRequest: wall / wires.length,
    peakRssMiB: peakRss / MiB,
    peakWorkingMiB: (peakUsed - before) / MiB,
  };
}

function produceWires(
  topic: string,
  requestMiB: number,
  requests: number,
  compression: 'none' | 'gzip' = 'none',
): string[] {
  const perRequest = Math.round((requestMiB * MiB) / RECORD_BYTES);
  const path = `/v1/topics/${topic}/records`;
  return Array.from({ length: requests }, () => {
    const records = Array.from({ length: perRequest }, (_, i) => ({
      key: `k${i}`,
      // Incompressible-looking ASCII: 768 random bytes as 1,024 base64 characters.
      value: randomBytes((RECORD_BYTES * 3) / 4).toString('base64'),
      partition: i % PARTITIONS,
    }));
    return JSON.stringify(
      event(
        'POST',
        path,
        'POST /v1/topics/{topic}/records',
        { topic },
        { body: JSON.stringify({ records, ...(compression === 'none' ? {} : { compression }) }) },
      ),
    );
  });
}

/** Record values produced: the MiB a produce request carries. */
function producedBytes(r: HttpResult): number {
  if (r.statusCode !== 200) throw new Error(`produce: ${r.statusCode} ${r.body}`);
  return ((JSON.parse(r.body as string) as { offsets: unknown[] }).offsets.length * RECORD_BYTES) as number;
}

function fetchedBytes(r: HttpResult): number {
  if (r.statusCode !== 200) throw new Error(`fetch: ${r.statusCode} ${r.body}`);
  const records = (JSON.parse(r.body as string) as { records: { value: string }[] }).records;
  if (records.length === 0) throw new Error('fetch: no records');
  return records.reduce((n, rec) => n + rec.value.length, 0);
}

/** Fetch invocations that read every partition from `from` to its end in `requestMiB` answers. */
function fetchWires(topic: string, requestMiB: number, perPartition: number, from: number): string[] {
  const recordsPerAnswer = Math.floor((requestMiB * MiB) / RECORD_BYTES);
  const wires: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (let offset = from; offset < from + perPartition; offset += recordsPerAnswer) {
      const path = `/v1/topics/${topic}/partitions/${p}/records`;
      wires.push(
        JSON.stringify(
          event(
            'GET',
            path,
            'GET /v1/topics/{topic}/partitions/{partition}/records',
            { topic, partition: String(p) },
            {
              query: {
                offset: String(offset),
                maxRecords: String(recordsPerAnswer),
                // The record bytes plus the wire format's per-record overhead.
                maxBytes: String(Math.min(4 * MiB, requestMiB * MiB + recordsPerAnswer * 64)),
              },
            },
          ),
        ),
      );
    }
  }
  return wires;
}

interface Sizing {
  fn: Fn;
  cpuMsPerMiB: number;
  cpu4MiBAt1Vcpu: number;
  workingMiB: number;
  floorMB: number;
  impliedMB: number;
  table: { memoryMB: number; cpuMs: number; durationMs: number; usdPerGiB: number }[];
}

function size(fn: Fn, at1: Measurement, at4: Measurement): Sizing {
  // The 4 MiB figure is measured; the per-MiB figure from 1 MiB requests is the brief's unit.
  const cpu4 = at4.cpuMsPerRequest * CPU_FACTOR;
  const working = Math.max(at1.peakWorkingMiB, at4.peakWorkingMiB);
  const floorMB =
    Math.ceil(((RUNTIME_BASE_MIB + working + CACHE_MIB[fn]) * 1.2) / SIZE_STEP_MB) * SIZE_STEP_MB;
  const table = [];
  for (let m = 128; m <= 3008; m += SIZE_STEP_MB) {
    const share = Math.min(1, m / VCPU_MB);
    const cpuMs = cpu4 / share;
    const durationMs = cpuMs + IO_WAIT_MS[fn];
    const perRequest = (m / 1024) * (durationMs / 1000) * GB_SECOND_USD + REQUEST_USD;
    table.push({ memoryMB: m, cpuMs, durationMs, usdPerGiB: perRequest * (1024 / 4) });
  }
  const fits = table.filter((r) => r.cpuMs <= TARGET_CPU_MS && r.memoryMB >= floorMB);
  const cheapest = fits.reduce<(typeof table)[number] | undefined>(
    (best, r) => (best === undefined || r.usdPerGiB < best.usdPerGiB ? r : best),
    undefined,
  );
  return {
    fn,
    cpuMsPerMiB: at1.cpuMsPerMiB,
    cpu4MiBAt1Vcpu: cpu4,
    workingMiB: working,
    floorMB,
    impliedMB: cheapest?.memoryMB ?? 3008,
    table,
  };
}

const f1 = (n: number) => n.toFixed(1);

async function main() {
  const { endpoint: s3Endpoint, child } = await startS3rverChild();
  const dynamodb = await startDynamoDbLocal();
  try {
    const id = `strata-lm-${randomUUID().slice(0, 8)}`;
    const base: EngineConfig = {
      ...DEFAULT_CONFIG,
      metaTable: `${id}-meta`,
      indexTable: `${id}-index`,
      bucket: id,
      s3Endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
    };
    const clients = createAwsClients(base);
    await ensureStorage(clients, base);
    const engineOf = (fn: Fn): Engine =>
      createEngine({ ...base, segmentCacheBytes: CACHE_MIB[fn] * MiB }, createAwsClients(base));
    const admin = createTopicsHandler(createEngine(base, clients));
    const produce = createProduceHandler(engineOf('produce'));
    const fetch = createFetchHandler(engineOf('fetch'));

    const results: Record<Fn, Measurement[]> = { produce: [], fetch: [] };
    const gzipRounds: Measurement[] = [];
    /** CPU time only grows with noise (other processes, cache misses): the least of the rounds is the figure. */
    const least = (ms: Measurement[]): Measurement => {
      const best = ms.reduce((a, b) => (b.cpuMsPerMiB < a.cpuMsPerMiB ? b : a));
      // The working set, though, is the largest seen.
      return { ...best, peakWorkingMiB: Math.max(...ms.map((m) => m.peakWorkingMiB)) };
    };
    const spread = new Map<string, number[]>();
    for (const requestMiB of [1, 4]) {
      const rounds: Record<Fn, Measurement[]> = { produce: [], fetch: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const topic = `lm-${requestMiB}-${round}-${randomUUID().slice(0, 6)}`;
        const created = await admin(
          event(
            'POST',
            '/v1/topics',
            'POST /v1/topics',
            {},
            {
              body: JSON.stringify({
                name: topic,
                partitions: PARTITIONS,
                config: { 'max.message.bytes': String(5 * MiB) },
              }),
            },
          ),
        );
        if (created.statusCode !== 201) throw new Error(`create topic: ${created.body}`);
        const requests = Math.max(2, Math.round(MIB_PER_RUN / requestMiB));
        // Warm-up (JIT, connections, topic caches), then the measured run; the fetch reads back
        // the measured run's records only.
        const warm = Math.max(2, Math.round(8 / requestMiB));
        for (const wire of produceWires(topic, requestMiB, warm)) producedBytes(await invoke(produce, wire));
        const perPartitionWarm = (warm * Math.round((requestMiB * MiB) / RECORD_BYTES)) / PARTITIONS;
        for (const wire of fetchWires(topic, requestMiB, perPartitionWarm, 0))
          fetchedBytes(await invoke(fetch, wire));
        const wires = produceWires(topic, requestMiB, requests);
        global.gc?.();
        rounds.produce.push(await measure(requestMiB, wires, produce, producedBytes));
        const perPartition = (requests * Math.round((requestMiB * MiB) / RECORD_BYTES)) / PARTITIONS;
        const reads = fetchWires(topic, requestMiB, perPartition, perPartitionWarm);
        global.gc?.();
        rounds.fetch.push(await measure(requestMiB, reads, fetch, fetchedBytes));
        if (requestMiB === 4) {
          // For reference, not sizing: the client's default is no compression (KafkaJS's too).
          const gzipWires = produceWires(topic, requestMiB, requests, 'gzip');
          global.gc?.();
          gzipRounds.push(await measure(requestMiB, gzipWires, produce, producedBytes));
        }
      }
      for (const fn of ['produce', 'fetch'] as const) {
        results[fn].push(least(rounds[fn]));
        spread.set(
          `${fn} ${requestMiB}`,
          rounds[fn].map((m) => m.cpuMsPerMiB),
        );
      }
    }
    const gzip = gzipRounds.length > 0 ? least(gzipRounds) : undefined;

    const sizings = (['produce', 'fetch'] as const).map((fn) =>
      size(fn, results[fn][0] as Measurement, results[fn][1] as Measurement),
    );
    console.log(
      `CPU per MiB on this machine (${cpus()[0]?.model ?? '?'}, ${process.arch}, Node ${process.version}), record ${RECORD_BYTES} B, ${PARTITIONS} partitions:`,
    );
    for (const fn of ['produce', 'fetch'] as const) {
      for (const m of results[fn]) {
        console.log(
          `  ${fn.padEnd(8)} ${m.requestMiB} MiB requests x${m.requests}: ${f1(m.cpuMsPerMiB)} CPU ms/MiB, ${f1(m.cpuMsPerRequest)} CPU ms/request, ${f1(m.wallMsPerRequest)} ms wall/request, working set ${f1(m.peakWorkingMiB)} MiB (peak RSS ${f1(m.peakRssMiB)}); rounds ${(spread.get(`${fn} ${m.requestMiB}`) ?? []).map(f1).join(' / ')} ms/MiB`,
        );
      }
    }
    if (gzip) {
      console.log(
        `  produce  4 MiB gzip (reference only): ${f1(gzip.cpuMsPerMiB)} CPU ms/MiB, ${f1(gzip.cpuMsPerRequest)} CPU ms/request`,
      );
    }
    console.log(
      `\nMemory implied (4 MiB request CPU x${CPU_FACTOR} <= ${TARGET_CPU_MS} ms, cheapest $/GiB; 1,769 MB = 1 vCPU):`,
    );
    for (const s of sizings) {
      const at = (mb: number) => s.table.find((r) => r.memoryMB === mb);
      const chosen = at(s.impliedMB);
      console.log(
        `  ${s.fn.padEnd(8)} ${f1(s.cpu4MiBAt1Vcpu)} CPU ms per 4 MiB request at 1 vCPU; floor ${s.floorMB} MB (${RUNTIME_BASE_MIB} MiB runtime + ${f1(s.workingMiB)} MiB working set + ${CACHE_MIB[s.fn]} MiB cache, +20%) -> ${s.impliedMB} MB: ${f1(chosen?.cpuMs ?? 0)} ms CPU, ~${f1(chosen?.durationMs ?? 0)} ms with ${IO_WAIT_MS[s.fn]} ms assumed I/O, $${(chosen?.usdPerGiB ?? 0).toFixed(5)} per GiB`,
      );
      for (const mb of [512, 1024, 1536, 1792]) {
        const r = at(mb);
        if (r)
          console.log(
            `      at ${String(mb).padStart(4)} MB: ${f1(r.cpuMs)} ms CPU, $${r.usdPerGiB.toFixed(5)} per GiB`,
          );
      }
    }
    if (process.env.LAMBDA_BENCH_JSON) {
      const out = {
        measuredAt: new Date().toISOString(),
        machine: { cpu: cpus()[0]?.model, cores: cpus().length, arch: process.arch, node: process.version },
        targetCpuMsPer4MiB: TARGET_CPU_MS,
        cpuFactor: CPU_FACTOR,
        runtimeBaseMiB: RUNTIME_BASE_MIB,
        cacheMiB: CACHE_MIB,
        gzipReference: gzip,
        ioWaitMsAssumed: IO_WAIT_MS,
        rounds: ROUNDS,
        cpuMsPerMiBByRound: Object.fromEntries(spread),
        measurements: results,
        implied: Object.fromEntries(
          sizings.map((s) => [
            s.fn,
            {
              cpuMsPerMiB: s.cpuMsPerMiB,
              cpu4MiBAt1Vcpu: s.cpu4MiBAt1Vcpu,
              workingMiB: s.workingMiB,
              floorMB: s.floorMB,
              memoryMB: s.impliedMB,
            },
          ]),
        ),
      };
      await writeFile(process.env.LAMBDA_BENCH_JSON, `${JSON.stringify(out, null, 2)}\n`);
    }
  } finally {
    child.stdin?.end();
    await dynamodb.stop();
  }
}

// The entry point, last: every declaration above is initialized by now. The child serves s3rver.
if (process.argv.includes('--s3rver-child')) {
  const dir = await mkdtemp(join(tmpdir(), 'strata-lambda-mem-s3-'));
  const s3 = await startS3rver({ dir });
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint })}\n`);
  // Stops when the parent closes stdin (or dies).
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  });
} else {
  await main();
}
