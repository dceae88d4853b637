/**
 * Cost per GB from what the bench counted (issue 12): S3 requests by command, DynamoDB capacity
 * units as the service reported them, HTTP requests and their bytes (API Gateway meters in 512 KB
 * steps), Lambda invocations and the duration they would bill. Prices come from bench/prices.json
 * alone; Lambda memory and the gateway's task size from lib/infra, so the figures follow the code.
 */
import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

export interface Prices {
  taken: string;
  source: string;
  s3Standard: { putPer1000: number; getPer1000: number; storagePerGBMonth: number };
  dynamodbOnDemand: { perMillionWRU: number; perMillionRRU: number };
  lambdaArm64: { perMillionRequests: number; perGBSecond: number; mbPerVcpu: number };
  httpApi: { perMillionRequests: number; meteredBytes: number };
  fargateArm64: { perVcpuHour: number; perGBHour: number; hoursPerMonth: number };
}

export function loadPrices(): Prices {
  return JSON.parse(readFileSync(new URL('./prices.json', import.meta.url), 'utf8')) as Prices;
}

/** What one measured run sent, for `mib` MiB of record bytes moved. */
export interface Counted {
  mib: number;
  s3Puts: number;
  s3Gets: number;
  wru: number;
  rru: number;
  /** Lambda invocations (one per HTTP request); 0 for the gateway. */
  lambdaRequests?: number;
  /** Billed HTTP API requests: the sum of ceil(bytes / 512 KiB) over the requests. */
  httpApiUnits?: number;
  /** Lambda billed duration of all the invocations, seconds. */
  lambdaSeconds?: number;
  lambdaMemoryMiB?: number;
}

export interface CostPerGB {
  total: number;
  s3: number;
  dynamodb: number;
  lambda: number;
  httpApi: number;
}

/** $ per GiB of record bytes: each counted request priced, summed, divided by the GiB moved. */
export function costPerGB(c: Counted, p: Prices): CostPerGB {
  const gib = c.mib / 1024;
  const s3 = (c.s3Puts * p.s3Standard.putPer1000 + c.s3Gets * p.s3Standard.getPer1000) / 1000;
  const dynamodb =
    (c.wru * p.dynamodbOnDemand.perMillionWRU + c.rru * p.dynamodbOnDemand.perMillionRRU) / 1e6;
  const lambda =
    ((c.lambdaRequests ?? 0) * p.lambdaArm64.perMillionRequests) / 1e6 +
    (c.lambdaSeconds ?? 0) * ((c.lambdaMemoryMiB ?? 0) / 1024) * p.lambdaArm64.perGBSecond;
  const httpApi = ((c.httpApiUnits ?? 0) * p.httpApi.perMillionRequests) / 1e6;
  return {
    total: (s3 + dynamodb + lambda + httpApi) / gib,
    s3: s3 / gib,
    dynamodb: dynamodb / gib,
    lambda: lambda / gib,
    httpApi: httpApi / gib,
  };
}

/** Billed HTTP API requests for one request of `bytes` (512 KB steps, at least one). */
export function httpApiUnits(bytes: number, p: Prices): number {
  return Math.max(1, Math.ceil(bytes / p.httpApi.meteredBytes));
}

/**
 * Lambda's billed seconds for one invocation: the handler's CPU time measured here, stretched by
 * the vCPU share the memory buys (1,769 MB = 1 vCPU), plus the I/O wait the latency model gives
 * for its S3 and DynamoDB calls (Lambda bills wall-clock time, waiting included).
 */
export function lambdaSeconds(cpuMs: number, ioWaitMs: number, memoryMiB: number, p: Prices): number {
  const vcpu = Math.min(1, memoryMiB / p.lambdaArm64.mbPerVcpu);
  return (Math.max(0, cpuMs) / vcpu + ioWaitMs) / 1000;
}

/** The default gateway task all month, $ (Fargate bills per hour, not per GB). */
export function fargateMonthly(cpuUnits: number, memoryMiB: number, p: Prices): number {
  const f = p.fargateArm64;
  return ((cpuUnits / 1024) * f.perVcpuHour + (memoryMiB / 1024) * f.perGBHour) * f.hoursPerMonth;
}

/** The counts behind a cost, per GiB moved (what README's cost table shows). */
export function countsPerGiB(c: Counted): Record<string, number> {
  const per = 1024 / c.mib;
  const round = (x: number) => Math.round(x * per * 100) / 100;
  return {
    s3Puts: round(c.s3Puts),
    s3Gets: round(c.s3Gets),
    wru: round(c.wru),
    rru: round(c.rru),
    lambdaRequests: round(c.lambdaRequests ?? 0),
    httpApiUnits: round(c.httpApiUnits ?? 0),
    lambdaGBSeconds: round((c.lambdaSeconds ?? 0) * ((c.lambdaMemoryMiB ?? 0) / 1024)),
  };
}

export function describeCost(cost: CostPerGB, c: Counted): string {
  const d = (x: number) => `$${x.toFixed(4)}`;
  const n = countsPerGiB(c);
  const parts = [
    `S3 ${d(cost.s3)} (${Math.round(n.s3Puts ?? 0)} PUT, ${Math.round(n.s3Gets ?? 0)} GET)`,
    `DynamoDB ${d(cost.dynamodb)} (${Math.round(n.wru ?? 0)} WRU, ${Math.round(n.rru ?? 0)} RRU)`,
  ];
  if (c.lambdaRequests) {
    parts.push(
      `Lambda ${d(cost.lambda)} (${Math.round(n.lambdaRequests ?? 0)} req, ${(n.lambdaGBSeconds ?? 0).toFixed(1)} GB-s)`,
      `HTTP API ${d(cost.httpApi)} (${Math.round(n.httpApiUnits ?? 0)} billed req)`,
    );
  }
  return `per GiB: ${parts.join(' + ')}`;
}

export { MiB };
