/**
 * fast-check arbitraries built from the codec's own schema: a value for every field a message has
 * at one version, so the round-trip properties cover every (API, version, direction) without a
 * hand-written generator per message.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Field, FieldType } from '../../../lib/kafka/protocol/schema/types.js';
import { inVersions } from '../../../lib/kafka/protocol/schema/types.js';
import { defaultOf } from '../../../lib/kafka/protocol/struct.js';

type Values = Record<string, unknown>;

const int = (bits: number) => fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 });

function primitive(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return int(8);
    case 'int16':
      return int(16);
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
    case 'varint':
      return int(32);
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'uuid':
      return fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] });
    case 'string':
      return fc.string({ maxLength: 12, unit: 'grapheme' });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 });
  }
  throw new Error('not a primitive');
}

function isTaggedAt(f: Field, version: number, flexible: boolean): boolean {
  return f.tag !== undefined && flexible && inVersions(f.taggedVersions ?? f.versions, version);
}

function valueArb(f: Field, type: FieldType, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if (typeof type === 'string') arb = primitive(type);
  else if ('struct' in type) arb = structArb(type.struct, version, flexible);
  else {
    const element: Field = { name: `${f.name}[]`, type: type.array, versions: f.versions };
    arb = fc.array(valueArb(element, type.array, version, flexible), { maxLength: 3 });
  }
  return f.nullable !== undefined && inVersions(f.nullable, version) ? fc.option(arb, { nil: null }) : arb;
}

const unknownTags = fc
  .uniqueArray(fc.integer({ min: 1000, max: 1005 }), { maxLength: 2 })
  .chain((tags) =>
    fc.tuple(
      ...tags.map((tag) => fc.record({ tag: fc.constant(tag), data: fc.uint8Array({ maxLength: 6 }) })),
    ),
  )
  .map((tags) => tags.sort((a, b) => a.tag - b.tag));

/** A struct holding every field present at `version`; tagged fields are sometimes left out (so: default). */
export function structArb(
  fields: readonly Field[],
  version: number,
  flexible: boolean,
): fc.Arbitrary<Values> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  const optional: string[] = [];
  for (const f of fields) {
    if (!inVersions(f.versions, version)) continue;
    if (f.tag !== undefined && !isTaggedAt(f, version, flexible)) continue;
    shape[f.name] = valueArb(f, f.type, version, flexible);
    if (f.tag !== undefined) optional.push(f.name);
  }
  if (flexible) {
    shape.unknownTags = unknownTags;
    optional.push('unknownTags');
  }
  return fc.record(shape, { requiredKeys: Object.keys(shape).filter((k) => !optional.includes(k)) });
}

/** Checks a decoded struct against the generated one, field by field, at the fields the version has. */
export function expectDecodedMatches(
  decoded: Values,
  generated: Values,
  fields: readonly Field[],
  version: number,
  flexible: boolean,
): void {
  for (const f of fields) {
    const present =
      inVersions(f.versions, version) && (f.tag === undefined || isTaggedAt(f, version, flexible));
    const expected = present && generated[f.name] !== undefined ? generated[f.name] : defaultOf(f);
    matchValue(decoded[f.name], expected, f, f.type, version, flexible);
  }
  const tags = (generated.unknownTags as unknown[] | undefined) ?? [];
  expect(decoded.unknownTags ?? []).toEqual(tags);
}

function matchValue(
  actual: unknown,
  expected: unknown,
  f: Field,
  type: FieldType,
  version: number,
  flexible: boolean,
): void {
  if (expected === null || typeof type === 'string') {
    expect(actual, f.name).toEqual(expected);
  } else if ('struct' in type) {
    expectDecodedMatches(actual as Values, expected as Values, type.struct, version, flexible);
  } else {
    const items = expected as unknown[];
    expect((actual as unknown[]).length, f.name).toBe(items.length);
    items.forEach((item, i) => {
      matchValue((actual as unknown[])[i], item, f, type.array, version, flexible);
    });
  }
}
