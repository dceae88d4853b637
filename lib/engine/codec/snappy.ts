import { compress as snappyBlock } from 'snappyjs';
import { DecompressionLimitError } from './limit.js';

/**
 * Kafka's snappy comes in two framings: the Java client (snappy-java's SnappyOutputStream) and
 * KafkaJS's snappy plugin write xerial's, a 16-byte header then chunks of a 4-byte big-endian
 * length and a raw Snappy block; librdkafka and @platformatic/kafka write one raw Snappy block. We
 * read both. We write the raw block: every client reads it (snappy-java's SnappyInputStream falls
 * back to a raw block when the header is absent, librdkafka tells them apart, and so do the
 * KafkaJS plugin and kafka-python), while @platformatic/kafka cannot read xerial's framing.
 */

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_BYTES = 16;

export class SnappyFormatError extends Error {}

export function isXerial(data: Uint8Array): boolean {
  return data.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.every((b, i) => data[i] === b);
}

/** One raw Snappy block, as librdkafka writes it. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  return snappyBlock(plain(data));
}

/** A raw Snappy block or a xerial stream, at most `maxBytes` once decompressed (DecompressionLimitError past it). */
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

/**
 * One raw Snappy block (format_description.txt), decoded here with every bound checked: snappyjs,
 * which compresses, answers a truncated block with zeros where the missing bytes were.
 */
function unblock(block: Uint8Array, maxBytes: number): Uint8Array {
  let s = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (s >= block.length || shift > 28) throw new SnappyFormatError('snappy block length unreadable');
    const b = block[s++] as number;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxBytes) throw new DecompressionLimitError(`snappy block declares ${length} bytes`);
  const out = new Uint8Array(length);
  let d = 0;
  while (s < block.length) {
    const tag = block[s++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (s + bytes > block.length) throw new SnappyFormatError('snappy literal length truncated');
        n = 0;
        for (let i = 0; i < bytes; i++) n += (block[s + i] as number) * 2 ** (8 * i);
        s += bytes;
      }
      n += 1;
      if (s + n > block.length || d + n > length) throw new SnappyFormatError('snappy literal out of bounds');
      if (n < 64) for (let i = 0; i < n; i++) out[d++] = block[s++] as number;
      else {
        out.set(block.subarray(s, s + n), d);
        s += n;
        d += n;
      }
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (s + 1 > block.length) throw new SnappyFormatError('snappy copy truncated');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (block[s++] as number);
    } else if (kind === 2) {
      if (s + 2 > block.length) throw new SnappyFormatError('snappy copy truncated');
      n = (tag >>> 2) + 1;
      offset = (block[s] as number) | ((block[s + 1] as number) << 8);
      s += 2;
    } else {
      if (s + 4 > block.length) throw new SnappyFormatError('snappy copy truncated');
      n = (tag >>> 2) + 1;
      offset =
        ((block[s] as number) |
          ((block[s + 1] as number) << 8) |
          ((block[s + 2] as number) << 16) |
          ((block[s + 3] as number) << 24)) >>>
        0;
      s += 4;
    }
    if (offset === 0 || offset > d || d + n > length)
      throw new SnappyFormatError('snappy copy out of bounds');
    // Copies are at most 64 bytes, and may overlap (repeating the last `offset` bytes): byte by byte.
    let m = d - offset;
    const stop = d + n;
    while (d < stop) out[d++] = out[m++] as number;
  }
  if (d !== length) throw new SnappyFormatError(`snappy block holds ${d} of the ${length} bytes it declares`);
  return out;
}

/** snappyjs answers a Buffer with a Buffer and a Uint8Array with a Uint8Array; we hand it the latter. */
function plain(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}
