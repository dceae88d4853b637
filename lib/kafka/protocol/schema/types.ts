/**
 * The project's compact form of Kafka's message definitions. A message is a list of fields; a field
 * has a name, a type, the versions it exists in, and optionally the versions in which it may be
 * null, a tag (then it travels in the struct's tagged-field section) and a default. The codec
 * (../codec.ts) interprets these lists; nothing is generated.
 *
 * Version ranges are written as Kafka writes them: '0+', '3-7', '5', 'none'.
 */

export type Primitive =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'varint'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  | 'records';

export interface ArrayType {
  readonly array: FieldType;
}
export interface StructType {
  readonly struct: readonly Field[];
}
export type FieldType = Primitive | ArrayType | StructType;

export interface FieldOptions {
  /** Versions in which the value may be null (strings, bytes, records, arrays). */
  readonly nullable?: string;
  /** A tagged field: its tag number, carried in the tagged-field section of flexible versions. */
  readonly tag?: number;
  /** Versions in which the tagged field may be sent; defaults to the field's versions. */
  readonly taggedVersions?: string;
  /** The value a decoder fills in where the field is absent, and an encoder uses where none is given. */
  readonly default?: unknown;
  /** 'none' keeps the classic encoding in flexible versions (the request header's client id). */
  readonly flexible?: 'none';
}

export interface Field extends FieldOptions {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: string;
}

/** One API: its key, the versions we know, where flexible encoding starts, and both directions. */
export interface ApiSchema {
  readonly key: number;
  readonly name: string;
  readonly versions: string;
  readonly flexible: string;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
}

// Two signatures, so that a field without options does not pick up `Field` from the context as its
// options type (which would widen its value type to every FieldType).
export function field<const N extends string, const T extends FieldType>(
  name: N,
  type: T,
  versions?: string,
): { name: N; type: T; versions: string };
export function field<const N extends string, const T extends FieldType, const O extends FieldOptions>(
  name: N,
  type: T,
  versions: string,
  options: O,
): { name: N; type: T; versions: string } & O;
export function field(name: string, type: FieldType, versions = '0+', options?: FieldOptions): Field {
  return { name, type, versions, ...options };
}

export function array<const T extends FieldType | readonly Field[]>(
  element: T,
): { array: T extends readonly Field[] ? { struct: T } : T } {
  const inner = Array.isArray(element) ? { struct: element } : element;
  return { array: inner } as { array: T extends readonly Field[] ? { struct: T } : T };
}

export function struct<const F extends readonly Field[]>(fields: F): { struct: F } {
  return { struct: fields };
}

export function api<const S extends ApiSchema>(schema: S): S {
  return schema;
}

// ---- version ranges ----

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };
const ranges = new Map<string, VersionRange>();

export function parseVersions(spec: string): VersionRange {
  let range = ranges.get(spec);
  if (range) return range;
  const m = /^(\d+)(\+|-(\d+))?$/.exec(spec);
  if (spec === 'none') range = NONE;
  else if (!m) throw new Error(`bad version range '${spec}'`);
  else {
    const min = Number(m[1]);
    range = { min, max: m[2] === '+' ? 0x7fff : m[3] !== undefined ? Number(m[3]) : min };
  }
  ranges.set(spec, range);
  return range;
}

export function inVersions(spec: string, version: number): boolean {
  const { min, max } = parseVersions(spec);
  return version >= min && version <= max;
}

// ---- the values a schema describes, as TypeScript types ----

type ValueOf<T> = T extends 'bool'
  ? boolean
  : T extends 'int64'
    ? bigint
    : T extends 'int8' | 'int16' | 'uint16' | 'int32' | 'varint' | 'float64'
      ? number
      : T extends 'string' | 'uuid'
        ? string
        : T extends 'bytes' | 'records'
          ? Uint8Array
          : T extends { array: infer E }
            ? ValueOf<E>[]
            : T extends { struct: infer F extends readonly Field[] }
              ? Struct<F>
              : never;

type FieldValue<F> = F extends { type: infer T; nullable: string }
  ? ValueOf<T> | null
  : F extends { type: infer T }
    ? ValueOf<T>
    : never;

/** Tagged fields the schema does not know, kept so a decoded message re-encodes byte for byte. */
export interface UnknownTag {
  tag: number;
  data: Uint8Array;
}

/** A decoded struct: every field of the schema, absent ones at their defaults. */
export type Struct<Fs extends readonly Field[]> = {
  -readonly [F in Fs[number] as F['name']]: FieldValue<F>;
} & { unknownTags?: UnknownTag[] };

type InputOf<T> = T extends { array: infer E }
  ? InputOf<E>[]
  : T extends { struct: infer F extends readonly Field[] }
    ? Input<F>
    : ValueOf<T>;
type FieldInput<F> = F extends { type: infer T; nullable: string }
  ? InputOf<T> | null
  : F extends { type: infer T }
    ? InputOf<T>
    : never;

/** What an encoder accepts: any field left out is written as its default. */
export type Input<Fs extends readonly Field[]> = {
  [F in Fs[number] as F['name']]?: FieldInput<F>;
} & { unknownTags?: UnknownTag[] };
