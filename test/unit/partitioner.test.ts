import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../lib/contract/partitioner.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur2', () => {
  // Golden vectors from Apache Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s like the Java client', (key, expected) => {
    expect(murmur2(utf8(key))).toBe(expected);
  });

  it('places keys where Kafka does', () => {
    // (-790332482 & 0x7fffffff) % 50 = 1357151166 % 50 = 16, as in Kafka's partitioner tests.
    expect(partitionForKey(utf8('foobar'), 50)).toBe(16);
    expect(partitionForKey(utf8('21'), 12)).toBe((-973932308 & 0x7fffffff) % 12);
  });

  it('always yields a partition in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionForKey(key, n);
        return Number.isInteger(p) && p >= 0 && p < n;
      }),
    );
  });
});
