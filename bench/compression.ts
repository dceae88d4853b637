/**
 * Decompression throughput per codec, on record batches as kcat (librdkafka) compressed them
 * (test/fixtures/kafka/batches/kcat-1.7.1/*-large.hex): what checkClientBatch and HTTP fetch pay
 * per batch. MB/s of decompressed bytes, against a copy of those bytes (allocation included, as
 * every decompressor allocates its output) and against gzip, in the same process; and where this
 * server writes the codec (HTTP produce), its compression of the same records. Run alone with
 * `npx tsx bench/compression.ts`; `npm run bench` calls benchDecompression().
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import {
  CompressionType,
  compress,
  decompress,
  supportedCompressions,
} from '../lib/engine/codec/compression.js';
import { BATCH_HEADER_BYTES } from '../lib/engine/codec/record-batch.js';
import { zstdDecompressJs } from '../lib/engine/codec/zstd.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/kafka/batches/kcat-1.7.1/', import.meta.url));
const MiB = 1024 * 1024;

export interface DecompressionFigure {
  codec: string;
  /** Decompressed MB/s. */
  mbs: number;
  /** Compressed size as a share of the decompressed size, %. */
  sizeRatio: number;
  /** MB/s of input when this server compresses the same records (HTTP produce); absent where it cannot. */
  compressMBs?: number;
  /** This server's compressed size, as a share of the decompressed size, %. */
  compressSizeRatio?: number;
}

/** Repeats `fn` for at least `ms` (and 5 runs), and answers runs per second. */
function rate(fn: () => void, ms = 400): number {
  for (let i = 0; i < 3; i++) fn();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms || runs < 5) {
    fn();
    runs++;
    elapsed = performance.now() - start;
  }
  return runs / (elapsed / 1000);
}

export function benchDecompression(): { copyMBs: number; figures: DecompressionFigure[] } {
  const payload = (codec: string) =>
    Uint8Array.from(
      Buffer.from(readFileSync(`${FIXTURES}${codec}-large.hex`, 'utf8').trim(), 'hex'),
    ).subarray(BATCH_HEADER_BYTES);
  const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
  const inputs = codecs.map((codec) => ({ codec, data: payload(codec) }));
  const plain = decompress(CompressionType.gzip, payload('gzip'));
  const copyMBs = (rate(() => plain.slice()) * plain.length) / MiB;
  const writable = new Set<string>(supportedCompressions());
  const figures: DecompressionFigure[] = inputs.map(({ codec, data }) => {
    const id = CompressionType[codec];
    const out = decompress(id, data);
    const figure: DecompressionFigure = {
      codec: codec === 'zstd' && !nativeZstd() ? 'zstd (fzstd)' : codec,
      mbs: (rate(() => decompress(id, data)) * out.length) / MiB,
      sizeRatio: (data.length / out.length) * 100,
    };
    if (writable.has(codec)) {
      figure.compressMBs = (rate(() => compress(id, out)) * out.length) / MiB;
      figure.compressSizeRatio = (compress(id, out).length / out.length) * 100;
    }
    return figure;
  });
  // Where zlib has zstd, the pure-JS fallback Node 20 uses is measured too.
  if (nativeZstd()) {
    const data = payload('zstd');
    const out = zstdDecompressJs(data, 64 * MiB);
    figures.push({
      codec: 'zstd (fzstd)',
      mbs: (rate(() => zstdDecompressJs(data, 64 * MiB)) * out.length) / MiB,
      sizeRatio: (data.length / out.length) * 100,
    });
  }
  return { copyMBs, figures };
}

function nativeZstd(): boolean {
  return typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { copyMBs, figures } = benchDecompression();
  const gzip = figures.find((f) => f.codec === 'gzip')?.mbs ?? Number.NaN;
  console.log(`copy (baseline)  ${copyMBs.toFixed(0)} MB/s`);
  for (const f of figures) {
    const written =
      f.compressMBs === undefined
        ? ''
        : `  compress ${f.compressMBs.toFixed(0)} MB/s to ${f.compressSizeRatio?.toFixed(1)}%`;
    console.log(
      `${f.codec.padEnd(16)} ${f.mbs.toFixed(0).padStart(6)} MB/s  ${((f.mbs / copyMBs) * 100).toFixed(1)}% of copy  ${(f.mbs / gzip).toFixed(2)}x gzip  size ${f.sizeRatio.toFixed(1)}%${written}`,
    );
  }
}
