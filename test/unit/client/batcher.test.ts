import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  MAX_PARTITIONS_PER_REQUEST,
  MAX_RECORDS_PER_REQUEST,
  type PartitionQueue,
  PendingRecord,
  type RecordSink,
} from '../../../lib/client/batcher.js';
import { encodeRecordBatches } from '../../../lib/client/record-batches.js';

const sink: RecordSink = { ack() {}, fail() {} };

function rec(
  partition: number,
  value: string | Uint8Array | null,
  opts: { key?: string; compression?: string } = {},
) {
  return new PendingRecord(
    't',
    partition,
    opts.key ?? null,
    value,
    undefined,
    undefined,
    sink,
    0,
    0,
    opts.compression,
  );
}

function queues(
  spec: number[][],
  make: (p: number, i: number) => PendingRecord = (p, i) => rec(p, `v${p}-${i}`),
) {
  return spec.map(
    ([partition, count]) =>
      ({
        topic: 't',
        partition,
        records: Array.from({ length: count as number }, (_, i) => make(partition as number, i)),
      }) as PartitionQueue,
  );
}

const bytes = (s: string) => new TextEncoder().encode(s).length;
const limits = {
  maxBytes: 6_000_000,
  maxRecords: MAX_RECORDS_PER_REQUEST,
  maxPartitions: MAX_PARTITIONS_PER_REQUEST,
};

