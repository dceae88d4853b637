import { compressBlock, compressBound } from 'lz4js';
import { hash as xxh32 } from 'lz4js/xxh32.js';
import { DecompressionLimitError } from './limit.js';

/**
 * Kafka's LZ4: the LZ4 frame format (lz4_Frame_format.md), with the header checksum computed over
 * the frame descriptor only (KIP-57; Kafka < 0.10 also hashed the magic, and tolerates that only
 * for message format v0). Blocks are compressed with lz4js; the frame is written and read here,
 * and so are the blocks on the way in: lz4js's own decoder trusts its input (it reads and copies
 * past the ends of a corrupt block), and a client's batch is untrusted input.
 */

const MAGIC = 0x184d2204;
const VERSION = 0x40;
const FLAG_BLOCK_INDEPENDENT = 0x20;
const FLAG_BLOCK_CHECKSUM = 0x10;
const FLAG_CONTENT_SIZE = 0x08;
const FLAG_CONTENT_CHECKSUM = 0x04;
const FLAG_DICTIONARY = 0x01;
const FLAG_RESERVED = 0x02;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** Block maximum sizes by the BD byte's bits 4-6. */
const BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
/** A compressed LZ4 block expands at most this much: a match token and 255-byte length bytes. */
const MAX_EXPANSION = 255;

/** What we write: 64 KiB blocks, independent, no checksums beyond the header's; as the Java client writes. */
const WRITE_BD = 4 << 4;
const WRITE_BLOCK_MAX = BLOCK_MAX[4] as number;
/**
 * Each block we write is 16 bytes short of the declared maximum. lz4js may start a match in a
 * block's last 12 bytes, which the LZ4 format forbids; the reference decoders (librdkafka's,
 * lz4-java's) detect that only when the output buffer ends where the block ends, and they
 * decompress into a buffer of the declared maximum, so a block that stops short of it reads.
 */
const WRITE_BLOCK_BYTES = WRITE_BLOCK_MAX - 16;

export class Lz4FormatError extends Error {}
/** A block decoding past the room it was given: too large for the limit, or corrupt. */
class NoRoom extends Error {}

/** Compression is synchronous, so one hash table and one block buffer serve every call. */
const table = new Uint32Array(1 << 16);
const scratch = new Uint8Array(compressBound(WRITE_BLOCK_BYTES));

/** Kafka's LZ4 frame of `data`. */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const blocks = Math.ceil(data.length / WRITE_BLOCK_BYTES);
  // A block that would not shrink is stored as it is, so none takes more than its length.
  const out = new Uint8Array(7 + blocks * 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  out[4] = VERSION | FLAG_BLOCK_INDEPENDENT;
  out[5] = WRITE_BD;
  out[6] = (xxh32(0, out, 4, 2) >>> 8) & 0xff;
  let at = 7;
  for (let from = 0; from < data.length; from += WRITE_BLOCK_BYTES) {
    const length = Math.min(WRITE_BLOCK_BYTES, data.length - from);
    // Independent blocks: no match may reach into the block before, so the table starts empty.
    table.fill(0);
    const block = data.subarray(from, from + length);
    const size = compressBlock(block, scratch, 0, length, table);
    if (size === 0 || size >= length) {
      view.setUint32(at, (BLOCK_UNCOMPRESSED | length) >>> 0, true);
      out.set(block, at + 4);
      at += 4 + length;
    } else {
      view.setUint32(at, size, true);
      out.set(scratch.subarray(0, size), at + 4);
      at += 4 + size;
    }
  }
  view.setUint32(at, 0, true);
  return out.subarray(0, at + 4);
}

/**
 * Reads one LZ4 frame (Kafka's batches hold exactly one). Checks the magic, the descriptor and its
 * checksum, block and content checksums when present, and every block's bounds; `maxBytes` caps
 * the output. Throws Lz4FormatError on any fault, DecompressionLimitError past `maxBytes`.
 */
