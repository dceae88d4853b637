import { CorruptMessageError, InvalidRecordError, MessageTooLargeError } from '../errors.js';
import type { LogRecord, ProducerRecord, RecordHeader } from '../types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { compress, decompress } from './compression.js';
import { crc32c } from './crc32c.js';

/**
 * Kafka RecordBatch v2 (magic 2). Batches are stored with baseOffset 0; the commit decides the
 * real base offset and fetch writes it back in. baseOffset and partitionLeaderEpoch sit before the
 * CRC'd region, so the bytes a later Kafka-protocol front end serves stay valid.
 */
export const BATCH_HEADER_BYTES = 61;
const MAGIC = 2;
const CRC_START = 21;
export const COMPRESSION_MASK = 0x07;

export interface BatchProducerInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export const NO_PRODUCER: BatchProducerInfo = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

export interface EncodedBatch {
  bytes: Uint8Array;
  recordCount: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

export function encodeBatch(
  records: readonly ProducerRecord[],
  compression = 0,
  producer: BatchProducerInfo = NO_PRODUCER,
): EncodedBatch {
  if (records.length === 0) throw new RangeError('a batch holds at least one record');
  const baseTimestamp = (records[0] as ProducerRecord).timestamp;
  let maxTimestamp = baseTimestamp;
  const body = new ByteWriter(
    records.reduce((n, r) => n + 16 + (r.key?.length ?? 0) + (r.value?.length ?? 0), 64),
  );
  records.forEach((record, i) => {
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    writeRecord(body, record, i, record.timestamp - baseTimestamp);
  });
  const payload = compress(compression, body.finish());

  const w = new ByteWriter(BATCH_HEADER_BYTES + payload.length);
  w.int64(0); // baseOffset: assigned by the commit, injected on read
  w.int32(0); // batchLength, patched below
  w.int32(-1); // partitionLeaderEpoch
  w.int8(MAGIC);
  w.uint32(0); // crc, patched below
  w.int16(compression & COMPRESSION_MASK);
  w.int32(records.length - 1); // lastOffsetDelta
  w.int64(baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(producer.producerId);
  w.int16(producer.producerEpoch);
  w.int32(producer.baseSequence);
  w.int32(records.length);
  w.bytes(payload);
  w.patchInt32(8, w.length - 12);
  const bytes = w.finish();
  new DataView(bytes.buffer).setUint32(17, crc32c(bytes.subarray(CRC_START)));
  return { bytes, recordCount: records.length, baseTimestamp, maxTimestamp };
}

function writeRecord(out: ByteWriter, record: ProducerRecord, offsetDelta: number, timestampDelta: number) {
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

export interface DecodedBatch {
  baseOffset: number;
  compression: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producer: BatchProducerInfo;
  records: LogRecord[];
}

/** Reads the fixed header without checking the CRC or touching the records. */
export function readBatchHeader(bytes: Uint8Array) {
  if (bytes.length < BATCH_HEADER_BYTES)
    throw new CorruptMessageError('record batch shorter than its header');
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

/** Decodes one batch, checking magic, length and CRC-32C; offsets are baseOffset + offsetDelta. */
export function decodeBatch(bytes: Uint8Array, baseOffset: number): DecodedBatch {
  const h = readBatchHeader(bytes);
  if (h.magic !== MAGIC) throw new CorruptMessageError(`unsupported record batch magic ${h.magic}`);
  if (h.batchLength !== bytes.length - 12) {
    throw new CorruptMessageError(
      `record batch length ${h.batchLength} does not match ${bytes.length - 12} bytes`,
    );
  }
  if (crc32c(bytes.subarray(CRC_START)) !== h.crc)
    throw new CorruptMessageError('record batch CRC-32C mismatch');
  const compression = h.attributes & COMPRESSION_MASK;
  const body = decompressRecords(bytes, compression);
  const r = new ByteReader(body);
  const records: LogRecord[] = [];
  const decoder = new TextDecoder();
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const length = r.varint();
      const end = r.pos + length;
      r.int8();
      const timestampDelta = r.varint();
      const offsetDelta = r.varint();
      const key = readNullableBytes(r);
      const value = readNullableBytes(r);
      const headerCount = r.varint();
      const headers: RecordHeader[] = [];
      for (let j = 0; j < headerCount; j++) {
        const keyLength = r.varint();
        headers.push({ key: decoder.decode(r.bytes(keyLength)), value: readNullableBytes(r) });
      }
      if (r.pos !== end) throw new CorruptMessageError(`record ${i} length mismatch`);
      records.push({
        offset: baseOffset + offsetDelta,
        timestamp: h.baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      });
    }
  } catch (err) {
    if (err instanceof CorruptMessageError) throw err;
    throw new CorruptMessageError('record batch is malformed', { cause: err });
  }
  return {
    baseOffset,
    compression,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    producer: h.producer,
    records,
  };
}

function readNullableBytes(r: ByteReader): Uint8Array | null {
  const n = r.varint();
  return n < 0 ? null : r.bytes(n);
}

/** What the append path needs to know of a batch a Kafka client sent, once it is found sound. */
export interface ClientBatchSummary {
  recordCount: number;
  maxTimestamp: number;
  compression: number;
  producer: BatchProducerInfo;
}

/**
 * Checks a RecordBatch a Kafka client sent, before it is stored as sent: magic 2, the length, the
 * CRC-32C, at least one record, lastOffsetDelta = recordCount - 1, and the records themselves
 * (decompressed) walked one by one: their count, their lengths, and offset deltas 0, 1, 2...
 * (the log's offsets are dense, and fetch relies on it). The codes are Kafka's: bytes that do not
 * hold together (length, CRC, compression) are CORRUPT_MESSAGE, as Kafka's CorruptRecordException;
 * a batch that reads but says something false about itself (magic, count, offsets, record sizes)
 * is INVALID_RECORD, as Kafka's InvalidRecordException since KIP-467.
 */
export function checkClientBatch(bytes: Uint8Array): ClientBatchSummary {
  const h = readBatchHeader(bytes);
  if (h.magic !== MAGIC)
    throw new InvalidRecordError(`record batch magic ${h.magic}; only magic 2 is accepted`);
  if (h.batchLength !== bytes.length - 12) {
    throw new CorruptMessageError(
      `record batch length ${h.batchLength} does not match ${bytes.length - 12} bytes`,
    );
  }
  if (crc32c(bytes.subarray(CRC_START)) !== h.crc)
    throw new CorruptMessageError('record batch CRC-32C mismatch');
  if (h.recordCount < 1) throw new InvalidRecordError('a record batch must hold at least one record');
  if (h.lastOffsetDelta !== h.recordCount - 1) {
    throw new InvalidRecordError(
      `lastOffsetDelta ${h.lastOffsetDelta} disagrees with the record count ${h.recordCount}`,
    );
  }
  const compression = h.attributes & COMPRESSION_MASK;
  const body = decompressRecords(bytes, compression);
  const r = new ByteReader(body);
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const length = r.varint();
      const end = r.pos + length;
      if (length < 1 || end > body.length)
        throw new InvalidRecordError(`record ${i} of ${h.recordCount} claims ${length} bytes`);
      r.int8();
      r.varint(); // timestampDelta
      const offsetDelta = r.varint();
      if (offsetDelta !== i) throw new InvalidRecordError(`record ${i} has offset delta ${offsetDelta}`);
      r.pos = end;
    }
  } catch (err) {
    if (err instanceof InvalidRecordError) throw err;
    throw new InvalidRecordError(`record batch ends before its ${h.recordCount} records do`, { cause: err });
  }
  if (r.pos !== body.length) {
    throw new InvalidRecordError(`record batch holds more than the ${h.recordCount} records it counts`);
  }
  return { recordCount: h.recordCount, maxTimestamp: h.maxTimestamp, compression, producer: h.producer };
}

