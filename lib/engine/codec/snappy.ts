import { compress as snappyBlock, uncompress as snappyUnblock } from 'snappyjs';

/**
 * Kafka's snappy comes in two framings: the Java client (snappy-java's SnappyOutputStream) and
 * KafkaJS's snappy plugin write xerial's, a 16-byte header then chunks of a 4-byte big-endian length
 * and a raw Snappy block; librdkafka writes one raw Snappy block. Every client reads both
 * (SnappyInputStream falls back to a raw block when the header is absent; librdkafka checks for the
 * header, rd_kafka_snappy_java_uncompress), so we read both, and write xerial's: what the Java
 * client writes is what every Kafka consumer has been made to read.
 */

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's default block size: one chunk per 32 KiB of input. */
const XERIAL_CHUNK = 32 * 1024;

export class SnappyFormatError extends Error {}

export function isXerial(data: Uint8Array): boolean {
  return data.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.every((b, i) => data[i] === b);
}

/** xerial-framed Snappy: the header (version 1, compatible with 1), then one chunk per 32 KiB. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = XERIAL_HEADER_BYTES;
  for (let from = 0; from < data.length; from += XERIAL_CHUNK) {
    const chunk = snappyBlock(plain(data.subarray(from, from + XERIAL_CHUNK)));
    chunks.push(chunk);
    total += 4 + chunk.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(XERIAL_MAGIC);
  view.setInt32(8, 1);
  view.setInt32(12, 1);
  let at = XERIAL_HEADER_BYTES;
  for (const chunk of chunks) {
    view.setInt32(at, chunk.length);
    out.set(chunk, at + 4);
    at += 4 + chunk.length;
  }
  return out;
}

/** A raw Snappy block or a xerial stream, at most `maxBytes` once decompressed (RangeError past it). */
export function snappyDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  if (!isXerial(data)) return unblock(data, maxBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new SnappyFormatError('xerial chunk length truncated');
    const length = view.getInt32(at);
    at += 4;
    if (length < 0 || at + length > data.length)
      throw new SnappyFormatError(`xerial chunk of ${length} bytes overruns the stream`);
    const part = unblock(data.subarray(at, at + length), maxBytes - total);
    parts.push(part);
    total += part.length;
    at += length;
  }
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let written = 0;
  for (const part of parts) {
    out.set(part, written);
    written += part.length;
  }
  return out;
}

function unblock(block: Uint8Array, maxBytes: number): Uint8Array {
  const declared = declaredLength(block);
  if (declared > maxBytes) throw new RangeError(`snappy block declares ${declared} bytes`);
  try {
    return snappyUnblock(plain(block), maxBytes);
  } catch (err) {
    throw new SnappyFormatError('not a valid snappy block', { cause: err });
  }
}

/** The uncompressed length a raw block starts with (a little-endian base-128 varint). */
function declaredLength(block: Uint8Array): number {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i] as number;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return length;
  }
  throw new SnappyFormatError('snappy block length unreadable');
}

/** snappyjs answers a Buffer with a Buffer and a Uint8Array with a Uint8Array; we hand it the latter. */
function plain(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}
