import {
  BATCH_CRC_START,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC,
  type BatchHeader,
  type BatchProducerInfo,
  COMPRESSION_MASK,
  decodeRecords,
  encodeRecords,
  frameBatch,
  NO_PRODUCER,
  RecordBatchFormatError,
  readBatchHeader as readHeader,
  timestampsOf,
} from '../../contract/record-batch.js';
import { CorruptMessageError, InvalidRecordError, MessageTooLargeError } from '../errors.js';
import type { LogRecord, ProducerRecord } from '../types.js';
import { ByteReader } from './bytes.js';
import { compress, decompress } from './compression.js';
import { crc32c } from './crc32c.js';

/**
 * Kafka RecordBatch v2 (magic 2) on the server: the layout, the encoder of records and the reader
 * are the contract's (lib/contract/record-batch.ts, shared with the client); here are compression,
 * Kafka's error codes and the checks of a batch a client sent. Batches are stored with baseOffset
 * 0; the commit decides the real base offset and fetch writes it back in. baseOffset and
 * partitionLeaderEpoch sit before the CRC'd region, so the bytes fetch serves stay valid.
 */
export { BATCH_HEADER_BYTES, type BatchProducerInfo, COMPRESSION_MASK, NO_PRODUCER };

const MAGIC = BATCH_MAGIC;
const CRC_START = BATCH_CRC_START;

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
  const payload = compress(compression, encodeRecords(records));
  const { baseTimestamp, maxTimestamp } = timestampsOf(records);
  const bytes = frameBatch(payload, {
    recordCount: records.length,
    baseTimestamp,
    maxTimestamp,
    compression,
    producer,
  });
  return { bytes, recordCount: records.length, baseTimestamp, maxTimestamp };
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
export function readBatchHeader(bytes: Uint8Array): BatchHeader {
  try {
    return readHeader(bytes);
  } catch (err) {
    throw new CorruptMessageError((err as Error).message, { cause: err });
  }
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
  let records: LogRecord[];
  try {
    records = decodeRecords(body, h.recordCount, baseOffset, h.baseTimestamp);
  } catch (err) {
    if (err instanceof RecordBatchFormatError) throw new CorruptMessageError(err.message, { cause: err });
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
 * is INVALID_RECORD, as Kafka's InvalidRecordException since KIP-467. With `requireKeys` (a
 * compacted topic), a record with a null key is INVALID_RECORD too, as Kafka refuses it.
 */
export function checkClientBatch(
  bytes: Uint8Array,
  options: { requireKeys?: boolean } = {},
): ClientBatchSummary {
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
      // A compacted topic keeps the latest record of each key: a keyless record has no place in it.
      if (options.requireKeys && r.varint() < 0) {
        throw new InvalidRecordError(
          `record ${i} has a null key; a compacted topic (cleanup.policy includes compact) accepts keyed records only`,
        );
      }
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

/** One batch of a stored range: where it starts in the range, its bytes, and its base offset. */
export interface RangeBatch {
  at: number;
  bytes: Uint8Array;
  baseOffset: number;
}

/**
 * The batches of a byte range holding one or more consecutive batches of one partition
 * (compaction joins adjacent batches into one range). Offsets are dense, so each batch starts
 * where the last ended (lastOffsetDelta + 1 further on); in a sparse range (compaction by key,
 * see key-compaction.ts, left gaps) each batch carries its own absolute base offset instead.
 */
export function* rangeBatches(bytes: Uint8Array, baseOffset: number, sparse = false): Generator<RangeBatch> {
  let pos = 0;
  let base = baseOffset;
  while (pos < bytes.length) {
    if (bytes.length - pos < BATCH_HEADER_BYTES)
      throw new CorruptMessageError('trailing bytes after the last batch');
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, BATCH_HEADER_BYTES);
    const length = 12 + view.getInt32(8);
    if (length < BATCH_HEADER_BYTES || pos + length > bytes.length)
      throw new CorruptMessageError('batch length out of range');
    if (sparse) base = Number(view.getBigInt64(0));
    yield { at: pos, bytes: bytes.subarray(pos, pos + length), baseOffset: base };
    base += view.getInt32(23) + 1;
    pos += length;
  }
}

/**
 * Writes base offsets into a range of consecutive stored batches, in place: the bytes Kafka fetch
 * serves. Nothing under the CRC changes. Returns how many offsets the range holds. A sparse range
 * already carries each batch's absolute base offset, and is left as it is.
 */
export function patchBaseOffsets(bytes: Uint8Array, baseOffset: number, sparse = false): number {
  let end = baseOffset;
  for (const batch of rangeBatches(bytes, baseOffset, sparse)) {
    const view = new DataView(batch.bytes.buffer, batch.bytes.byteOffset, BATCH_HEADER_BYTES);
    if (!sparse) view.setBigInt64(0, BigInt(batch.baseOffset));
    end = batch.baseOffset + view.getInt32(23) + 1;
  }
  return end - baseOffset;
}

/** Decodes every record of a stored range (see rangeBatches), at their offsets. */
export function decodeBatches(bytes: Uint8Array, baseOffset: number, sparse = false): LogRecord[] {
  const records: LogRecord[] = [];
  for (const batch of rangeBatches(bytes, baseOffset, sparse)) {
    records.push(...decodeBatch(batch.bytes, batch.baseOffset).records);
  }
  return records;
}