describe('buildRequest', () => {
  it('takes every waiting record when they fit, in queue order', () => {
    const req = buildRequest(
      queues([
        [0, 2],
        [3, 1],
      ]),
      limits,
    );
    expect(req?.records.map((r) => r.partition)).toEqual([0, 0, 3]);
    expect(req?.taken).toEqual([2, 1]);
    expect(req?.partitions).toEqual([0, 3]);
    const body = JSON.parse(req?.body as string);
    expect(body).toEqual({
      records: [
        { partition: 0, value: 'v0-0' },
        { partition: 0, value: 'v0-1' },
        { partition: 3, value: 'v3-0' },
      ],
    });
    expect(req?.bytes).toBe(bytes(req?.body as string));
  });

  it('touches at most 49 partitions', () => {
    const qs = queues(Array.from({ length: 120 }, (_, p) => [p, 2]));
    const req = buildRequest(qs, limits);
    expect(req?.partitions).toHaveLength(49);
    expect(req?.records).toHaveLength(98);
    expect(req?.taken.filter((n) => n > 0)).toHaveLength(49);
  });

  it('holds at most 10,000 records, cutting a queue at its front', () => {
    const req = buildRequest(
      queues([
        [0, 6000],
        [1, 6000],
      ]),
      limits,
    );
    expect(req?.records).toHaveLength(10_000);
    expect(req?.taken).toEqual([6000, 4000]);
  });

  it('stays within the byte limit and counts the body exactly', () => {
    const big = 'x'.repeat(1000);
    const qs = queues(
      [
        [0, 50],
        [1, 50],
      ],
      (p) => rec(p, big),
    );
    const req = buildRequest(qs, { ...limits, maxBytes: 20_000 });
    expect(req?.bytes).toBeLessThanOrEqual(20_000);
    expect(req?.bytes).toBe(bytes(req?.body as string));
    expect(req?.records.length).toBe(19);
  });

  it('sends a single record over the limit alone (the server then rejects it clearly)', () => {
    const qs = queues([[0, 2]], (p) => rec(p, 'y'.repeat(5000)));
    const req = buildRequest(qs, { ...limits, maxBytes: 1000 });
    expect(req?.records).toHaveLength(1);
  });

  it('switches the whole request to base64 when a record holds bytes, re-counting', () => {
    const qs: PartitionQueue[] = [
      {
        topic: 't',
        partition: 0,
        records: [rec(0, 'héllo', { key: 'k' }), rec(0, new Uint8Array([0, 255, 1]))],
      },
    ];
    const req = buildRequest(qs, limits);
    const body = JSON.parse(req?.body as string);
    expect(body.encoding).toBe('base64');
    expect(Buffer.from(body.records[0].value, 'base64').toString('utf8')).toBe('héllo');
    expect(Buffer.from(body.records[0].key, 'base64').toString('utf8')).toBe('k');
    expect([...Buffer.from(body.records[1].value, 'base64')]).toEqual([0, 255, 1]);
    expect(req?.bytes).toBe(bytes(req?.body as string));
  });

  it('keeps text as text (UTF-8 counted in bytes) when no record holds bytes', () => {
    const req = buildRequest([{ topic: 't', partition: 0, records: [rec(0, 'ü€😀')] }], limits);
    expect(JSON.parse(req?.body as string)).toEqual({ records: [{ partition: 0, value: 'ü€😀' }] });
    expect(req?.bytes).toBe(bytes(req?.body as string));
  });

  it('gives each request one compression', () => {
    const qs: PartitionQueue[] = [
      {
        topic: 't',
        partition: 0,
        records: [rec(0, 'a', { compression: 'gzip' }), rec(0, 'b', { compression: 'none' })],
      },
    ];
    const req = buildRequest(qs, limits);
    expect(req?.records).toHaveLength(1);
    expect(JSON.parse(req?.body as string).compression).toBe('gzip');
  });

  it('returns nothing when nothing waits', () => {
    expect(buildRequest([{ topic: 't', partition: 0, records: [] }], limits)).toBeUndefined();
  });

  it('property: limits hold, each queue gives a prefix, the body is exact JSON of the taken records', () => {
    const payload = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(payload, { minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 70 }),
        fc.integer({ min: 200, max: 30_000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 60 }),
        (values, maxBytes, maxRecords, maxPartitions) => {
          const qs: PartitionQueue[] = values.map((vs, partition) => ({
            topic: 't',
            partition,
            records: vs.map((v) => rec(partition, v)),
          }));
          const req = buildRequest(qs, { maxBytes, maxRecords, maxPartitions });
          const total = values.reduce((n, vs) => n + vs.length, 0);
          if (total === 0) {
            expect(req).toBeUndefined();
            return;
          }
          if (!req) throw new Error('expected a request');
          expect(req.records.length).toBeGreaterThan(0);
          expect(req.records.length).toBeLessThanOrEqual(maxRecords);
          expect(req.partitions.length).toBeLessThanOrEqual(maxPartitions);
          expect(req.bytes).toBe(bytes(req.body));
          if (req.records.length > 1) expect(req.bytes).toBeLessThanOrEqual(maxBytes);
          // Prefixes, in queue order.
          let i = 0;
          req.taken.forEach((n, qi) => {
            for (let k = 0; k < n; k++) expect(req.records[i++]).toBe(qs[qi]?.records[k]);
          });
          expect(i).toBe(req.records.length);
          const body = JSON.parse(req.body);
          expect(body.records).toHaveLength(req.records.length);
          expect(body.encoding === 'base64').toBe(req.records.some((r) => r.binary));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('buildRequest for the binary path', () => {
  const binary = { ...limits, binary: true };

  it('sizes records by their batch bound, builds no JSON, and bounds each encoded batch', () => {
    const qs = queues(
      [
        [0, 3],
        [1, 2],
      ],
      (p, i) => rec(p, new Uint8Array(100 + i), { key: `k${i}` }),
    );
    const req = buildRequest(qs, binary);
    expect(req?.body).toBe('');
    expect(req?.base64).toBe(false);
    expect(req?.partitions).toEqual([0, 1]);
    const bound = (req?.records ?? []).reduce((n, r) => n + r.binarySize, 0) + 2 * 61;
    expect(req?.bytes).toBe(bound);
    for (const q of qs) {
      const encoded = encodeRecordBatches(q.records);
      expect(encoded.length).toBeLessThanOrEqual(q.records.reduce((n, r) => n + r.binarySize, 61));
    }
  });

  it('stops at maxBytes, taking at least one record', () => {
    const qs = queues([[0, 10]], (p) => rec(p, 'x'.repeat(1000)));
    const one = qs[0]?.records[0] as PendingRecord;
    const req = buildRequest(qs, { ...binary, maxBytes: 61 + 3 * one.binarySize });
    expect(req?.taken).toEqual([3]);
    const tiny = buildRequest(qs, { ...binary, maxBytes: 1 });
    expect(tiny?.taken).toEqual([1]);
  });

  it('keeps one compression per request', () => {
    const req = buildRequest(
      queues([[0, 3]], (p, i) => rec(p, `v${i}`, { compression: i === 2 ? 'gzip' : 'none' })),
      binary,
    );
    expect(req?.taken).toEqual([2]);
  });
});
