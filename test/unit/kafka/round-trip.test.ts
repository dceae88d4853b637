import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFlexible,
} from '../../../lib/kafka/protocol/codec.js';
import { KafkaProtocolError } from '../../../lib/kafka/protocol/errors.js';
import { APIS, type ApiKey } from '../../../lib/kafka/protocol/schema/index.js';
import { parseVersions } from '../../../lib/kafka/protocol/schema/types.js';
import { expectDecodedMatches, structArb } from './schema-arbitrary.js';

/** Every (API, version) the schema defines. */
const CASES = Object.values(APIS).flatMap((schema) => {
  const { min, max } = parseVersions(schema.versions);
  return Array.from({ length: max - min + 1 }, (_, i) => ({ schema, version: min + i }));
});

const header = fc.record({
  correlationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  clientId: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
});

describe('round trips over every (API, version), built from the schema', () => {
  it('covers 35 APIs', () => {
    expect(Object.keys(APIS)).toHaveLength(35);
    expect(CASES.length).toBe(194);
  });

  it.each(CASES.map((c) => [c.schema.name, c.version, c] as const))('%s v%i request', (_n, _v, c) => {
    const { schema, version } = c;
    const flexible = isFlexible(schema, version);
    fc.assert(
      fc.property(header, structArb(schema.request, version, flexible), (h, body) => {
        const key = schema.key as ApiKey;
        const wire = encodeRequest({ apiKey: key, apiVersion: version, ...h }, body as never);
        expect(new DataView(wire.buffer, wire.byteOffset).getInt32(0)).toBe(wire.length - 4);
        const decoded = decodeRequest(wire.subarray(4));
        expect(decoded.api).toBe(schema.name);
        expect(decoded.header).toEqual({ apiKey: key, apiVersion: version, ...h });
        expectDecodedMatches(decoded.body, body, schema.request, version, flexible);
        expect(encodeRequest(decoded.header as never, decoded.body as never)).toEqual(wire);
      }),
      { numRuns: 25 },
    );
  });

  it.each(CASES.map((c) => [c.schema.name, c.version, c] as const))('%s v%i response', (_n, _v, c) => {
    const { schema, version } = c;
    const flexible = isFlexible(schema, version);
    fc.assert(
      fc.property(header, structArb(schema.response, version, flexible), (h, body) => {
        const key = schema.key as ApiKey;
        const wire = encodeResponse(key, version, h.correlationId, body as never);
        const decoded = decodeResponse(key, version, wire.subarray(4));
        expect(decoded.correlationId).toBe(h.correlationId);
        expectDecodedMatches(decoded.body, body, schema.response, version, flexible);
        expect(encodeResponse(key, version, decoded.correlationId, decoded.body as never)).toEqual(wire);
      }),
      { numRuns: 25 },
    );
  });
});

describe('decoding untrusted bytes', () => {
  const isProtocolError = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch (err) {
      if (err instanceof KafkaProtocolError) return true;
      throw err;
    }
  };

  it('random frames either decode or throw a KafkaProtocolError', () => {
    // A known API key and version first, so the body decoders, not only the header check, see the noise.
    const known = fc.constantFrom(...CASES).chain(({ schema, version }) =>
      fc.uint8Array({ maxLength: 200 }).map((tail) => {
        const frame = new Uint8Array(4 + tail.length);
        new DataView(frame.buffer).setInt16(0, schema.key);
        new DataView(frame.buffer).setInt16(2, version);
        frame.set(tail, 4);
        return frame;
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), known), (frame) =>
        isProtocolError(() => decodeRequest(frame)),
      ),
      { numRuns: 5000 },
    );
  });

  it('valid frames with a byte changed or cut short either decode or throw a KafkaProtocolError', () => {
    const mutated = fc.constantFrom(...CASES).chain(({ schema, version }) => {
      const flexible = isFlexible(schema, version);
      return fc
        .tuple(
          structArb(schema.request, version, flexible),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          fc.nat(),
        )
        .map(([body, at, byte, cut]) => {
          const wire = encodeRequest(
            { apiKey: schema.key as ApiKey, apiVersion: version, correlationId: 1, clientId: 'c' },
            body as never,
          );
          const frame = wire.slice(4);
          frame[at % frame.length] = byte;
          return frame.subarray(0, frame.length - (cut % 3));
        });
    });
    fc.assert(
      fc.property(mutated, (frame) => isProtocolError(() => decodeRequest(frame))),
      { numRuns: 3000 },
    );
  });

  it('responses cut short or changed throw only KafkaProtocolError', () => {
    const mutated = fc.constantFrom(...CASES).chain(({ schema, version }) => {
      const flexible = isFlexible(schema, version);
      return fc
        .tuple(structArb(schema.response, version, flexible), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([body, at, byte]) => {
          const frame = encodeResponse(schema.key as ApiKey, version, 1, body as never).slice(4);
          frame[at % frame.length] = byte;
          return { key: schema.key as ApiKey, version, frame: frame.subarray(0, frame.length - (at % 2)) };
        });
    });
    fc.assert(
      fc.property(mutated, ({ key, version, frame }) =>
        isProtocolError(() => decodeResponse(key, version, frame)),
      ),
      { numRuns: 2000 },
    );
  });
});
