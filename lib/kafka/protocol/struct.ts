import { MalformedFrameError, TruncatedFrameError } from './errors.js';
import { type Field, type FieldType, inVersions, type UnknownTag } from './schema/types.js';
import { Reader, utf8, Writer } from './wire.js';

/**
 * Reads and writes one struct of a message by walking its schema (interpretation, not generated
 * code: the schema stays the single source, and the per-field cost is small next to the record
 * bytes that dominate Produce and Fetch). `flexible` is the message version's encoding; it holds
 * for every nested struct of the message.
 */

type Values = Record<string, unknown> & { unknownTags?: UnknownTag[] };

interface Layout {
  /** Fields written in order, in this version. */
  regular: Field[];
  /** Fields carried in the tagged-field section, by ascending tag. */
  tagged: Field[];
}

const layouts = new WeakMap<readonly Field[], Map<string, Layout>>();

function layoutOf(fields: readonly Field[], version: number, flexible: boolean): Layout {
  let byVersion = layouts.get(fields);
  if (!byVersion) {
    byVersion = new Map();
    layouts.set(fields, byVersion);
  }
  const key = `${version}${flexible ? 'f' : ''}`;
  let layout = byVersion.get(key);
  if (!layout) {
    const present = fields.filter((f) => inVersions(f.versions, version));
    const isTagged = (f: Field) =>
      f.tag !== undefined && flexible && inVersions(f.taggedVersions ?? f.versions, version);
    layout = {
      regular: present.filter((f) => f.tag === undefined),
      tagged: present.filter(isTagged).sort((a, b) => (a.tag as number) - (b.tag as number)),
    };
    byVersion.set(key, layout);
  }
  return layout;
}

// ---- defaults ----

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export function defaultOf(f: Field): unknown {
  if ('default' in f) {
    if (f.type === 'int64' && typeof f.default === 'number') return BigInt(f.default);
    return f.default;
  }
  return zeroOf(f.type);
}

function zeroOf(type: FieldType): unknown {
  switch (type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return new Uint8Array(0);
    case 'records':
      return null;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'varint':
    case 'float64':
      return 0;
  }
  if ('array' in type) return [];
  return defaultsOf(type.struct);
}

function defaultsOf(fields: readonly Field[]): Values {
  const out: Values = {};
  for (const f of fields) out[f.name] = defaultOf(f);
  return out;
}

// ---- reading ----

export function readStruct(r: Reader, fields: readonly Field[], version: number, flexible: boolean): Values {
  const { regular, tagged } = layoutOf(fields, version, flexible);
  const out: Values = {};
  for (const f of fields) {
    out[f.name] = regular.includes(f) ? readField(r, f, f.type, version, flexible) : defaultOf(f);
  }
  if (flexible) readTags(r, tagged, version, out);
  return out;
}

function readTags(r: Reader, tagged: Field[], version: number, out: Values): void {
  const count = r.uvarint();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= previous) throw new MalformedFrameError(`tag ${tag} after tag ${previous}`);
    previous = tag;
    const data = r.bytes(r.uvarint());
    const known = tagged.find((f) => f.tag === tag);
    if (!known) {
      out.unknownTags ??= [];
      out.unknownTags.push({ tag, data });
      continue;
    }
    const sub = new Reader(data);
    out[known.name] = readField(sub, known, known.type, version, true);
    if (sub.remaining !== 0) throw new MalformedFrameError(`tagged field ${known.name} has trailing bytes`);
  }
}

function isNullableAt(f: Field, version: number): boolean {
  return f.nullable !== undefined && inVersions(f.nullable, version);
}

function readLength(r: Reader, f: Field, version: number, compact: boolean, wide: boolean): number | null {
  const n = compact ? r.uvarint() - 1 : wide ? r.int32() : r.int16();
  if (n >= 0) return n;
  if (n < -1) throw new MalformedFrameError(`${f.name}: negative length ${n}`);
  if (f.nullable === undefined || !inVersions(f.nullable, version)) {
    throw new MalformedFrameError(`${f.name} is not nullable in version ${version}`);
  }
  return null;
}

