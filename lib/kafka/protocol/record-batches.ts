import { crc32c } from '../../engine/codec/crc32c.js';
import { BATCH_HEADER_BYTES } from '../../engine/codec/record-batch.js';
import { CorruptMessageError } from '../../engine/errors.js';

/**
 * The records field of Produce and Fetch stays the client's bytes. This splits such a blob into
 * its RecordBatches (v2, magic 2) and reads each fixed 61-byte header, without touching the
 * records themselves (they may be compressed). Hand-written: record batches are not part of the
 * message schema.
 */

export { BATCH_HEADER_BYTES };

/** baseOffset (8) and batchLength (4) precede the length batchLength counts. */
const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
/** The CRC covers everything from attributes on. */
const CRC_START = 21;

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface RecordBatchView {
  header: RecordBatchHeader;
  /** The whole batch, header included: a view into the blob. */
  bytes: Uint8Array;
}

/** Splits a records blob into batches; a partial batch, a bad length or a magic other than 2 is CORRUPT_MESSAGE. */
export function splitRecordBatches(records: Uint8Array): RecordBatchView[] {
  const batches: RecordBatchView[] = [];
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  while (at < records.length) {
    if (records.length - at < LOG_OVERHEAD + 5) {
      throw new CorruptMessageError(`${records.length - at} bytes at ${at} are too few for a batch`);
    }
    const magic = view.getInt8(at + MAGIC_AT);
    if (magic !== 2) throw new CorruptMessageError(`batch at ${at} has magic ${magic}, not 2`);
    const batchLength = view.getInt32(at + 8);
    const end = at + LOG_OVERHEAD + batchLength;
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD || end > records.length) {
      throw new CorruptMessageError(`batch at ${at} claims ${batchLength} bytes`);
    }
    const bytes = records.subarray(at, end);
    batches.push({ header: readRecordBatchHeader(bytes), bytes });
    at = end;
  }
  return batches;
}

export function readRecordBatchHeader(batch: Uint8Array): RecordBatchHeader {
  if (batch.length < BATCH_HEADER_BYTES)
    throw new CorruptMessageError('record batch shorter than its header');
  const v = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  return {
    baseOffset: v.getBigInt64(0),
    batchLength: v.getInt32(8),
    partitionLeaderEpoch: v.getInt32(12),
    magic: v.getInt8(16),
    crc: v.getUint32(17),
    attributes: v.getInt16(21),
    lastOffsetDelta: v.getInt32(23),
    baseTimestamp: v.getBigInt64(27),
    maxTimestamp: v.getBigInt64(35),
    producerId: v.getBigInt64(43),
    producerEpoch: v.getInt16(51),
    baseSequence: v.getInt32(53),
    recordCount: v.getInt32(57),
  };
}

/** Whether the batch's CRC-32C matches its bytes from the attributes on. */
export function batchCrcMatches(batch: RecordBatchView): boolean {
  return crc32c(batch.bytes.subarray(CRC_START)) === batch.header.crc;
}