export function lz4Decompress(src: Uint8Array, maxBytes: number): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 7 || view.getUint32(0, true) !== MAGIC) throw new Lz4FormatError('not an LZ4 frame');
  const flags = src[4] as number;
  const bd = src[5] as number;
  if ((flags & 0xc0) !== VERSION) throw new Lz4FormatError(`LZ4 frame version ${flags >> 6}`);
  if (flags & FLAG_RESERVED || bd & 0x8f) throw new Lz4FormatError('LZ4 frame reserved bits set');
  if (flags & FLAG_DICTIONARY) throw new Lz4FormatError('LZ4 frame needs a dictionary');
  const blockMax = BLOCK_MAX[(bd >> 4) & 7];
  if (blockMax === undefined) throw new Lz4FormatError(`LZ4 block size code ${(bd >> 4) & 7}`);
  let at = 6;
  let contentSize = -1;
  if (flags & FLAG_CONTENT_SIZE) {
    if (src.length < 15) throw new Lz4FormatError('LZ4 frame header truncated');
    const size = view.getBigUint64(6, true);
    if (size > BigInt(maxBytes)) throw new DecompressionLimitError(`LZ4 frame declares ${size} bytes`);
    contentSize = Number(size);
    at = 14;
  }
  if (((xxh32(0, src, 4, at - 4) >>> 8) & 0xff) !== src[at])
    throw new Lz4FormatError('LZ4 frame header checksum mismatch');
  at++;
  const blockChecksums = (flags & FLAG_BLOCK_CHECKSUM) !== 0;

  // Size the output from the block headers before decoding any: at most each block's maximum.
  let bound = 0;
  for (let p = at; ; ) {
    if (p + 4 > src.length) throw new Lz4FormatError('LZ4 frame truncated');
    const word = view.getUint32(p, true);
    if (word === 0) break;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (size > blockMax) throw new Lz4FormatError(`LZ4 block of ${size} bytes over ${blockMax}`);
    bound += word & BLOCK_UNCOMPRESSED ? size : Math.min(blockMax, size * MAX_EXPANSION);
    p += 4 + size + (blockChecksums ? 4 : 0);
  }
  // The bound can exceed the limit while the content does not: decoding past the buffer says which.
  const out = new Uint8Array(contentSize >= 0 ? contentSize : Math.min(bound, maxBytes));
  const noRoom = (needed: number) =>
    out.length === maxBytes && needed > maxBytes
      ? new DecompressionLimitError(`LZ4 frame holds more than ${maxBytes} bytes`)
      : new Lz4FormatError('LZ4 frame holds more than its blocks or its header declare');

  let written = 0;
  for (;;) {
    const word = view.getUint32(at, true);
    at += 4;
    if (word === 0) break;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (at + size + (blockChecksums ? 4 : 0) > src.length) throw new Lz4FormatError('LZ4 block truncated');
    if (blockChecksums && xxh32(0, src, at, size) !== view.getUint32(at + size, true))
      throw new Lz4FormatError('LZ4 block checksum mismatch');
    if (word & BLOCK_UNCOMPRESSED) {
      if (written + size > out.length) throw noRoom(written + size);
      out.set(src.subarray(at, at + size), written);
      written += size;
    } else {
      const limit = Math.min(out.length, written + blockMax);
      try {
        written = decodeBlock(src, at, at + size, out, written, limit);
      } catch (err) {
        if (err instanceof NoRoom && limit === out.length) throw noRoom(out.length + 1);
        throw err instanceof NoRoom ? new Lz4FormatError('LZ4 block decodes past its maximum size') : err;
      }
    }
    at += size + (blockChecksums ? 4 : 0);
  }
  if (contentSize >= 0 && written !== contentSize)
    throw new Lz4FormatError(`LZ4 frame holds ${written} bytes, declares ${contentSize}`);
  if (flags & FLAG_CONTENT_CHECKSUM) {
    if (at + 4 > src.length) throw new Lz4FormatError('LZ4 content checksum missing');
    if (xxh32(0, out, 0, written) !== view.getUint32(at, true))
      throw new Lz4FormatError('LZ4 content checksum mismatch');
    at += 4;
  }
  if (at !== src.length) throw new Lz4FormatError(`${src.length - at} bytes after the LZ4 frame`);
  return out.subarray(0, written);
}

/**
 * Decodes one LZ4 block of src[from, end) into dst at `d`, writing no further than `limit`.
 * Matches may reach back into earlier blocks (frames with dependent blocks), never before dst's start.
 */
function decodeBlock(src: Uint8Array, from: number, end: number, dst: Uint8Array, d: number, limit: number) {
  let s = from;
  while (s < end) {
    const token = src[s++] as number;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4FormatError('LZ4 literal length truncated');
        b = src[s++] as number;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) throw new Lz4FormatError('LZ4 literals overrun the block');
    if (d + literals > limit) throw new NoRoom();
    if (literals < 64) for (let i = 0; i < literals; i++) dst[d++] = src[s++] as number;
    else {
      dst.set(src.subarray(s, s + literals), d);
      s += literals;
      d += literals;
    }
    // The last sequence of a block is literals only.
    if (s === end) break;
    if (s + 2 > end) throw new Lz4FormatError('LZ4 match offset truncated');
    const offset = (src[s] as number) | ((src[s + 1] as number) << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new Lz4FormatError(`LZ4 match offset ${offset} out of range`);
    let length = token & 15;
    if (length === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4FormatError('LZ4 match length truncated');
        b = src[s++] as number;
        length += b;
      } while (b === 255);
    }
    length += 4;
    if (d + length > limit) throw new NoRoom();
    let m = d - offset;
    if (offset >= length && length >= 64) {
      dst.copyWithin(d, m, m + length);
      d += length;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they go a byte at a time.
      const stop = d + length;
      while (d < stop) dst[d++] = dst[m++] as number;
    }
  }
  return d;
}
