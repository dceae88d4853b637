import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advance,
  checkSequence,
  type ProducerPartitionState,
  RETAINED_BATCHES,
} from '../../lib/engine/idempotence.js';

describe('idempotent producer sequence rules', () => {
  it('appends in order, returns the original offset for a retained retry, rejects gaps and stale epochs', () => {
    let state: ProducerPartitionState | undefined;
    let offset = 100;
    const batches = [3, 1, 4, 1, 5, 9, 2].map((n, i, all) => ({
      epoch: 0,
      baseSequence: all.slice(0, i).reduce((a, b) => a + b, 0),
      recordCount: n,
    }));
    const offsets: number[] = [];
    for (const b of batches) {
      expect(checkSequence(state, b)).toEqual({ kind: 'append' });
      offsets.push(offset);
      state = advance(state, b, offset);
      offset += b.recordCount;
    }
    // The last 5 are retained: their retries are duplicates with their original offsets.
    batches.slice(-RETAINED_BATCHES).forEach((b, i) => {
      expect(checkSequence(state, b)).toEqual({
        kind: 'duplicate',
        baseOffset: offsets[offsets.length - RETAINED_BATCHES + i],
      });
    });
    // Older than that: a duplicate the broker can no longer answer for.
    expect(() => checkSequence(state, batches[0] as (typeof batches)[0])).toThrow(
      /DUPLICATE|already written/,
    );
    const next = (state as ProducerPartitionState).nextSeq;
    expect(() => checkSequence(state, { epoch: 0, baseSequence: next + 1, recordCount: 1 })).toThrowError(
      expect.objectContaining({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    );
    expect(checkSequence(state, { epoch: 0, baseSequence: next, recordCount: 1 })).toEqual({
      kind: 'append',
    });
    const bumped = advance(state, { epoch: 1, baseSequence: 0, recordCount: 2 }, offset);
    expect(() => checkSequence(bumped, { epoch: 0, baseSequence: next, recordCount: 1 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_PRODUCER_EPOCH' }),
    );
    expect(() => checkSequence(undefined, { epoch: 0, baseSequence: 5, recordCount: 1 })).toThrowError(
      expect.objectContaining({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    );
  });

  it('never appends the same sequence twice, whatever the order of sends and retries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (sizes, picks) => {
          const batches = sizes.map((n, i) => ({
            epoch: 0,
            baseSequence: sizes.slice(0, i).reduce((a, b) => a + b, 0),
            recordCount: n,
          }));
          let state: ProducerPartitionState | undefined;
          let log = 0;
          const appended = new Set<number>();
          // Random sends, including retries of anything already sent.
          for (const pick of picks) {
            const b = batches[pick % batches.length] as (typeof batches)[0];
            try {
              const v = checkSequence(state, b);
              if (v.kind === 'append') {
                expect(appended.has(b.baseSequence)).toBe(false);
                appended.add(b.baseSequence);
                state = advance(state, b, log);
                log += b.recordCount;
              }
            } catch {
              // Rejected sends append nothing.
            }
          }
          // What was appended is a gap-free prefix of the sequence space.
          expect(log).toBe(state?.nextSeq ?? 0);
        },
      ),
    );
  });
});
