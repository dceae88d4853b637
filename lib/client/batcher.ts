/**
 * The producer's pure parts: a pending record and its wire forms, and the choice of which waiting
 * records go into the next produce request within the API's limits (one topic, at most 49
 * partitions, 6 MB, 10,000 records) and the producer's batch size.
 */

import { LIMITS } from '../contract/limits.js';
import { isBinary, type Payload, payloadSize, payloadToWire, utf8Length } from './bytes.js';

/** The API's limits on one produce request (lib/contract/limits.ts, docs/api.md). */
export const MAX_PARTITIONS_PER_REQUEST = LIMITS.maxPartitionsPerProduce;
export const MAX_PARTITIONS_PER_IDEMPOTENT_REQUEST = LIMITS.maxPartitionsPerIdempotentProduce;
export const MAX_RECORDS_PER_REQUEST = LIMITS.maxRecordsPerRequest;
/**
 * The records of one request: the server's cap on a body (lib/contract/limits.ts), less room for
 * the `producer` and `groupCommit` fields that the producer adds after buildRequest has sized the
 * records, and for the Lambda event around the body (headers, request context, the body's JSON
 * escaping), since Lambda's limit applies to the whole event.
 */
export const MAX_REQUEST_BYTES = LIMITS.maxRequestBytes - 300 * 1024;
/**
 * The records of one binary request (record batches), counted by their batch size bound: API
 * Gateway hands Lambda a binary body base64-encoded, and 4 MiB so encoded fits the 6 MB payload
 * with room for the event. Also the producer's default `batchSize`.
 */
export const MAX_BINARY_REQUEST_BYTES = LIMITS.maxBatchRequestBytes;

export interface RecordSink {
  ack(index: number, partition: number, offset: string): void;
  fail(err: unknown): void;
}

export class PendingRecord {
  /** Serialised forms: [0] text, [1] base64. */
  private readonly forms: [string | undefined, string | undefined] = [undefined, undefined];
  private readonly formBytes: [number, number] = [-1, -1];
  /** Needs base64 (some payload is bytes). */
  readonly binary: boolean;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly key: Payload,
    readonly value: Payload,
    readonly headers: Record<string, Payload> | undefined,
    readonly timestamp: string | number | undefined,
    readonly sink: RecordSink,
    readonly index: number,
    readonly enqueuedAt: number,
    /** The request-level compression the send asked for ('none', 'gzip', ...). */
    readonly compression = 'none',
  ) {
    let binary = isBinary(key) || isBinary(value);
    if (headers) for (const v of Object.values(headers)) binary ||= isBinary(v);
    this.binary = binary;
  }

  /** The record's JSON in a request of the given encoding. */
  json(base64: boolean): string {
    const i = base64 ? 1 : 0;
    let form = this.forms[i];
    if (form === undefined) {
      const wire: Record<string, unknown> = { partition: this.partition };
      if (this.key !== null && this.key !== undefined) wire.key = payloadToWire(this.key, base64);
      wire.value = payloadToWire(this.value, base64);
      if (this.headers && Object.keys(this.headers).length > 0) {
        const h: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(this.headers)) h[k] = payloadToWire(v, base64);
        wire.headers = h;
      }
      if (this.timestamp !== undefined) wire.timestamp = this.timestamp;
      form = JSON.stringify(wire);
      this.forms[i] = form;
    }
    return form;
  }

  /** UTF-8 bytes of `json(base64)`. */
  bytes(base64: boolean): number {
    const i = base64 ? 1 : 0;
    if (this.formBytes[i] < 0) this.formBytes[i] = utf8Length(this.json(base64));
    return this.formBytes[i];
  }

  /** The size that counts toward the batch size: its JSON in the encoding it needs on its own. */
  get size(): number {
    return this.bytes(this.binary);
  }

  private batchBytes = -1;

  /**
   * At least its size in a RecordBatch v2 (the binary path): its bytes plus the most its varints
   * and attributes take. No JSON is made.
   */
  get binarySize(): number {
    if (this.batchBytes < 0) {
      let n = RECORD_OVERHEAD_BOUND + payloadSize(this.key) + payloadSize(this.value);
      for (const [k, v] of Object.entries(this.headers ?? {}))
        n += HEADER_OVERHEAD_BOUND + utf8Length(k) + payloadSize(v);
      this.batchBytes = n;
    }
    return this.batchBytes;
  }
}

