import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ByteRange,
  type CoalesceLimits,
  coalesceRanges,
  splitRead,
} from '../../lib/engine/storage/byte-ranges.js';

const range = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  offset: fc.nat(2000),
  length: fc.integer({ min: 1, max: 300 }),
});
const limits = fc.record({ maxGapBytes: fc.nat(200), maxReadBytes: fc.integer({ min: 1, max: 1500 }) });

/** The bytes of object `key` at `at`: a pattern that differs by key and offset. */
const byteAt = (key: string, at: number) => (at * 7 + key.charCodeAt(0) * 13) & 0xff;
const objectBytes = (r: ByteRange) =>
  Uint8Array.from({ length: r.length }, (_, i) => byteAt(r.key, r.offset + i));

describe('coalesceRanges', () => {
  it('reads every range exactly once, within a read of its object, with no more than the limits allow', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 40 }), limits, (ranges, lim) => {
        const reads = coalesceRanges(ranges, lim);
        const seen = reads.flatMap((r) => r.parts).sort((a, b) => a - b);
        expect(seen).toEqual(ranges.map((_, i) => i));
        for (const read of reads) {
          expect(read.parts.length).toBeGreaterThan(0);
          if (read.parts.length > 1) expect(read.length).toBeLessThanOrEqual(lim.maxReadBytes);
          const parts = read.parts.map((i) => ranges[i] as ByteRange);
          for (const p of parts) {
            expect(p.key).toBe(read.key);
            expect(p.offset).toBeGreaterThanOrEqual(read.offset);
            expect(p.offset + p.length).toBeLessThanOrEqual(read.offset + read.length);
          }
          // The read starts at its first part and ends at its last...
          expect(Math.min(...parts.map((p) => p.offset))).toBe(read.offset);
          expect(Math.max(...parts.map((p) => p.offset + p.length))).toBe(read.offset + read.length);
          // ...and no stretch of it that no part wants is longer than the gap limit.
          const sorted = [...parts].sort((x, y) => x.offset - y.offset);
          let covered = read.offset;
          for (const p of sorted) {
            expect(p.offset - covered).toBeLessThanOrEqual(lim.maxGapBytes);
            covered = Math.max(covered, p.offset + p.length);
          }
        }
        // Reads come in the order of their first part.
        const firsts = reads.map((r) => r.parts[0] as number);
        expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      }),
    );
  });

  it('does not leave two reads of one object that one read within the limits could cover', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 40 }), limits, (ranges, lim) => {
        const reads = coalesceRanges(ranges, lim);
        for (const key of ['a', 'b', 'c']) {
          const mine = reads.filter((r) => r.key === key).sort((x, y) => x.offset - y.offset);
          for (let i = 1; i < mine.length; i++) {
            const before = mine[i - 1] as (typeof mine)[number];
            const after = mine[i] as (typeof mine)[number];
            // The next read's first range was too far away, or would have grown the read too much.
            const first = after.parts
              .map((p) => ranges[p] as ByteRange)
              .reduce((x, y) => (y.offset < x.offset ? y : x));
            const gap = first.offset - (before.offset + before.length);
            const grown =
              Math.max(before.offset + before.length, first.offset + first.length) - before.offset;
            expect(gap > lim.maxGapBytes || grown > lim.maxReadBytes).toBe(true);
          }
        }
      }),
    );
  });

  it('reads back-to-back ranges of one object in one GET, in any order asked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 30 }),
        fc.nat(1000),
        (lengths, start) => {
          let at = start;
          const ranges = lengths.map((length) => {
            const r = { key: 'seg', offset: at, length };
            at += length;
            return r;
          });
          const reversed = [...ranges].reverse();
          const reads = coalesceRanges(reversed, { maxGapBytes: 0, maxReadBytes: 1 << 20 });
          expect(reads).toHaveLength(1);
          expect(reads[0]).toMatchObject({ key: 'seg', offset: start, length: at - start });
        },
      ),
    );
  });

  it('splits a read into exactly the bytes of each range', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 30 }), limits, (ranges, lim) => {
        for (const read of coalesceRanges(ranges, lim)) {
          const parts = splitRead(read, ranges, objectBytes(read));
          expect([...parts.keys()].sort((a, b) => a - b)).toEqual(read.parts);
          for (const [i, bytes] of parts) expect(bytes).toEqual(objectBytes(ranges[i] as ByteRange));
          // Parts of a shared read are copies: caching one does not pin the whole read.
          if (read.parts.length > 1)
            for (const bytes of parts.values()) expect(bytes.buffer.byteLength).toBe(bytes.length);
        }
      }),
    );
  });

  it('keeps ranges of different objects apart, and a range over the read limit alone', () => {
    const lim: CoalesceLimits = { maxGapBytes: 10, maxReadBytes: 100 };
    const reads = coalesceRanges(
      [
        { key: 'x', offset: 0, length: 50 },
        { key: 'y', offset: 50, length: 50 },
        { key: 'x', offset: 55, length: 40 },
        { key: 'x', offset: 95, length: 200 },
        { key: 'x', offset: 300, length: 10 },
      ],
      lim,
    );
    expect(reads.map((r) => [r.key, r.offset, r.length, r.parts])).toEqual([
      ['x', 0, 95, [0, 2]],
      ['y', 50, 50, [1]],
      ['x', 95, 200, [3]],
      ['x', 300, 10, [4]],
    ]);
  });
});
