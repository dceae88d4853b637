import { describe, expect, it } from 'vitest';
import { collectRecords } from '../../lib/engine/ops/fetch.js';
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
