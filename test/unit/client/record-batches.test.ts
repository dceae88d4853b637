/**
 * The client's RecordBatch codec (lib/client/record-batches.ts) against the engine's: what the
 * client encodes passes the checks the server runs on a Kafka client's batch (CRC-32C, counts,
 * offset deltas) and decodes back to the records sent; what the engine stores, the client decodes
 * to the records the engine decodes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingRecord, type RecordSink } from '../../../lib/client/batcher.js';
import type { Payload } from '../../../lib/client/bytes.js';
import { decodeFetchedBatches, encodeRecordBatches } from '../../../lib/client/record-batches.js';
import { NO_PRODUCER, readBatchHeader, splitBatches } from '../../../lib/contract/record-batch.js';
import {
  checkClientBatch,
  decodeBatches,
  encodeBatch,
  patchBaseOffsets,
} from '../../../lib/engine/codec/record-batch.js';

const text = new TextEncoder();
const sink: RecordSink = { ack() {}, fail() {} };
const NOW = 1_700_000_000_000;

const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 60 }),
);

const pending: fc.Arbitrary<PendingRecord> = fc
  .record({
    key: payload,
    value: payload,
    headers: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), payload, { maxKeys: 4 }), {
      nil: undefined,
    }),
    timestamp: fc.option(fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }), { nil: undefined }),
  })
  .map((r) => new PendingRecord('t', 0, r.key, r.value, r.headers, r.timestamp, sink, 0, 0, 'none'));

const bytesOf = (p: Payload) =>
  p === null || p === undefined ? null : typeof p === 'string' ? text.encode(p) : p;

describe('the client encoder', () => {
  it('writes batches the server accepts and decodes back to the records sent', () => {
    fc.assert(
      fc.property(
        fc.array(pending, { minLength: 1, maxLength: 40 }),
        fc.option(
          fc.record({
            producerId: fc.integer({ min: 0, max: 2 ** 40 }),
            producerEpoch: fc.integer({ min: 0, max: 32767 }),
            baseSequence: fc.integer({ min: 0, max: 1e6 }),
          }),
          { nil: undefined },
        ),
        fc.integer({ min: 64, max: 4096 }),
        (records, producer, maxBatchBytes) => {
          const bytes = encodeRecordBatches(records, producer ?? NO_PRODUCER, maxBatchBytes, NOW);
          const batches = splitBatches(bytes);
          // The batcher's size bound holds: what it counted is at least what is sent.
          expect(bytes.length).toBeLessThanOrEqual(
            records.reduce((n, r) => n + r.binarySize, 0) + 61 * batches.length,
          );
          let sequence = producer?.baseSequence ?? -1;
          let count = 0;
          for (const batch of batches) {
            const summary = checkClientBatch(batch);
            if (summary.recordCount > 1) expect(batch.length).toBeLessThanOrEqual(maxBatchBytes);
            expect(summary.producer).toEqual(
              producer ? { ...producer, baseSequence: sequence } : NO_PRODUCER,
            );
            if (producer) sequence += summary.recordCount;
            count += summary.recordCount;
          }
          expect(count).toBe(records.length);

          const stored = bytes.slice();
          patchBaseOffsets(stored, 100);
          const decoded = decodeBatches(stored, 100);
          expect(decoded).toHaveLength(records.length);
          decoded.forEach((d, i) => {
            const r = records[i] as PendingRecord;
            expect(d.offset).toBe(100 + i);
            expect(d.key).toEqual(bytesOf(r.key));
            expect(d.value).toEqual(bytesOf(r.value));
            expect(d.timestamp).toBe(r.timestamp ?? NOW);
            expect(d.headers).toEqual(
              Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: bytesOf(value) })),
            );
          });

          // And the client's own decoder agrees, from any offset of the range.
          const from = 100 + Math.floor(records.length / 2);
          const fetched = decodeFetchedBatches(stored, from);
          expect(fetched.compressed).toBe(false);
          if (!fetched.compressed) {
            expect(fetched.messages.map((m) => m.offset)).toEqual(
              decoded.filter((d) => d.offset >= from).map((d) => String(d.offset)),
            );
            fetched.messages.forEach((m) => {
              const d = decoded[Number(m.offset) - 100];
              expect(m.value === null ? null : new Uint8Array(m.value)).toEqual(d?.value ?? null);
              expect(m.timestamp).toBe(String(d?.timestamp));
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the client decoder', () => {
  it('reads the batches the engine writes', () => {
    const first = encodeBatch(
      [
        {
          key: text.encode('a'),
          value: text.encode('1'),
          headers: [{ key: 'h', value: null }],
          timestamp: NOW,
        },
        { key: null, value: null, headers: [], timestamp: NOW + 5 },
      ],
      0,
    ).bytes;
    const second = encodeBatch([
      { key: null, value: text.encode('3'), headers: [], timestamp: NOW + 9 },
    ]).bytes;
    const range = new Uint8Array(first.length + second.length);
    range.set(first);
    range.set(second, first.length);
    patchBaseOffsets(range, 7);
    const got = decodeFetchedBatches(range, 7);
    expect(got.compressed).toBe(false);
    if (got.compressed) return;
    expect(
      got.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString() ?? null]),
    ).toEqual([
      ['7', 'a', '1'],
      ['8', null, null],
      ['9', null, '3'],
    ]);
    expect(got.messages[0]?.headers).toEqual({ h: undefined });
    expect(got.messages[1]?.timestamp).toBe(String(NOW + 5));
  });

  it('says so when a batch is compressed (the consumer then reads that fetch as JSON)', () => {
    const gz = encodeBatch([{ key: null, value: text.encode('z'), headers: [], timestamp: NOW }], 1).bytes;
    expect(decodeFetchedBatches(gz, 0)).toEqual({ compressed: true });
  });

  it('refuses a batch whose CRC-32C does not match, or bytes that do not end a batch', () => {
    const batch = encodeBatch([{ key: null, value: text.encode('v'), headers: [], timestamp: NOW }]).bytes;
    const bad = batch.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect(() => decodeFetchedBatches(bad, 0)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(() => decodeFetchedBatches(batch.subarray(0, batch.length - 1), 0)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_MESSAGE' }),
    );
    expect(readBatchHeader(batch).recordCount).toBe(1);
  });
});
