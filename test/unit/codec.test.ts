import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionType, supportedCompressions } from '../../lib/engine/codec/compression.js';
import {
  decodeBatch,
  encodeBatch,
  readBatchHeader,
  withBaseOffset,
} from '../../lib/engine/codec/record-batch.js';
import { readSegmentFooter, SegmentWriter } from '../../lib/engine/codec/segment.js';
import { CorruptMessageError } from '../../lib/engine/errors.js';
import type { ProducerRecord } from '../../lib/engine/types.js';

const bytes = fc.uint8Array({ maxLength: 300 });
const record: fc.Arbitrary<ProducerRecord> = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.array(
    fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(bytes, { nil: null }) }),
    {
      maxLength: 4,
    },
  ),
  timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
});
const compression = fc.constantFrom(...supportedCompressions().map((name) => CompressionType[name]));

describe('RecordBatch v2 codec', () => {
  it('round-trips records, headers, nulls and timestamps at any base offset', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        compression,
        fc.integer({ min: 0, max: 2 ** 48 }),
        (records, codec, base) => {
          const batch = encodeBatch(records, codec);
          const decoded = decodeBatch(withBaseOffset(batch.bytes, base), base);
          expect(decoded.records).toEqual(records.map((r, i) => ({ ...r, offset: base + i })));
          expect(decoded.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
          expect(decoded.compression).toBe(codec);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lays the header out as Kafka does', () => {
    const batch = encodeBatch([
      { key: null, value: new Uint8Array([1]), headers: [], timestamp: 1000 },
      { key: null, value: new Uint8Array([2]), headers: [], timestamp: 900 },
    ]);
    const h = readBatchHeader(withBaseOffset(batch.bytes, 42));
    expect(h).toMatchObject({ baseOffset: 42, magic: 2, lastOffsetDelta: 1, recordCount: 2 });
    expect(h.batchLength).toBe(batch.bytes.length - 12);
    expect(h.baseTimestamp).toBe(1000);
    expect(h.maxTimestamp).toBe(1000);
  });

  it('keeps the CRC valid when the base offset is injected (it sits outside the CRC)', () => {
    const batch = encodeBatch([{ key: null, value: new Uint8Array([7]), headers: [], timestamp: 1 }]);
    expect(() => decodeBatch(withBaseOffset(batch.bytes, 123456789), 123456789)).not.toThrow();
  });

  it('rejects any flipped byte inside the CRC region', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 5 }),
        compression,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (records, codec, pos, mask) => {
          const { bytes } = encodeBatch(records, codec);
          const corrupt = bytes.slice();
          const at = 21 + (pos % (bytes.length - 21));
          corrupt[at] = (corrupt[at] as number) ^ mask;
          expect(() => decodeBatch(corrupt, 0)).toThrow(CorruptMessageError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a truncated batch', () => {
    const { bytes } = encodeBatch([{ key: null, value: new Uint8Array(50), headers: [], timestamp: 1 }]);
    expect(() => decodeBatch(bytes.subarray(0, bytes.length - 1), 0)).toThrow(CorruptMessageError);
  });

  it('actually compresses with gzip', () => {
    const value = new TextEncoder().encode('a'.repeat(10_000));
    const plain = encodeBatch([{ key: null, value, headers: [], timestamp: 1 }], CompressionType.none);
    const gz = encodeBatch([{ key: null, value, headers: [], timestamp: 1 }], CompressionType.gzip);
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length / 10);
  });
});

describe('segment objects', () => {
  it('describe their batches in a footer that matches the byte ranges', () => {
    const w = new SegmentWriter();
    const a = encodeBatch([{ key: null, value: new Uint8Array([1]), headers: [], timestamp: 5 }]);
    const b = encodeBatch([{ key: null, value: new Uint8Array([2, 3]), headers: [], timestamp: 6 }]);
    w.add({ topic: 't', topicId: 'id', partition: 0, recordCount: 1, maxTimestamp: 5 }, a.bytes);
    w.add({ topic: 't', topicId: 'id', partition: 3, recordCount: 1, maxTimestamp: 6 }, b.bytes);
    const object = w.finish();
    const refs = readSegmentFooter(object);
    expect(refs.map((r) => r.partition)).toEqual([0, 3]);
    for (const [ref, batch] of [
      [refs[0], a],
      [refs[1], b],
    ] as const) {
      expect(object.subarray(ref?.byteOffset, (ref?.byteOffset ?? 0) + (ref?.byteLength ?? 0))).toEqual(
        batch.bytes,
      );
    }
    const corrupt = object.slice();
    const at = object.length - 20;
    corrupt[at] = (corrupt[at] as number) ^ 1;
    expect(() => readSegmentFooter(corrupt)).toThrow(CorruptMessageError);
  });
});

describe('crc32c', () => {
  it('matches @aws-crypto/crc32c on any input', async () => {
    const { crc32c: reference } = await import('@aws-crypto/crc32c');
    const { crc32c } = await import('../../lib/engine/codec/crc32c.js');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => crc32c(data) === reference(data)),
      { numRuns: 300 },
    );
    // The standard check value for "123456789".
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});