/** The most a record's length, attributes, timestamp and offset deltas, key and value lengths and header count take. */
export const RECORD_OVERHEAD_BOUND = 40;
/** The most a header's key and value lengths take. */
export const HEADER_OVERHEAD_BOUND = 10;
/** A record batch's header (lib/contract/record-batch.ts). */
const BATCH_OVERHEAD = 61;

/** The records waiting for one partition, oldest first. */
export interface PartitionQueue {
  topic: string;
  partition: number;
  records: PendingRecord[];
}

export interface RequestLimits {
  maxBytes: number;
  maxRecords: number;
  maxPartitions: number;
  /**
   * For the binary path: records count their binarySize (plus a batch header per partition),
   * and no JSON body is built (`body` is empty).
   */
  binary?: boolean;
}

export interface BuiltRequest {
  topic: string;
  records: PendingRecord[];
  base64: boolean;
  /** The request body, ready to send. */
  body: string;
  bytes: number;
  partitions: number[];
  /** How many records were taken from the front of each queue given, in order. */
  taken: number[];
}

const envelopeBytes = (base64: boolean, compression = 'none') =>
  '{"records":[]}'.length +
  (base64 ? ',"encoding":"base64"'.length : 0) +
  (compression === 'none' ? 0 : `,"compression":"${compression}"`.length);

/**
 * Takes records from the front of the queues (all of one topic, in the order given) into one
 * request without breaking any limit. A partition's records keep their order, and a queue is only
 * cut at its front, so per-partition order holds across requests. The first record is always
 * taken, even when alone it exceeds maxBytes: the server then rejects it with a clear error.
 */
export function buildRequest(
  queues: readonly PartitionQueue[],
  limits: RequestLimits,
): BuiltRequest | undefined {
  const first = queues.find((q) => q.records.length > 0);
  if (!first) return undefined;
  const topic = first.topic;
  const selected: PendingRecord[] = [];
  const partitions: number[] = [];
  const taken: number[] = queues.map(() => 0);
  let base64 = false;
  const binary = limits.binary === true;
  let bytes = binary ? 0 : envelopeBytes(false);
  let full = false;

  for (let qi = 0; qi < queues.length && !full; qi++) {
    const queue = queues[qi] as PartitionQueue;
    if (queue.records.length === 0) continue;
    if (queue.topic !== topic) throw new Error('buildRequest: queues of one topic only');
    if (partitions.length >= limits.maxPartitions) break;
    let n = 0;
    if (binary) bytes += BATCH_OVERHEAD;
    for (const rec of queue.records) {
      if (selected.length >= limits.maxRecords) {
        full = true;
        break;
      }
      if (selected.length > 0 && rec.compression !== (selected[0] as PendingRecord).compression) {
        // One compression per request: the rest waits for the next one.
        full = true;
        break;
      }
      if (binary) {
        if (selected.length > 0 && bytes + rec.binarySize > limits.maxBytes) {
          full = true;
          break;
        }
        bytes += rec.binarySize;
        selected.push(rec);
        n++;
        continue;
      }
      const nextBase64: boolean = base64 || rec.binary;
      let nextBytes = bytes;
      if (nextBase64 !== base64) {
        nextBytes = envelopeBytes(true) + Math.max(0, selected.length - 1);
        for (const s of selected) nextBytes += s.bytes(true);
      }
      nextBytes += rec.bytes(nextBase64) + (selected.length > 0 ? 1 : 0);
      if (selected.length > 0 && nextBytes > limits.maxBytes) {
        full = true;
        break;
      }
      base64 = nextBase64;
      bytes = nextBytes;
      selected.push(rec);
      n++;
    }
    if (n > 0) {
      taken[qi] = n;
      partitions.push(queue.partition);
    } else if (binary) bytes -= BATCH_OVERHEAD;
  }
  if (binary) return { topic, records: selected, base64: false, body: '', bytes, partitions, taken };

  const compression = selected[0]?.compression ?? 'none';
  const parts = selected.map((r) => r.json(base64));
  const body = `{"records":[${parts.join(',')}]${base64 ? ',"encoding":"base64"' : ''}${
    compression === 'none' ? '' : `,"compression":"${compression}"`
  }}`;
  bytes += envelopeBytes(base64, compression) - envelopeBytes(base64);
  return { topic, records: selected, base64, body, bytes, partitions, taken };
}

/** Adds a top-level field to a request body built above (it always ends with its closing brace). */
export function withField(body: string, name: string, value: unknown): string {
  return `${body.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`;
}
