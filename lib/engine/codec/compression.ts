import * as zlib from 'node:zlib';
import { MessageTooLargeError, UnsupportedCompressionTypeError } from '../errors.js';
import { DecompressionLimitError } from './limit.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

/** Kafka's compression ids (RecordBatch attributes bits 0-2). */
export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionType;

/**
 * The most a batch's records may decompress to. Kafka streams them and has no such bound; here a
 * batch is decompressed whole, once when a client's batch is checked and again when HTTP fetch
 * decodes it, so a small batch that inflates to gigabytes (a compression bomb) must stop early.
 * No client writes batches near it: producers cap requests at max.request.size (1 MiB by default).
 */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface CompressionCodec {
  compress?(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array, maxBytes: number): Uint8Array;
}

const codecs = new Map<number, CompressionCodec>([
  [CompressionType.none, { compress: (d) => d, decompress: (d) => d }],
  [
    CompressionType.gzip,
    {
      compress: (d) => zlib.gzipSync(d),
      decompress: (d, maxBytes) => zlib.gunzipSync(d, { maxOutputLength: maxBytes }),
    },
  ],
  [CompressionType.snappy, { compress: snappyCompress, decompress: snappyDecompress }],
  [CompressionType.lz4, { compress: lz4Compress, decompress: lz4Decompress }],
  [
    CompressionType.zstd,
    zstdCompress ? { compress: zstdCompress, decompress: zstdDecompress } : { decompress: zstdDecompress },
  ],
]);

function codecFor(id: number): CompressionCodec {
  const codec = codecs.get(id);
  if (!codec)
    throw new UnsupportedCompressionTypeError(`compression type ${id} is not supported by this server`);
  return codec;
}

/** Compresses a batch's records; UNSUPPORTED_COMPRESSION_TYPE where this Node cannot (zstd before 22.15). */
export function compress(id: number, data: Uint8Array): Uint8Array {
  const codec = codecFor(id);
  if (!codec.compress) {
    throw new UnsupportedCompressionTypeError(
      `compression type ${id} can be read but not written by this server (zstd needs Node 22.15 or later)`,
    );
  }
  return codec.compress(data);
}

/**
 * Decompresses a batch's records, as a Uint8Array (zlib's Buffers are viewed, not copied).
 * MESSAGE_TOO_LARGE past MAX_DECOMPRESSED_BYTES, UNSUPPORTED_COMPRESSION_TYPE for an unknown id;
 * anything else the codec throws means the bytes are not what their compression says.
 */
export function decompress(id: number, data: Uint8Array, maxBytes = MAX_DECOMPRESSED_BYTES): Uint8Array {
  const codec = codecFor(id);
  let raw: Uint8Array;
  try {
    raw = codec.decompress(data, maxBytes);
  } catch (err) {
    if (
      err instanceof DecompressionLimitError ||
      (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    ) {
      throw new MessageTooLargeError(`record batch decompresses to more than ${maxBytes} bytes`, {
        cause: err,
      });
    }
    throw err;
  }
  return Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw;
}

/** The codecs this server can write, as HTTP produce's `compression` names them. */
export function supportedCompressions(): CompressionName[] {
  return (Object.keys(CompressionType) as CompressionName[]).filter(
    (n) => codecs.get(CompressionType[n])?.compress !== undefined,
  );
}