function decompressRecords(batch: Uint8Array, compression: number): Uint8Array {
  const payload = batch.subarray(BATCH_HEADER_BYTES);
  if (compression === 0) return payload;
  try {
    return decompress(compression, payload);
  } catch (err) {
    // Too large to decompress keeps its own code; an unknown codec id (5-7) is corrupt, as in Kafka.
    if (err instanceof MessageTooLargeError) throw err;
    throw new CorruptMessageError('record batch does not decompress', { cause: err });
  }
}

/** Writes the committed base offset into a stored batch, as fetch serves it (outside the CRC). */
export function withBaseOffset(bytes: Uint8Array, baseOffset: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setBigInt64(0, BigInt(baseOffset));
  return copy;
}

/**
 * Writes base offsets into a range of consecutive stored batches, each where the previous one
 * ended, in place: the bytes Kafka fetch serves. Nothing under the CRC changes. Returns how many
 * offsets the range holds.
 */
export function patchBaseOffsets(bytes: Uint8Array, baseOffset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let base = baseOffset;
  while (pos < bytes.length) {
    if (bytes.length - pos < BATCH_HEADER_BYTES)
      throw new CorruptMessageError('trailing bytes after the last batch');
    const length = 12 + view.getInt32(pos + 8);
    if (length < BATCH_HEADER_BYTES || pos + length > bytes.length)
      throw new CorruptMessageError('batch length out of range');
    view.setBigInt64(pos, BigInt(base));
    base += view.getInt32(pos + 23) + 1;
    pos += length;
  }
  return base - baseOffset;
}

/**
 * Decodes a byte range holding one or more consecutive batches of one partition (compaction joins
 * adjacent batches into one range). Offsets are dense, so each batch starts where the last ended.
 */
export function decodeBatches(bytes: Uint8Array, baseOffset: number): LogRecord[] {
  const records: LogRecord[] = [];
  let pos = 0;
  let base = baseOffset;
  while (pos < bytes.length) {
    if (bytes.length - pos < BATCH_HEADER_BYTES)
      throw new CorruptMessageError('trailing bytes after the last batch');
    const length = 12 + new DataView(bytes.buffer, bytes.byteOffset + pos + 8, 4).getInt32(0);
    if (length < BATCH_HEADER_BYTES || pos + length > bytes.length)
      throw new CorruptMessageError('batch length out of range');
    const batch = decodeBatch(bytes.subarray(pos, pos + length), base);
    records.push(...batch.records);
    base += batch.records.length;
    pos += length;
  }
  return records;
}
