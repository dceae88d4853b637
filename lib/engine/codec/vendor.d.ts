// Type declarations for the untyped pure-JS codecs the compression module uses (only the parts it uses).

declare module 'snappyjs' {
  export function compress(uncompressed: Uint8Array): Uint8Array;
}

declare module 'lz4js' {
  export function compressBound(n: number): number;
  /** Compresses src[sIndex, sIndex + sLength) into dst from 0; returns its length, 0 when nothing matched. */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
}

declare module 'lz4js/xxh32.js' {
  export function hash(seed: number, src: Uint8Array, index: number, length: number): number;
}
