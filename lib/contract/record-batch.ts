/**
 * Kafka RecordBatch v2 (magic 2), the pure part: the layout, the encoder of uncompressed records and
 * the reader of a batch's header and records. Browser-safe: the server (lib/engine/codec/record-batch.ts
 * adds compression, Kafka's error codes and the checks of a client's batch) and the client (the
 * binary data path, docs/api.md "Record batches") both use it, so the two cannot disagree on a byte.
 *
 * Layout (big-endian): baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8,
 * crc uint32 (CRC-32C of everything after it), attributes int16, lastOffsetDelta int32,
 * baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16, baseSequence
 * int32, recordCount int32, then the records (compressed as a whole when attributes say so).
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_BYTES = 61;
export const BATCH_MAGIC = 2;
/** The CRC covers the batch from the attributes on. */
export const BATCH_CRC_START = 21;
/** baseOffset and batchLength: what Kafka calls the log overhead of a batch. */
export const BATCH_LOG_OVERHEAD = 12;
export const COMPRESSION_MASK = 0x07;

/** The content type of RecordBatch v2 bytes over HTTP (docs/api.md "Record batches"). */
export const RECORD_BATCH_CONTENT_TYPE = 'application/vnd.kafka.record-batch.v2';

/** Response headers of the binary fetch (docs/api.md). */
export const BATCH_FETCH_HEADERS = {
  highWatermark: 'strata-high-watermark',
  logStartOffset: 'strata-log-start-offset',
  nextOffset: 'strata-next-offset',
} as const;

export interface BatchProducerInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export const NO_PRODUCER: BatchProducerInfo = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

export interface BatchRecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A record as a batch holds it, before it has an offset. */
export interface BatchRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: readonly BatchRecordHeader[];
  /** Epoch ms. */
  timestamp: number;
}

export interface DecodedRecord extends BatchRecord {
  offset: number;
  headers: BatchRecordHeader[];
}

/** A record batch's fixed header, as readBatchHeader reads it. */
export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producer: BatchProducerInfo;
  recordCount: number;
}

/** Bytes that do not hold together as a record batch (the server answers it as CORRUPT_MESSAGE). */
export class RecordBatchFormatError extends Error {}

/** The records of a batch, uncompressed and without the header: what the header's CRC'd payload holds. */
export function encodeRecords(records: readonly BatchRecord[]): Uint8Array {
  if (records.length === 0) throw new RangeError('a batch holds at least one record');
  const baseTimestamp = (records[0] as BatchRecord).timestamp;
  const body = new ByteWriter(
    records.reduce((n, r) => n + 16 + (r.key?.length ?? 0) + (r.value?.length ?? 0), 64),
  );
  records.forEach((record, i) => {
    writeRecord(body, record, i, record.timestamp - baseTimestamp);
  });
  return body.finish();
}

export interface BatchFrame {
  recordCount: number;
  baseTimestamp: number;
  maxTimestamp: number;
  compression: number;
  producer: BatchProducerInfo;
}

/**
 * The header around a payload (encodeRecords' bytes, compressed or not), with the CRC-32C. The
 * base offset is 0 and the partition leader epoch -1: the commit decides the offset, and both sit
 * before the CRC'd region.
 */
export function frameBatch(payload: Uint8Array, frame: BatchFrame): Uint8Array {
  const w = new ByteWriter(BATCH_HEADER_BYTES + payload.length);
  w.int64(0); // baseOffset: assigned by the commit, injected on read
  w.int32(0); // batchLength, patched below
  w.int32(-1); // partitionLeaderEpoch
  w.int8(BATCH_MAGIC);
  w.uint32(0); // crc, patched below
  w.int16(frame.compression & COMPRESSION_MASK);
  w.int32(frame.recordCount - 1); // lastOffsetDelta
  w.int64(frame.baseTimestamp);
  w.int64(frame.maxTimestamp);
  w.int64(frame.producer.producerId);
  w.int16(frame.producer.producerEpoch);
  w.int32(frame.producer.baseSequence);
  w.int32(frame.recordCount);
  w.bytes(payload);
  w.patchInt32(8, w.length - BATCH_LOG_OVERHEAD);
  const bytes = w.finish();
  new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(BATCH_CRC_START)));
  return bytes;
}

/** One uncompressed batch of the records, in order (offset deltas 0, 1, 2...). */
export function encodeUncompressedBatch(
  records: readonly BatchRecord[],
  producer: BatchProducerInfo = NO_PRODUCER,
): Uint8Array {
  return frameBatch(encodeRecords(records), {
    recordCount: records.length,
    ...timestampsOf(records),
    compression: 0,
    producer,
  });
}

