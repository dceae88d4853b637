import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompressionType,
  compress,
  decompress,
  MAX_DECOMPRESSED_BYTES,
  supportedCompressions,
} from '../../../lib/engine/codec/compression.js';
import { DecompressionLimitError } from '../../../lib/engine/codec/limit.js';
import { Lz4FormatError, lz4Compress, lz4Decompress } from '../../../lib/engine/codec/lz4.js';
import {
  isXerial,
  SnappyFormatError,
  snappyCompress,
  snappyDecompress,
} from '../../../lib/engine/codec/snappy.js';
import { ZstdFormatError, zstdDecompressJs } from '../../../lib/engine/codec/zstd.js';
import { MessageTooLargeError, UnsupportedCompressionTypeError } from '../../../lib/engine/errors.js';

const nativeZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
const hasTool = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const scratch = mkdtempSync(join(tmpdir(), 'strata-compression-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Bytes as record batches hold them: runs of text, repeats, and noise, up to a few blocks long. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc
    .array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('{"id":', 'user-', ',"v":', 'xxxxxxxx')), {
      maxLength: 400,
    })
    .map((parts) => new TextEncoder().encode(parts.join(''))),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 6000 }))
    .map(([unit, times]) => {
      const out = new Uint8Array(unit.length * times);
      for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
      return out;
    }),
);
/** `bytes` bytes of JSON-like lines. */
const sample = (bytes: number) => {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `{"id":${i},"n":"u-${(i * 7919) % 1000}"}\n`;
    lines.push(line);
    n += line.length;
  }
  return new TextEncoder().encode(lines.join('').slice(0, bytes));
};

describe('compression codecs', () => {
  const writable = (['gzip', 'snappy', 'lz4', ...(nativeZstd ? ['zstd' as const] : [])] as const).map(
    (name) => [name, CompressionType[name]] as const,
  );

  it.each(writable)('%s round-trips any bytes', (_name, id) => {
    fc.assert(
      fc.property(payload, (data) => {
        expect(decompress(id, compress(id, data))).toEqual(data);
      }),
      { numRuns: 120 },
    );
  });

  it('writes snappy, lz4 and gzip everywhere, zstd only where zlib has it', () => {
    expect(supportedCompressions()).toEqual([
      'none',
      'gzip',
      'snappy',
      'lz4',
      ...(nativeZstd ? ['zstd'] : []),
    ]);
    if (!nativeZstd) {
      expect(() => compress(CompressionType.zstd, sample(10))).toThrow(UnsupportedCompressionTypeError);
    }
  });

  it('refuses an unknown codec id', () => {
    expect(() => decompress(5, new Uint8Array(4))).toThrow(UnsupportedCompressionTypeError);
  });

  it.each([
    ['gzip', CompressionType.gzip, (d: Uint8Array) => zlib.gzipSync(d)],
    ['snappy', CompressionType.snappy, snappyCompress],
    ['lz4', CompressionType.lz4, lz4Compress],
  ] as const)('stops %s output past the limit with MESSAGE_TOO_LARGE', (_name, id, pack) => {
    const data = new Uint8Array(200_000);
    const packed = pack(data);
    expect(decompress(id, packed, 200_000)).toEqual(data);
    expect(() => decompress(id, packed, 199_999)).toThrow(MessageTooLargeError);
  });

  it('limits batches to 64 MiB decompressed by default', () => {
    expect(MAX_DECOMPRESSED_BYTES).toBe(64 * 1024 * 1024);
  });
});

