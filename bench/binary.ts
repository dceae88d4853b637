/**
 * The HTTP API's binary data path in the bench (issue 12): produce Kafka RecordBatch v2 bytes per
 * partition (`POST /v1/topics/{t}/partitions/{p}/batches`), as the TypeScript client does by
 * default, and read them back (`GET …/batches?offset=`). The batches are encoded once, so the
 * load generator costs almost nothing; each produce round follows a round of its raw pipeline.
 */

import { BATCH_FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from '../lib/contract/index.js';
import { encodeBatch } from '../lib/engine/codec/record-batch.js';
import { measured, pool } from './raw.js';

const MiB = 1024 * 1024;

export interface BinaryRound {
  requests: number;
  ms: number;
  cpuMs: number;
}

/** One RecordBatch of `requestBytes` of 1 KiB records, uncompressed, as a client would send it. */
export function encodedBatch(requestBytes: number, recordBytes: number): Uint8Array {
  const value = new Uint8Array(recordBytes).fill(120);
  return encodeBatch(
    Array.from({ length: Math.max(1, Math.round(requestBytes / recordBytes)) }, () => ({
      key: null,
      value,
      headers: [],
      timestamp: Date.now(),
    })),
  ).bytes;
}

/** `count` binary produce requests of `batch` at `concurrency`, spread over `partitions`. */
export async function binaryProduceRound(
  url: string,
  topic: string,
  partitions: number,
  batch: Uint8Array,
  concurrency: number,
  count: number,
): Promise<BinaryRound> {
  const { ms, cpuMs } = await measured(() =>
    pool(count, concurrency, async (i) => {
      const res = await fetch(`${url}/v1/topics/${topic}/partitions/${i % partitions}/batches`, {
        method: 'POST',
        headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE },
        body: batch as BodyInit,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`binary produce: ${res.status} ${text.slice(0, 300)}`);
    }),
  );
  return { requests: count, ms, cpuMs };
}

/** Reads every partition of `topic` from offset 0 over the binary path, 8 at a time. */
export async function binaryConsume(
  url: string,
  topic: string,
  partitions: number,
): Promise<{ mib: number; ms: number; fetches: number; responseBytes: number[] }> {
  let bytes = 0;
  let fetches = 0;
  const responseBytes: number[] = [];
  const { ms } = await measured(() =>
    pool(partitions, 8, async (partition) => {
      let offset = '0';
      for (;;) {
        const res = await fetch(
          `${url}/v1/topics/${topic}/partitions/${partition}/batches?offset=${offset}&maxBytes=${4 * MiB}`,
        );
        const body = new Uint8Array(await res.arrayBuffer());
        if (!res.ok)
          throw new Error(`binary fetch: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
        fetches++;
        bytes += body.length;
        responseBytes.push(body.length);
        const next = res.headers.get(BATCH_FETCH_HEADERS.nextOffset);
        const high = res.headers.get(BATCH_FETCH_HEADERS.highWatermark);
        if (!next || !high)
          throw new Error('binary fetch: no strata-next-offset / strata-high-watermark header');
        if (body.length === 0 || BigInt(next) >= BigInt(high)) break;
        offset = next;
      }
    }),
  );
  return { mib: bytes / MiB, ms, fetches, responseBytes };
}
