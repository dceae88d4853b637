/**
 * Bytes in and out of the JSON API. Browser-safe: Buffer is used when the runtime has one (Node,
 * where KafkaJS users expect Buffers), plain Uint8Array and btoa/atob otherwise.
 */

import type { MessageBytes } from './types.js';

type BufferLike = Uint8Array & { toString(encoding?: string): string };
interface BufferCtor {
  from(
    data: string | Uint8Array | ArrayBufferLike,
    encodingOrOffset?: string | number,
    length?: number,
  ): BufferLike;
  isBuffer(value: unknown): boolean;
}

const NodeBuffer: BufferCtor | undefined = (globalThis as { Buffer?: BufferCtor }).Buffer;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Payload = string | Uint8Array | null | undefined;

/** Bytes as KafkaJS hands them to consumers: a Buffer where one exists (a view, no copy). */
export function toBufferLike(bytes: Uint8Array): MessageBytes {
  if (NodeBuffer && !NodeBuffer.isBuffer(bytes)) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length) as unknown as MessageBytes;
  }
  return bytes as MessageBytes;
}

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(text, 'base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Is the payload bytes (so the request must use base64) rather than a string or null? */
export function isBinary(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** A payload as it goes on the wire: text as is, or base64 of its bytes. */
export function payloadToWire(value: Payload, base64: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (!base64) return typeof value === 'string' ? value : utf8Decode(value);
  return toBase64(typeof value === 'string' ? utf8Encode(value) : value);
}

/** A payload's size in bytes (UTF-8 for strings), for batching decisions. */
export function payloadSize(value: Payload): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? utf8Length(value) : value.length;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
