import { MalformedFrameError, TruncatedFrameError } from './errors.js';

/**
 * Kafka's primitive encodings, big-endian. Classic versions length-prefix with int16/int32 (-1 for
 * null); flexible versions use unsigned varints holding length + 1 (0 for null). The reader
 * accepts only the canonical form of each value (bools 0 or 1, shortest varints), so anything it
 * accepts re-encodes to the same bytes.
 */

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class Reader {
  private readonly view: DataView;
  pos = 0;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    if (n > this.buf.length - this.pos) {
      throw new TruncatedFrameError(`needed ${n} bytes at ${this.pos}, ${this.remaining} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.need(1));
  }
  int16(): number {
    return this.view.getInt16(this.need(2));
  }
  uint16(): number {
    return this.view.getUint16(this.need(2));
  }
  int32(): number {
    return this.view.getInt32(this.need(4));
  }
  int64(): bigint {
    return this.view.getBigInt64(this.need(8));
  }
  float64(): number {
    return this.view.getFloat64(this.need(8));
  }
  bool(): boolean {
    const b = this.view.getUint8(this.need(1));
    if (b > 1) throw new MalformedFrameError(`bool byte ${b} at ${this.pos - 1}`);
    return b === 1;
  }
  uuid(): string {
    const hex = Buffer.from(this.bytes(16)).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  /** A view into the frame, not a copy. */
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
  utf8(n: number): string {
    const raw = this.bytes(n);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      throw new MalformedFrameError(`string at ${this.pos - n} is not UTF-8`);
    }
  }

  /** Unsigned varint of at most 32 bits (Kafka's lengths, counts and tags). */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.view.getUint8(this.need(1));
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new MalformedFrameError('overlong varint');
        if (value > 0xffffffff) throw new MalformedFrameError('varint exceeds 32 bits');
        return value;
      }
    }
    throw new MalformedFrameError('varint longer than 5 bytes');
  }
  /** Zigzag varint of at most 32 bits. */
  varint(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves n bytes and returns where they start; may replace buf and view, so call it first. */
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  int8(v: number): this {
    const at = this.room(1);
    this.view.setInt8(at, v);
    return this;
  }
  int16(v: number): this {
    const at = this.room(2);
    this.view.setInt16(at, v);
    return this;
  }
  uint16(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v);
    return this;
  }
  int32(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v);
    return this;
  }
  int64(v: bigint): this {
    const at = this.room(8);
    this.view.setBigInt64(at, v);
    return this;
  }
  float64(v: number): this {
    const at = this.room(8);
    this.view.setFloat64(at, v);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  uuid(v: string): this {
    const hex = v.replaceAll('-', '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${v}`);
    return this.bytes(Buffer.from(hex, 'hex'));
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  uvarint(v: number): this {
    let n = v;
    while (n >= 0x80) {
      const at = this.room(1);
      this.buf[at] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    const at = this.room(1);
    this.buf[at] = n;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  patchInt32(at: number, v: number): void {
    this.view.setInt32(at, v);
  }
  /** The bytes written so far, without copying. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

export function uvarintSize(v: number): number {
  let size = 1;
  for (let n = v; n >= 0x80; n = Math.floor(n / 0x80)) size++;
  return size;
}
