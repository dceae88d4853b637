import { describe, expect, it } from 'vitest';
import { collectRange, collectRecords } from '../../lib/engine/ops/fetch.js';
import type { LogRecord } from '../../lib/engine/types.js';

const rec = (offset: number, value = 'v'): LogRecord => ({
  offset,
  timestamp: 0,
  key: null,
  value: new TextEncoder().encode(value),
  headers: [],
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => rec(from + i));
const limits = { maxRecords: 1000, maxBytes: 1 << 20 };
const offsets = (rs: LogRecord[]) => rs.map((r) => r.offset);

describe('collectRecords', () => {
  it('starts in the middle of a batch and stops at the high watermark', () => {
    expect(offsets(collectRecords([range(0, 10), range(10, 15)], 7, 12, limits))).toEqual([7, 8, 9, 10, 11]);
  });

  it('drops offsets repeated by a later index page (a compaction swapped entries between pages)', () => {
    // Page 1 read entries for 0-31; page 2 found the merged entry covering 24-39.
    const got = collectRecords([range(0, 32), range(24, 40)], 0, 40, limits);
    expect(offsets(got)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('ends the response at a gap rather than skipping offsets', () => {
    expect(offsets(collectRecords([range(0, 5), range(8, 10)], 0, 10, limits))).toEqual([0, 1, 2, 3, 4]);
  });

  it('honours maxRecords, and maxBytes softly (at least one record)', () => {
    expect(offsets(collectRecords([range(0, 10)], 2, 10, { maxRecords: 3, maxBytes: 1 << 20 }))).toEqual([
      2, 3, 4,
    ]);
    expect(offsets(collectRecords([range(0, 10)], 2, 10, { maxRecords: 10, maxBytes: 0 }))).toEqual([2]);
  });
});

describe('collectRange (gaps from compaction by key)', () => {
  const at = (...os: number[]) => os.map((o) => rec(o));
  it('skips removed offsets inside a sparse entry and moves past its end', () => {
    const spans = [
      { baseOffset: 0, lastOffset: 9, sparse: true },
      { baseOffset: 10, lastOffset: 14 },
    ];
    const got = collectRange([at(2, 7), range(10, 15)], spans, 3, 15, limits);
    expect(offsets(got.records)).toEqual([7, 10, 11, 12, 13, 14]);
    expect(got.nextOffset).toBe(15);
  });
  it('a fetch past the last survivor of a sparse entry answers the entry end as nextOffset', () => {
    const got = collectRange([at(2)], [{ baseOffset: 0, lastOffset: 9, sparse: true }], 5, 12, limits);
    expect(got.records).toEqual([]);
    expect(got.nextOffset).toBe(10);
  });
  it('a gap between entries still ends the answer; limits still apply', () => {
    const spans = [
      { baseOffset: 0, lastOffset: 4, sparse: true },
      { baseOffset: 8, lastOffset: 9 },
    ];
    expect(collectRange([at(1, 3), range(8, 10)], spans, 0, 10, limits).nextOffset).toBe(5);
    const limited = collectRange([at(1, 3)], [spans[0] as (typeof spans)[0]], 0, 10, {
      maxRecords: 1,
      maxBytes: 1 << 20,
    });
    expect(offsets(limited.records)).toEqual([1]);
    expect(limited.nextOffset).toBe(2);
  });
});
