import * as zlib from 'node:zlib';
import { decompress as fzstdDecompress } from 'fzstd';
import { DecompressionLimitError } from './limit.js';

/**
 * zstd: Node's zlib has it from 22.15 (Lambda's runtime), Node 20 does not. Decompression falls
 * back to fzstd (pure JS), so batches that clients wrote read anywhere; compression exists only
 * where zlib has it.
 */

type ZstdSync = (data: Uint8Array, options?: { maxOutputLength?: number }) => Buffer;
const z = zlib as unknown as { zstdCompressSync?: ZstdSync; zstdDecompressSync?: ZstdSync };

const nativeCompress = z.zstdCompressSync;
export const zstdCompress: ((data: Uint8Array) => Uint8Array) | undefined = nativeCompress
  ? (data) => nativeCompress(data)
  : undefined;

export class ZstdFormatError extends Error {}

export function zstdDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  if (z.zstdDecompressSync) return z.zstdDecompressSync(data, { maxOutputLength: maxBytes });
  return zstdDecompressJs(data, maxBytes);
}

/** fzstd, behind a walk of the frames that refuses what would make it allocate past `maxBytes`. */
export function zstdDecompressJs(data: Uint8Array, maxBytes: number): Uint8Array {
  checkFrames(data, maxBytes);
  let out: Uint8Array;
  try {
    out = fzstdDecompress(data);
  } catch (err) {
    throw new ZstdFormatError('not a valid zstd stream', { cause: err });
  }
  if (out.length > maxBytes) throw new DecompressionLimitError(`zstd stream holds ${out.length} bytes`);
  return out;
}

const FRAME_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;

/**
 * fzstd sizes its buffers from each frame's declared content size or window size (up to 2 GiB)
 * before it decodes anything. Walking the frame and block headers bounds the output first.
 */
function checkFrames(data: Uint8Array, maxBytes: number): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let bound = 0;
  while (at < data.length) {
    if (at + 4 > data.length) throw new ZstdFormatError('zstd frame truncated');
    const magic = view.getUint32(at, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame: its length, then as many bytes to ignore.
      if (at + 8 > data.length) throw new ZstdFormatError('zstd skippable frame truncated');
      at += 8 + view.getUint32(at + 4, true);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new ZstdFormatError('not a zstd frame');
    const descriptor = data[at + 4];
    if (descriptor === undefined) throw new ZstdFormatError('zstd frame truncated');
    const singleSegment = (descriptor >> 5) & 1;
    const checksum = (descriptor >> 2) & 1;
    const dictBytes = [0, 1, 2, 4][descriptor & 3] as number;
    const sizeCode = descriptor >> 6;
    const sizeBytes = sizeCode === 0 ? singleSegment : 1 << sizeCode;
    let p = at + 5;
    let window = 0;
    if (!singleSegment) {
      const w = data[p++];
      if (w === undefined) throw new ZstdFormatError('zstd frame truncated');
      const base = 2 ** (10 + (w >> 3));
      window = base + (base / 8) * (w & 7);
    }
    p += dictBytes;
    if (p + sizeBytes > data.length) throw new ZstdFormatError('zstd frame truncated');
    let contentSize = -1;
    if (sizeBytes === 1) contentSize = data[p] as number;
    else if (sizeBytes === 2) contentSize = view.getUint16(p, true) + 256;
    else if (sizeBytes === 4) contentSize = view.getUint32(p, true);
    else if (sizeBytes === 8) contentSize = Number(view.getBigUint64(p, true));
    p += sizeBytes;
    if (contentSize > maxBytes || (contentSize < 0 && window > maxBytes))
      throw new DecompressionLimitError(
        `zstd frame declares ${contentSize >= 0 ? contentSize : window} bytes`,
      );
    for (;;) {
      if (p + 3 > data.length) throw new ZstdFormatError('zstd block truncated');
      const header = (data[p] as number) | ((data[p + 1] as number) << 8) | ((data[p + 2] as number) << 16);
      const last = header & 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new ZstdFormatError('zstd reserved block type');
      // Raw and RLE blocks regenerate `size` bytes; a compressed block at most 128 KiB.
      bound += type === 2 ? BLOCK_MAX : size;
      p += 3 + (type === 1 ? 1 : size);
      if (bound > maxBytes && contentSize < 0)
        throw new DecompressionLimitError(`zstd stream may hold over ${maxBytes} bytes`);
      if (last) break;
    }
    at = p + (checksum ? 4 : 0);
    if (at > data.length) throw new ZstdFormatError('zstd frame checksum truncated');
  }
}