export function timestampsOf(records: readonly BatchRecord[]): {
  baseTimestamp: number;
  maxTimestamp: number;
} {
  const baseTimestamp = (records[0] as BatchRecord).timestamp;
  let maxTimestamp = baseTimestamp;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  return { baseTimestamp, maxTimestamp };
}

function writeRecord(out: ByteWriter, record: BatchRecord, offsetDelta: number, timestampDelta: number) {
  // The length prefix comes first, so size the record before writing it (no scratch buffer per record).
  const headerKeys = record.headers.map((h) => utf8.encode(h.key));
  let size =
    1 +
    varintSize(timestampDelta) +
    varintSize(offsetDelta) +
    nullableSize(record.key) +
    nullableSize(record.value);
  size += varintSize(record.headers.length);
  record.headers.forEach((h, i) => {
    const key = headerKeys[i] as Uint8Array;
    size += varintSize(key.length) + key.length + nullableSize(h.value);
  });
  out.varint(size);
  out.int8(0); // attributes: unused in v2
  out.varint(timestampDelta);
  out.varint(offsetDelta);
  writeNullableBytes(out, record.key);
  writeNullableBytes(out, record.value);
  out.varint(record.headers.length);
  record.headers.forEach((h, i) => {
    const key = headerKeys[i] as Uint8Array;
    out.varint(key.length).bytes(key);
    writeNullableBytes(out, h.value);
  });
}

const utf8 = new TextEncoder();

function varintSize(v: number): number {
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function nullableSize(b: Uint8Array | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function writeNullableBytes(w: ByteWriter, b: Uint8Array | null) {
  if (b === null) w.varint(-1);
  else w.varint(b.length).bytes(b);
}

/** Reads the fixed header without checking the CRC or touching the records. */
export function readBatchHeader(bytes: Uint8Array): BatchHeader {
  if (bytes.length < BATCH_HEADER_BYTES)
    throw new RecordBatchFormatError('record batch shorter than its header');
  const r = new ByteReader(bytes);
  const baseOffset = r.int64();
  const batchLength = r.int32();
  r.int32(); // partitionLeaderEpoch
  const magic = r.int8();
  const crc = r.uint32();
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producer = { producerId: r.int64(), producerEpoch: r.int16(), baseSequence: r.int32() };
  const recordCount = r.int32();
  return {
    baseOffset,
    batchLength,
    magic,
    crc,
    attributes,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producer,
    recordCount,
  };
}

/** Whether the batch's CRC-32C matches its bytes. */
export function batchCrcMatches(batch: Uint8Array, header: BatchHeader): boolean {
  return crc32c(batch.subarray(BATCH_CRC_START)) === header.crc;
}

/**
 * Splits consecutive batches (a produce body, a fetch answer) at their length fields, without
 * reading their records. Throws RecordBatchFormatError on bytes that do not end a batch where one
 * ends.
 */
export function splitBatches(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < BATCH_HEADER_BYTES)
      throw new RecordBatchFormatError(`${bytes.length - at} bytes at ${at} are too few for a batch`);
    const end = at + BATCH_LOG_OVERHEAD + view.getInt32(at + 8);
    if (end < at + BATCH_HEADER_BYTES || end > bytes.length)
      throw new RecordBatchFormatError(`batch at ${at} claims more bytes than there are`);
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

/**
 * Reads `count` records from a batch's uncompressed payload; offsets are baseOffset + offsetDelta.
 * Throws RecordBatchFormatError for a record whose length disagrees with its fields, and a
 * RangeError for bytes that end too early.
 */
export function decodeRecords(
  body: Uint8Array,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
): DecodedRecord[] {
  const r = new ByteReader(body);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const end = r.pos + length;
    r.int8();
    const timestampDelta = r.varint();
    const offsetDelta = r.varint();
    const key = readNullableBytes(r);
    const value = readNullableBytes(r);
    const headerCount = r.varint();
    const headers: BatchRecordHeader[] = [];
    for (let j = 0; j < headerCount; j++) {
      const keyLength = r.varint();
      headers.push({ key: utf8Decoder.decode(r.bytes(keyLength)), value: readNullableBytes(r) });
    }
    if (r.pos !== end) throw new RecordBatchFormatError(`record ${i} length mismatch`);
    records.push({
      offset: baseOffset + offsetDelta,
      timestamp: baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  return records;
}

const utf8Decoder = new TextDecoder();

function readNullableBytes(r: ByteReader): Uint8Array | null {
  const n = r.varint();
  return n < 0 ? null : r.bytes(n);
}