function readField(r: Reader, f: Field, type: FieldType, version: number, flexible: boolean): unknown {
  const compact = flexible && f.flexible !== 'none';
  switch (type) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'varint':
      return r.varint();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const n = readLength(r, f, version, compact, false);
      return n === null ? null : r.utf8(n);
    }
    case 'bytes':
    case 'records': {
      const n = readLength(r, f, version, compact, true);
      return n === null ? null : r.bytes(n);
    }
  }
  if ('struct' in type) {
    if (isNullableAt(f, version)) {
      // A nullable struct is preceded by a marker: -1 for null, 1 for present (Kafka writes these two).
      const marker = r.int8();
      if (marker === -1) return null;
      if (marker !== 1) throw new MalformedFrameError(`${f.name}: struct marker ${marker}`);
    }
    return readStruct(r, type.struct, version, flexible);
  }
  const n = readLength(r, f, version, compact, true);
  if (n === null) return null;
  // Every element takes at least one byte: a count beyond the frame cannot be honest.
  if (n > r.remaining) throw new TruncatedFrameError(`${f.name}: ${n} elements in ${r.remaining} bytes`);
  const element = type.array;
  const items: unknown[] = new Array(n);
  const elementField: Field = { name: `${f.name}[]`, type: element, versions: f.versions };
  for (let i = 0; i < n; i++) items[i] = readField(r, elementField, element, version, flexible);
  return items;
}

// ---- writing ----

export function writeStruct(
  w: Writer,
  fields: readonly Field[],
  version: number,
  flexible: boolean,
  value: Values | undefined,
): void {
  const { regular, tagged } = layoutOf(fields, version, flexible);
  for (const f of regular) writeField(w, f, f.type, version, flexible, givenOrDefault(value, f));
  if (!flexible) return;
  const tags: UnknownTag[] = [];
  for (const f of tagged) {
    const v = value?.[f.name];
    if (v === undefined || sameValue(v, defaultOf(f))) continue;
    const sub = new Writer(64);
    writeField(sub, f, f.type, version, true, v);
    tags.push({ tag: f.tag as number, data: sub.finish() });
  }
  for (const unknown of value?.unknownTags ?? []) tags.push(unknown);
  tags.sort((a, b) => a.tag - b.tag);
  w.uvarint(tags.length);
  for (const { tag, data } of tags) w.uvarint(tag).uvarint(data.length).bytes(data);
}

function givenOrDefault(value: Values | undefined, f: Field): unknown {
  const v = value?.[f.name];
  return v === undefined ? defaultOf(f) : v;
}

function writeLength(
  w: Writer,
  f: Field,
  version: number,
  compact: boolean,
  wide: boolean,
  n: number | null,
): void {
  if (n === null && (f.nullable === undefined || !inVersions(f.nullable, version))) {
    throw new TypeError(`${f.name} is not nullable in version ${version}`);
  }
  const length = n ?? -1;
  if (compact) w.uvarint(length + 1);
  else if (wide) w.int32(length);
  else if (length > 0x7fff) throw new RangeError(`${f.name}: string of ${length} bytes`);
  else w.int16(length);
}

function writeField(
  w: Writer,
  f: Field,
  type: FieldType,
  version: number,
  flexible: boolean,
  v: unknown,
): void {
  const compact = flexible && f.flexible !== 'none';
  switch (type) {
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'uint16':
      w.uint16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'int64':
      w.int64(BigInt(v as bigint));
      return;
    case 'varint':
      w.varint(v as number);
      return;
    case 'float64':
      w.float64(v as number);
      return;
    case 'uuid':
      w.uuid(v as string);
      return;
    case 'string': {
      const bytes = v === null ? null : utf8(v as string);
      writeLength(w, f, version, compact, false, bytes?.length ?? null);
      if (bytes) w.bytes(bytes);
      return;
    }
    case 'bytes':
    case 'records': {
      const bytes = v as Uint8Array | null;
      writeLength(w, f, version, compact, true, bytes?.length ?? null);
      if (bytes) w.bytes(bytes);
      return;
    }
  }
  if ('struct' in type) {
    if (isNullableAt(f, version)) w.int8(v === null ? -1 : 1);
    else if (v === null) throw new TypeError(`${f.name} is not nullable in version ${version}`);
    if (v !== null) writeStruct(w, type.struct, version, flexible, v as Values);
    return;
  }
  const items = v as unknown[] | null;
  writeLength(w, f, version, compact, true, items?.length ?? null);
  if (!items) return;
  const elementField: Field = { name: `${f.name}[]`, type: type.array, versions: f.versions };
  for (const item of items) writeField(w, elementField, type.array, version, flexible, item);
}

/** Deep equality over decoded values, to leave tagged fields at their default out of the frame. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const bv = b as Values;
    return Object.entries(a as Values).every(([k, x]) =>
      k === 'unknownTags' ? (x as UnknownTag[]).length === 0 : sameValue(x, bv[k]),
    );
  }
  return false;
}
