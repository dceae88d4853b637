import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionType, supportedCompressions } from '../../../lib/engine/codec/compression.js';
import { crc32c } from '../../../lib/engine/codec/crc32c.js';
import {
  BATCH_HEADER_BYTES,
  checkClientBatch,
  decodeBatch,
  encodeBatch,
} from '../../../lib/engine/codec/record-batch.js';
import { CorruptMessageError } from '../../../lib/engine/errors.js';
import type { ProducerRecord } from '../../../lib/engine/types.js';
import { LARGE, SMALL } from '../../fixtures/kafka/batches/records.js';

/** Record batches as real clients compressed them, captured by test/fixtures/kafka/batches/capture.ts. */
const ROOT = join(import.meta.dirname, '../../fixtures/kafka/batches');
const GOLDEN = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(ROOT, d.name)).map((file) => {
      const [, codec, size] = /^([a-z0-9]+)-(small|large)\.hex$/.exec(file) ?? [];
      const bytes = Uint8Array.from(
        Buffer.from(readFileSync(join(ROOT, d.name, file), 'utf8').trim(), 'hex'),
      );
      return {
        name: `${d.name}/${file}`,
        client: d.name,
        codec: codec as keyof typeof CompressionType,
        size,
        bytes,
      };
    }),
  );

const text = new TextEncoder();
const decoder = new TextDecoder();

/** The batch with its CRC made right again, after its bytes were changed on purpose. */
function resealed(batch: Uint8Array): Uint8Array {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  view.setInt32(8, batch.length - 12);
  view.setUint32(17, crc32c(batch.subarray(21)));
  return batch;
}

/** A batch whose records are `payload`, with the header of `template`. */
function withPayload(template: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(BATCH_HEADER_BYTES + payload.length);
  out.set(template.subarray(0, BATCH_HEADER_BYTES));
  out.set(payload, BATCH_HEADER_BYTES);
  return resealed(out);
}

describe('record batches compressed by real clients', () => {
  it('holds every codec from kcat, and what kafka-python, kafkajs and @platformatic/kafka have', () => {
    const have = new Set(GOLDEN.map((g) => `${g.client}/${g.codec}`));
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      expect(have).toContain(`kcat-1.7.1/${codec}`);
    for (const codec of ['gzip', 'snappy', 'lz4'])
      expect(have).toContain(`platformatic-kafka-1.35.0/${codec}`);
    expect(have).toContain('kafkajs-2.2.4/gzip');
    expect(have).toContain('kafka-python-2.0.2/gzip');
  });

  it.each(GOLDEN.map((g) => [g.name, g] as const))('%s passes the client-batch check and decodes', (_, g) => {
    const summary = checkClientBatch(g.bytes);
    expect(summary.compression).toBe(CompressionType[g.codec]);
    const sent = g.size === 'small' ? SMALL : LARGE;
    // A client may split what it was given into several batches; the first holds a prefix of it.
    expect(summary.recordCount).toBeGreaterThan(0);
    expect(summary.recordCount).toBeLessThanOrEqual(sent.length);
    const decoded = decodeBatch(g.bytes, 100);
    expect(
      decoded.records.map((r) => ({
        offset: r.offset,
        key: decoder.decode(r.key ?? new Uint8Array()),
        value: decoder.decode(r.value ?? new Uint8Array()),
        headers: r.headers.map((h) => [h.key, decoder.decode(h.value ?? new Uint8Array())]),
      })),
    ).toEqual(
      sent.slice(0, summary.recordCount).map((r, i) => ({
        offset: 100 + i,
        key: r.key,
        value: r.value,
        headers: g.size === 'small' ? [['h1', 'x']] : [],
      })),
    );
  });

  it('reads a real client snappy block in the xerial framing the Java client writes', () => {
    for (const g of GOLDEN.filter((x) => x.codec === 'snappy')) {
      const raw = g.bytes.subarray(BATCH_HEADER_BYTES);
      const xerial = new Uint8Array(16 + 4 + raw.length);
      xerial.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
      new DataView(xerial.buffer).setInt32(16, raw.length);
      xerial.set(raw, 20);
      const batch = withPayload(g.bytes, xerial);
      expect(checkClientBatch(batch).recordCount).toBe(checkClientBatch(g.bytes).recordCount);
      expect(decodeBatch(batch, 0).records).toEqual(decodeBatch(g.bytes, 0).records);
    }
  });

  it.each(GOLDEN.filter((g) => g.codec !== 'none').map((g) => [g.name, g] as const))(
    '%s with its compressed bytes damaged (CRC made right) is CORRUPT_MESSAGE',
    (_, g) => {
      const payload = g.bytes.slice(BATCH_HEADER_BYTES);
      // Cut the stream short: every codec notices a missing end.
      const cut = withPayload(g.bytes, payload.subarray(0, Math.floor(payload.length / 2)));
      expect(() => checkClientBatch(cut)).toThrow(CorruptMessageError);
      // And garbage where the stream was.
      const garbage = withPayload(
        g.bytes,
        payload.map((b, i) => (b * 31 + i) & 0xff),
      );
      expect(() => checkClientBatch(garbage)).toThrow(CorruptMessageError);
    },
  );
});

describe('batches the engine compresses', () => {
  const record: fc.Arbitrary<ProducerRecord> = fc.record({
    key: fc.option(
      fc.string({ maxLength: 30 }).map((s) => text.encode(s)),
      { nil: null },
    ),
    value: fc.option(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.string({ maxLength: 2000 }).map((s) => text.encode(s.repeat(3))),
      ),
      { nil: null },
    ),
    headers: fc.array(
      fc.record({
        key: fc.string({ maxLength: 10 }),
        value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
      }),
      {
        maxLength: 3,
      },
    ),
    timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  });

  it.each(supportedCompressions().map((name) => [name, CompressionType[name]] as const))(
    '%s: pass the client-batch check and decode to what went in',
    (_, id) => {
      fc.assert(
        fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
          const { bytes } = encodeBatch(records, id);
          expect(checkClientBatch(bytes)).toMatchObject({ recordCount: records.length, compression: id });
          expect(decodeBatch(bytes, 7).records).toEqual(records.map((r, i) => ({ ...r, offset: 7 + i })));
        }),
        { numRuns: 40 },
      );
    },
  );
});