/** The xerial framing snappy-java writes: its header, then a length-prefixed raw block per chunk. */
function xerial(data: Uint8Array, chunk = 32 * 1024): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let from = 0; from < data.length; from += chunk)
    blocks.push(snappyCompress(data.subarray(from, from + chunk)));
  const out = new Uint8Array(16 + blocks.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  out.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  let at = 16;
  for (const b of blocks) {
    view.setInt32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

describe('snappy', () => {
  it('writes one raw block, as librdkafka does: the uncompressed length, then the elements', () => {
    const data = sample(70_000);
    const out = snappyCompress(data);
    expect(isXerial(out)).toBe(false);
    // 70,000 as a little-endian base-128 varint.
    expect([...out.subarray(0, 3)]).toEqual([0xf0, 0xa2, 0x04]);
    expect(snappyDecompress(out, 1 << 20)).toEqual(data);
  });

  it('reads the xerial framing the Java client writes, over any number of chunks', () => {
    fc.assert(
      fc.property(payload, fc.integer({ min: 1, max: 40_000 }), (data, chunk) => {
        const framed = xerial(data, chunk);
        expect(isXerial(framed)).toBe(true);
        expect(snappyDecompress(framed, 1 << 20)).toEqual(data);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses truncated blocks and chunks, bad copies, and garbage', () => {
    const data = sample(40_000);
    const raw = snappyCompress(data);
    expect(() => snappyDecompress(raw.subarray(0, raw.length - 3), 1 << 20)).toThrow(SnappyFormatError);
    const framed = xerial(data);
    expect(() => snappyDecompress(framed.subarray(0, framed.length - 3), 1 << 20)).toThrow(SnappyFormatError);
    expect(() => snappyDecompress(framed.subarray(0, 18), 1 << 20)).toThrow(SnappyFormatError);
    // Declares 4 bytes, then copies from before the start.
    expect(() => snappyDecompress(Uint8Array.from([4, 0x01, 0x05]), 1 << 20)).toThrow(SnappyFormatError);
    expect(() => snappyDecompress(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1 << 20)).toThrow(
      SnappyFormatError,
    );
  });

  it('never reads or writes out of bounds on a damaged block', () => {
    const block = snappyCompress(sample(20_000));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(block.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(block.length),
        (flips, cut) => {
          const damaged = block.slice(0, cut);
          for (const [at, bits] of flips)
            if (at < damaged.length) damaged[at] = (damaged[at] as number) ^ bits;
          try {
            expect(snappyDecompress(damaged, 1 << 20).length).toBeLessThanOrEqual(1 << 20);
          } catch (err) {
            expect(err instanceof SnappyFormatError || err instanceof DecompressionLimitError).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('lz4 (Kafka: the LZ4 frame format, KIP-57 header checksum)', () => {
  it('writes a frame of independent 64 KiB blocks with the descriptor-only header checksum', () => {
    const out = lz4Compress(sample(150_000));
    expect([...out.subarray(0, 6)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]);
    // xxh32 of FLG and BD alone (0x60 0x40), second byte: what Kafka >= 0.10 and librdkafka write.
    expect(out[6]).toBe(0x82);
    expect([...out.subarray(out.length - 4)]).toEqual([0, 0, 0, 0]);
  });

  it('refuses the pre-KIP-57 checksum (over the magic too) and a wrong one', () => {
    const out = lz4Compress(sample(1000)).slice();
    out[6] = (out[6] as number) ^ 1;
    expect(() => lz4Decompress(out, 1 << 20)).toThrow(/header checksum/);
  });

  it('never reads or writes out of bounds on a damaged frame', () => {
    const frame = lz4Compress(sample(20_000));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(frame.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(frame.length),
        (flips, cut) => {
          const damaged = frame.slice(0, Math.max(7, cut));
          for (const [at, bits] of flips)
            if (at >= 7 && at < damaged.length) damaged[at] = (damaged[at] as number) ^ bits;
          try {
            const out = lz4Decompress(damaged, 1 << 20);
            expect(out.length).toBeLessThanOrEqual(1 << 20);
          } catch (err) {
            expect(err instanceof Lz4FormatError || err instanceof DecompressionLimitError).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.runIf(hasTool('lz4'))('is read by the reference lz4 tool, and reads what it writes', () => {
    const data = sample(300_000);
    const ours = join(scratch, 'ours.lz4');
    writeFileSync(ours, lz4Compress(data));
    expect(execFileSync('lz4', ['-d', '-c', ours])).toEqual(Buffer.from(data));
    const plain = join(scratch, 'plain');
    writeFileSync(plain, data);
    // Dependent blocks, block checksums, content size and checksum, larger blocks: options clients may set.
    for (const flags of [
      ['-B4', '-BD'],
      ['-B5', '-BX'],
      ['-B7', '--content-size'],
      ['-B6', '--no-frame-crc'],
    ]) {
      const theirs = execFileSync('lz4', [...flags, '-c', plain]);
      expect(lz4Decompress(new Uint8Array(theirs), 1 << 20)).toEqual(data);
    }
  });
});

describe('zstd', () => {
  const frames = () => {
    if (nativeZstd) return [compress(CompressionType.zstd, sample(200_000))];
    if (!hasTool('zstd')) return [];
    const plain = join(scratch, 'zplain');
    writeFileSync(plain, sample(200_000));
    return [new Uint8Array(execFileSync('zstd', ['-q', '-c', plain]))];
  };

  it('decompresses with fzstd where zlib has no zstd', () => {
    for (const frame of frames()) {
      expect(zstdDecompressJs(frame, 1 << 20)).toEqual(sample(200_000));
      expect(decompress(CompressionType.zstd, frame)).toEqual(sample(200_000));
    }
  });

  it('refuses, before allocating, a frame that declares more than the limit', () => {
    // Magic, descriptor: 8-byte content size, single segment; content size 2^40; one empty raw last block.
    const bomb = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(() => zstdDecompressJs(bomb, 1 << 20)).toThrow(DecompressionLimitError);
    expect(() => decompress(CompressionType.zstd, bomb)).toThrow(MessageTooLargeError);
    expect(() => zstdDecompressJs(Uint8Array.from([1, 2, 3, 4, 5]), 1 << 20)).toThrow(ZstdFormatError);
  });

  it('reads the skippable frames zstd allows around a frame', () => {
    for (const frame of frames()) {
      const skippable = Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
      const joined = new Uint8Array(skippable.length + frame.length);
      joined.set(skippable);
      joined.set(frame, skippable.length);
      expect(zstdDecompressJs(joined, 1 << 20)).toEqual(sample(200_000));
    }
  });

  it('gives the same answer from zlib and from fzstd', () => {
    for (const frame of frames()) {
      expect(zstdDecompressJs(frame, 1 << 20)).toEqual(decompress(CompressionType.zstd, frame));
    }
  });
});
