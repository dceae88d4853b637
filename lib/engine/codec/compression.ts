import * as zlib from 'node:zlib';
import { UnsupportedCompressionTypeError } from '../errors.js';

/** Kafka's compression ids (RecordBatch attributes bits 0-2). */
export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionType;

export interface CompressionCodec {
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

/** Codecs by Kafka id. snappy and lz4 plug in here when a dependency for them is chosen. */
const codecs = new Map<number, CompressionCodec>([
  [CompressionType.none, { compress: (d) => d, decompress: (d) => d }],
  [CompressionType.gzip, { compress: (d) => zlib.gzipSync(d), decompress: (d) => zlib.gunzipSync(d) }],
]);

// zlib gained zstd in Node 22.15 (Lambda's runtime); feature-detect so Node 20 keeps working.
const z = zlib as unknown as {
  zstdCompressSync?: (d: Uint8Array) => Uint8Array;
  zstdDecompressSync?: (d: Uint8Array) => Uint8Array;
};
if (z.zstdCompressSync && z.zstdDecompressSync) {
  const compress = z.zstdCompressSync;
  const decompress = z.zstdDecompressSync;
  codecs.set(CompressionType.zstd, { compress: (d) => compress(d), decompress: (d) => decompress(d) });
}

export function registerCodec(id: number, codec: CompressionCodec): void {
  codecs.set(id, codec);
}

export function codecFor(id: number): CompressionCodec {
  const codec = codecs.get(id);
  if (!codec)
    throw new UnsupportedCompressionTypeError(`compression type ${id} is not supported by this server`);
  return codec;
}

export function supportedCompressions(): CompressionName[] {
  return (Object.keys(CompressionType) as CompressionName[]).filter((n) => codecs.has(CompressionType[n]));
}
