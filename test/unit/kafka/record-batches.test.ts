import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../lib/engine/codec/record-batch.js';
import { CorruptMessageError } from '../../../lib/engine/errors.js';
import {
  BATCH_HEADER_BYTES,
  batchCrcMatches,
  splitRecordBatches,
} from '../../../lib/kafka/protocol/record-batches.js';

const record = (value: string, timestamp: number) => ({
  key: null,
  value: new TextEncoder().encode(value),
  headers: [],
  timestamp,
});

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('record batches inside a records field', () => {
  const first = encodeBatch([record('a', 1000), record('bb', 1005)], 0, {
    producerId: 77,
    producerEpoch: 2,
    baseSequence: 10,
  }).bytes;
  const second = encodeBatch([record('ccc', 2000)]).bytes;

  it('splits a blob into its batches and reads their headers', () => {
    const batches = splitRecordBatches(concat(first, second));
    expect(batches).toHaveLength(2);
    expect(batches[0]?.bytes).toEqual(first);
    expect(batches[1]?.bytes).toEqual(second);
    expect(batches[0]?.header).toMatchObject({
      baseOffset: 0n,
      batchLength: first.length - 12,
      magic: 2,
      attributes: 0,
      lastOffsetDelta: 1,
      baseTimestamp: 1000n,
      maxTimestamp: 1005n,
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 10,
      recordCount: 2,
    });
    expect(batches.every(batchCrcMatches)).toBe(true);
  });

  it('an empty blob holds no batches', () => {
    expect(splitRecordBatches(new Uint8Array(0))).toEqual([]);
  });

  it('notices a changed byte through the CRC', () => {
    const changed = first.slice();
    const last = changed.length - 1;
    changed[last] = (changed[last] as number) ^ 1;
    expect(batchCrcMatches(splitRecordBatches(changed)[0] as never)).toBe(false);
  });

  it('a partial batch, a lying length or an old magic is CORRUPT_MESSAGE', () => {
    expect(() => splitRecordBatches(concat(first, second.subarray(0, 30)))).toThrow(CorruptMessageError);
    expect(() => splitRecordBatches(first.subarray(0, first.length - 1))).toThrow(CorruptMessageError);
    const short = first.slice();
    new DataView(short.buffer).setInt32(8, BATCH_HEADER_BYTES - 13);
    expect(() => splitRecordBatches(short)).toThrow(CorruptMessageError);
    const magic1 = first.slice();
    magic1[16] = 1;
    expect(() => splitRecordBatches(magic1)).toThrow(/magic 1/);
  });

  it('random bytes give batches or CORRUPT_MESSAGE, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (noise, at) => {
        const blob = concat(first, noise);
        blob[at % blob.length] = noise[0] ?? 0;
        try {
          splitRecordBatches(blob);
        } catch (err) {
          expect(err).toBeInstanceOf(CorruptMessageError);
        }
      }),
    );
  });
});
