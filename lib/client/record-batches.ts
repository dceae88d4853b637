/**
 * The client's side of the binary data path (docs/api.md "Record batches"): the producer's waiting
 * records as one uncompressed RecordBatch v2 per partition, and a fetch answer's batches as
 * KafkaJS messages. The layout, the CRC-32C and the record codec are the contract's
 * (lib/contract/record-batch.ts), the very code the server checks the bytes with. Browser-safe.
 */
import { concatBytes } from '../contract/bytes.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_MAGIC,
  type BatchProducerInfo,
  type BatchRecord,
  batchCrcMatches,
  COMPRESSION_MASK,
  decodeRecords,
  encodeUncompressedBatch,
  NO_PRODUCER,
  readBatchHeader,
  splitBatches,
} from '../contract/record-batch.js';
import type { PendingRecord } from './batcher.js';
import { type Payload, toBufferLike, utf8Encode } from './bytes.js';
import { StrataClientError } from './errors.js';
import type { KafkaMessage, MessageBytes } from './types.js';

const bytesOf = (p: Payload): Uint8Array | null =>
  p === null || p === undefined ? null : typeof p === 'string' ? utf8Encode(p) : p;

/**
 * A partition's records, in order, as consecutive batches of at most `maxBatchBytes` each (the
 * topic's max.message.bytes; a record larger than that goes alone, and the server refuses it),
 * under the producer's id and epoch, each batch's base sequence following the one before it
 * from `producer.baseSequence` (NO_PRODUCER for a producer that is not idempotent). A record
 * without a timestamp gets `now`, as a Kafka producer stamps its records.
 */
export function encodeRecordBatches(
  records: readonly PendingRecord[],
  producer: BatchProducerInfo = NO_PRODUCER,
  maxBatchBytes = Number.POSITIVE_INFINITY,
  now = Date.now(),
): Uint8Array {
  const batches: Uint8Array[] = [];
  let pending: BatchRecord[] = [];
  let pendingBytes = BATCH_HEADER_BYTES;
  let sequence = producer.baseSequence;
  const flush = () => {
    if (pending.length === 0) return;
    const info =
      producer.producerId === NO_PRODUCER.producerId ? NO_PRODUCER : { ...producer, baseSequence: sequence };
    batches.push(encodeUncompressedBatch(pending, info));
    sequence += pending.length;
    pending = [];
    pendingBytes = BATCH_HEADER_BYTES;
  };
  for (const r of records) {
    const record = toBatchRecord(r, now);
    const size = r.binarySize;
    if (pending.length > 0 && pendingBytes + size > maxBatchBytes) flush();
    pending.push(record);
    pendingBytes += size;
  }
  flush();
  return concatBytes(batches);
}

function toBatchRecord(r: PendingRecord, now: number): BatchRecord {
  return {
    key: bytesOf(r.key),
    value: bytesOf(r.value),
    headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: bytesOf(value) })),
    timestamp: r.timestamp === undefined ? now : Number(r.timestamp),
  };
}

/** Attributes bit 3: the topic stamps records with the append time, held in maxTimestamp. */
const LOG_APPEND_TIME = 0x08;
/** Attributes bit 5: a transaction marker, never handed to the application. */
const CONTROL_BATCH = 0x20;

export type DecodedFetch =
  | { compressed: false; messages: KafkaMessage[] }
  /** A batch is compressed: the client does not decompress (it stays small and browser-safe). */
  | { compressed: true };

/**
 * The messages at or after `fromOffset` in a fetch answer (its first batch may start before it),
 * each batch's CRC-32C checked as a Kafka consumer checks it.
 */
export function decodeFetchedBatches(bytes: Uint8Array, fromOffset: number): DecodedFetch {
  const messages: KafkaMessage[] = [];
  let batches: Uint8Array[];
  try {
    batches = splitBatches(bytes);
  } catch (err) {
    throw corrupt(`the fetched record batches do not hold together: ${(err as Error).message}`, err);
  }
  for (const batch of batches) {
    const h = readBatchHeader(batch);
    if (h.magic !== BATCH_MAGIC) throw corrupt(`a fetched record batch has magic ${h.magic}`);
    if (!batchCrcMatches(batch, h)) throw corrupt('a fetched record batch fails its CRC-32C');
    if ((h.attributes & COMPRESSION_MASK) !== 0) return { compressed: true };
    if ((h.attributes & CONTROL_BATCH) !== 0) continue;
    let records: ReturnType<typeof decodeRecords>;
    try {
      records = decodeRecords(
        batch.subarray(BATCH_HEADER_BYTES),
        h.recordCount,
        h.baseOffset,
        h.baseTimestamp,
      );
    } catch (err) {
      throw corrupt('a fetched record batch is malformed', err);
    }
    const appendTime = (h.attributes & LOG_APPEND_TIME) !== 0;
    for (const r of records) {
      if (r.offset < fromOffset) continue;
      const key = r.key === null ? null : toBufferLike(r.key);
      const value = r.value === null ? null : toBufferLike(r.value);
      const headers: Record<string, MessageBytes | undefined> = {};
      for (const header of r.headers)
        headers[header.key] = header.value === null ? undefined : toBufferLike(header.value);
      messages.push({
        key,
        value,
        timestamp: String(appendTime ? h.maxTimestamp : r.timestamp),
        attributes: 0,
        offset: String(r.offset),
        size: (key?.length ?? 0) + (value?.length ?? 0),
        headers,
      });
    }
  }
  return { compressed: false, messages };
}

function corrupt(message: string, cause?: unknown): StrataClientError {
  // Kafka's consumer retries a CRC failure (CorruptRecordException is retriable): the bytes are read again.
  return new StrataClientError(message, { code: 'CORRUPT_MESSAGE', retriable: true, cause });
}
