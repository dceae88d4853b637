import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SegmentCache } from '../../lib/engine/storage/segment-cache.js';

describe('SegmentCache', () => {
  it('never holds more than its bound, and evicts the least recently used first', () => {
    const cache = new SegmentCache(100);
    cache.set('a', new Uint8Array(40));
    cache.set('b', new Uint8Array(40));
    expect(cache.get('a')).toBeDefined(); // a is now the most recently used
    cache.set('c', new Uint8Array(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(80);
    cache.set('huge', new Uint8Array(101));
    expect(cache.get('huge')).toBeUndefined();
  });

  it('stays within its bound under any sequence of sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat(60))), (ops) => {
        const cache = new SegmentCache(100);
        for (const [key, size] of ops) {
          cache.set(key, new Uint8Array(size));
          expect(cache.size).toBeLessThanOrEqual(100);
          expect(cache.get(key)?.length).toBe(size);
        }
      }),
    );
  });
});
