/** A byte range of one object: [offset, offset + length). */
export interface ByteRange {
  key: string;
  offset: number;
  length: number;
}

/** One ranged GET covering some of the wanted ranges (`parts`: their indices in the input). */
export interface CoalescedRead extends ByteRange {
  parts: number[];
}

export interface CoalesceLimits {
  /** Unwanted bytes one read may span between two wanted ranges (read and thrown away). */
  maxGapBytes: number;
  /** A read grows to at most this many bytes; a single wanted range larger than this is read alone. */
  maxReadBytes: number;
}

/**
 * Plans the GETs for `ranges`: ranges of one object that touch, overlap, or lie at most
 * `maxGapBytes` apart are read together, up to `maxReadBytes` per read. Each read starts at its
 * first part and ends at its last (no bytes outside the parts but the gaps between them); every
 * input range is a part of exactly one read. Reads come in the order of their first part.
 */
export function coalesceRanges(ranges: readonly ByteRange[], limits: CoalesceLimits): CoalescedRead[] {
  const byKey = new Map<string, number[]>();
  ranges.forEach((r, i) => {
    const list = byKey.get(r.key);
    if (list) list.push(i);
    else byKey.set(r.key, [i]);
  });
  const reads: CoalescedRead[] = [];
  for (const [key, indices] of byKey) {
    indices.sort((a, b) => {
      const ra = ranges[a] as ByteRange;
      const rb = ranges[b] as ByteRange;
      return ra.offset - rb.offset || ra.length - rb.length || a - b;
    });
    let read: CoalescedRead | undefined;
    for (const i of indices) {
      const r = ranges[i] as ByteRange;
      const end = r.offset + r.length;
      if (read) {
        const readEnd = read.offset + read.length;
        const grown = Math.max(readEnd, end) - read.offset;
        if (r.offset - readEnd <= limits.maxGapBytes && grown <= limits.maxReadBytes) {
          read.length = grown;
          read.parts.push(i);
          continue;
        }
      }
      read = { key, offset: r.offset, length: r.length, parts: [i] };
      reads.push(read);
    }
  }
  for (const read of reads) read.parts.sort((a, b) => a - b);
  return reads.sort((a, b) => (a.parts[0] as number) - (b.parts[0] as number));
}

/**
 * The bytes of each part of `read`, cut from the bytes of the whole read. A read of several parts
 * yields copies, so that caching one part does not keep the whole read (and its gaps) in memory.
 */
export function splitRead(
  read: CoalescedRead,
  ranges: readonly ByteRange[],
  bytes: Uint8Array,
): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (read.parts.length === 1) {
    out.set(read.parts[0] as number, bytes);
    return out;
  }
  for (const i of read.parts) {
    const r = ranges[i] as ByteRange;
    const from = r.offset - read.offset;
    out.set(i, bytes.slice(from, from + r.length));
  }
  return out;
}
