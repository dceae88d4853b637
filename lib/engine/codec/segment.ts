import { CorruptMessageError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32c } from './crc32c.js';

/**
 * A segment object: what one produce request wrote, for every partition it touched.
 *
 *   header  "STRS" | version u16 | flags u16 | batch count u32 | reserved u32      (16 bytes)
 *   batches RecordBatch v2, back to back, baseOffset 0
 *   footer  JSON { batches: SegmentBatchRef[] }                                     (UTF-8)
 *   trailer footer length u32 | footer CRC-32C u32 | "STRE"                          (12 bytes)
 *
 * The index in DynamoDB points straight at byte ranges, so reads never need the footer; the
 * header and footer make the object self-describing for compaction, cleanup and forensics.
 */
export const SEGMENT_HEADER_BYTES = 16;
const TRAILER_BYTES = 12;
const HEADER_MAGIC = 0x53545253; // "STRS"
const TRAILER_MAGIC = 0x53545245; // "STRE"
const VERSION = 1;

export interface SegmentBatchRef {
  topic: string;
  topicId: string;
  partition: number;
  byteOffset: number;
  byteLength: number;
  recordCount: number;
  maxTimestamp: number;
}

export class SegmentWriter {
  private readonly out: ByteWriter;
  private readonly refs: SegmentBatchRef[] = [];

  /**
   * `batchBytes`: how many bytes of batches will be added, when known, so that the buffer is
   * allocated once (a flush of 8 MiB would otherwise be copied at every doubling).
   */
  constructor(batchBytes = 0) {
    this.out = new ByteWriter(batchBytes + 64 * 1024);
    this.out.uint32(HEADER_MAGIC).int16(VERSION).int16(0).uint32(0).uint32(0);
  }

  /**
   * Appends encoded batches of one partition, back to back, and returns where they sit in the
   * object (one range: one index entry).
   */
  add(
    ref: Omit<SegmentBatchRef, 'byteOffset' | 'byteLength'>,
    batches: Uint8Array | readonly Uint8Array[],
  ): SegmentBatchRef {
    const byteOffset = this.out.length;
    for (const batch of batches instanceof Uint8Array ? [batches] : batches) this.out.bytes(batch);
    const full = { ...ref, byteOffset, byteLength: this.out.length - byteOffset };
    this.refs.push(full);
    return full;
  }

  get batches(): readonly SegmentBatchRef[] {
    return this.refs;
  }

  finish(): Uint8Array {
    this.out.patchUint32(8, this.refs.length);
    const footer = new TextEncoder().encode(JSON.stringify({ batches: this.refs }));
    this.out.bytes(footer).uint32(footer.length).uint32(crc32c(footer)).uint32(TRAILER_MAGIC);
    return this.out.finish();
  }
}

/** Reads the footer of a whole segment object. */
export function readSegmentFooter(bytes: Uint8Array): SegmentBatchRef[] {
  if (bytes.length < SEGMENT_HEADER_BYTES + TRAILER_BYTES) throw new CorruptMessageError('segment too short');
  const head = new ByteReader(bytes);
  if (head.uint32() !== HEADER_MAGIC)
    throw new CorruptMessageError('not a Strata segment (bad header magic)');
  const version = head.int16();
  if (version !== VERSION) throw new CorruptMessageError(`unsupported segment version ${version}`);
  const tail = new ByteReader(bytes, bytes.length - TRAILER_BYTES);
  const footerLength = tail.uint32();
  const footerCrc = tail.uint32();
  if (tail.uint32() !== TRAILER_MAGIC) throw new CorruptMessageError('segment trailer magic mismatch');
  const start = bytes.length - TRAILER_BYTES - footerLength;
  if (start < SEGMENT_HEADER_BYTES) throw new CorruptMessageError('segment footer length out of range');
  const footer = bytes.subarray(start, start + footerLength);
  if (crc32c(footer) !== footerCrc) throw new CorruptMessageError('segment footer CRC-32C mismatch');
  return (JSON.parse(new TextDecoder().decode(footer)) as { batches: SegmentBatchRef[] }).batches;
}
