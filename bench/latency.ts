/**
 * Modelled AWS produce latency (issue 12): linger + one S3 PUT + one DynamoDB transaction, from
 * the figures and assumptions in bench/latency-model.json (each with its source). The local stack
 * cannot measure AWS latency; this is arithmetic on published figures, not a measurement.
 */
import { readFileSync } from 'node:fs';

interface Percentiles {
  p50Ms: number;
  p99Ms: number;
}

interface Store {
  putUpTo1MiB: Percentiles;
  put4MiBPlus: Percentiles;
  getUpTo1MiB: Percentiles;
}

export interface LatencyModel {
  s3Standard: Store;
  s3ExpressOneZone: Store;
  dynamodbTransaction: Percentiles;
  dynamodbRead: Percentiles;
}

export function loadLatencyModel(): LatencyModel {
  return JSON.parse(readFileSync(new URL('./latency-model.json', import.meta.url), 'utf8')) as LatencyModel;
}

export type StorageClass = 's3Standard' | 's3ExpressOneZone';

/** The PUT figures for an object of `bytes`: up to 1 MiB, or the 4 MiB+ row above that. */
export function putLatency(m: LatencyModel, storage: StorageClass, bytes: number): Percentiles {
  return bytes > 1024 * 1024 ? m[storage].put4MiBPlus : m[storage].putUpTo1MiB;
}

/** p50 and p99 of one produce: linger/2 and linger, then the PUT, then the transaction. */
export function produceLatency(
  m: LatencyModel,
  storage: StorageClass,
  objectBytes: number,
  lingerMs: number,
): Percentiles {
  const put = putLatency(m, storage, objectBytes);
  const txn = m.dynamodbTransaction;
  return {
    p50Ms: lingerMs / 2 + put.p50Ms + txn.p50Ms,
    p99Ms: lingerMs + put.p99Ms + txn.p99Ms,
  };
}
