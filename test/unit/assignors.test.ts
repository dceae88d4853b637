import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ASSIGNORS,
  type AssignorInput,
  type AssignorMember,
  type GroupAssignment,
  rangeAssign,
  uniformAssign,
} from '../../lib/engine/groups/assignors.js';

const TOPICS = ['a', 'b', 'c', 'd'];

const countsArb = fc
  .tuple(...TOPICS.map(() => fc.integer({ min: 0, max: 12 })))
  .map((ns) => Object.fromEntries(TOPICS.map((t, i) => [t, ns[i] as number])));

const memberIdsArb = (min: number, max: number) =>
  fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: min, maxLength: max });

/** Members with arbitrary (possibly unequal, possibly unknown-topic) subscriptions. */
const inputArb: fc.Arbitrary<AssignorInput> = fc.tuple(countsArb, memberIdsArb(1, 8)).chain(([counts, ids]) =>
  fc.tuple(...ids.map(() => fc.subarray([...TOPICS, 'missing']))).map((subs) => ({
    partitionCounts: counts,
    members: ids.map((memberId, i) => ({ memberId, topics: subs[i] as string[] })),
  })),
);

/** Every member subscribes to the same topics. */
const equalInputArb: fc.Arbitrary<AssignorInput> = fc
  .tuple(countsArb, memberIdsArb(1, 8), fc.subarray(TOPICS, { minLength: 1 }))
  .map(([counts, ids, topics]) => ({
    partitionCounts: counts,
    members: ids.map((memberId) => ({ memberId, topics })),
  }));

function flatten(assignment: GroupAssignment): { member: string; topic: string; partition: number }[] {
  return Object.entries(assignment).flatMap(([member, topics]) =>
    Object.entries(topics).flatMap(([topic, parts]) =>
      parts.map((partition) => ({ member, topic, partition })),
    ),
  );
}

function load(assignment: GroupAssignment, member: string): number {
  return Object.values(assignment[member] ?? {}).reduce((n, parts) => n + parts.length, 0);
}

function checkValid(input: AssignorInput, out: GroupAssignment) {
  const subs = new Map(input.members.map((m) => [m.memberId, new Set(m.topics)]));
  expect(Object.keys(out).sort()).toEqual([...subs.keys()].sort());
  const seen = new Map<string, string>();
  for (const { member, topic, partition } of flatten(out)) {
    const key = `${topic}-${partition}`;
    expect(seen.has(key), `${key} assigned twice`).toBe(false);
    seen.set(key, member);
    expect(subs.get(member)?.has(topic), `${member} does not subscribe to ${topic}`).toBe(true);
    expect(partition).toBeGreaterThanOrEqual(0);
    expect(partition).toBeLessThan(input.partitionCounts[topic] ?? 0);
  }
  // Every partition of a topic somebody subscribes to is assigned.
  for (const [topic, count] of Object.entries(input.partitionCounts)) {
    if (!input.members.some((m) => m.topics.includes(topic))) continue;
    for (let p = 0; p < count; p++) expect(seen.has(`${topic}-${p}`), `${topic}-${p} unassigned`).toBe(true);
  }
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe.each(Object.entries(ASSIGNORS))('%s assignor', (_name, assign) => {
  it('assigns every subscribed partition exactly once, only to a subscriber', () => {
    fc.assert(fc.property(inputArb, (input) => checkValid(input, assign(input))));
  });

  it('is deterministic: member order does not matter', () => {
    fc.assert(
      fc.property(inputArb, fc.integer(), (input, seed) => {
        const again = { ...input, members: shuffled(input.members, seed) };
        expect(assign(again)).toEqual(assign(input));
      }),
    );
  });

  it('survives a previous assignment that no longer fits (deleted topics, fewer partitions)', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (before, after) => {
        const current = assign(before);
        checkValid(after, assign({ ...after, current }));
      }),
    );
  });
});

describe('uniform assignor', () => {
  it('balances within one partition when subscriptions are equal', () => {
    fc.assert(
      fc.property(
        equalInputArb,
        fc.option(equalInputArb, { nil: undefined }),
        fc.nat(),
        (input, previous, k) => {
          // With any previous (sticky) assignment: one from other members and topics, or one where a
          // single member of this group held everything.
          const hog = input.members[k % input.members.length] as AssignorMember;
          const current = previous ? uniformAssign(previous) : uniformAssign({ ...input, members: [hog] });
          const out = uniformAssign({ ...input, current });
          checkValid(input, out);
          const loads = input.members.map((m) => load(out, m.memberId));
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('is sticky: when a member joins, the others only give up what balance requires', () => {
    fc.assert(
      fc.property(equalInputArb, fc.stringMatching(/^[A-Z]{1,4}$/), (input, newcomer) => {
        const before = uniformAssign(input);
        const topics = input.members[0]?.topics ?? [];
        const members: AssignorMember[] = [...input.members, { memberId: newcomer, topics }];
        const after = uniformAssign({ ...input, members, current: before });
        const total = flatten(before).length;
        const floor = Math.floor(total / members.length);
        for (const m of input.members) {
          const kept = flatten({ x: after[m.memberId] ?? {} });
          // Nothing new for an existing member, and it keeps at least its fair share of what it had.
          for (const { topic, partition } of kept) expect(before[m.memberId]?.[topic]).toContain(partition);
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(load(before, m.memberId), floor));
        }
      }),
    );
  });

  it('is sticky: when a member leaves, the others keep everything they had', () => {
    fc.assert(
      fc.property(
        equalInputArb.filter((i) => i.members.length >= 2),
        fc.nat(),
        (input, k) => {
          const before = uniformAssign(input);
          const leaving = input.members[k % input.members.length]?.memberId;
          const members = input.members.filter((m) => m.memberId !== leaving);
          const after = uniformAssign({ ...input, members, current: before });
          checkValid({ ...input, members }, after);
          for (const m of members) {
            for (const [topic, parts] of Object.entries(before[m.memberId] ?? {})) {
              for (const p of parts) expect(after[m.memberId]?.[topic]).toContain(p);
            }
          }
        },
      ),
    );
  });

  it('is stable: recomputing with its own output as the current assignment changes nothing', () => {
    fc.assert(
      fc.property(equalInputArb, (input) => {
        const once = uniformAssign(input);
        expect(uniformAssign({ ...input, current: once })).toEqual(once);
      }),
    );
  });

  it('spreads 6 partitions over 3 members 2-2-2', () => {
    const out = uniformAssign({
      partitionCounts: { orders: 6 },
      members: ['m1', 'm2', 'm3'].map((memberId) => ({ memberId, topics: ['orders'] })),
    });
    expect(out).toEqual({ m1: { orders: [0, 3] }, m2: { orders: [1, 4] }, m3: { orders: [2, 5] } });
  });
});

describe('range assignor', () => {
  it("matches Kafka's range layout per topic", () => {
    const out = rangeAssign({
      partitionCounts: { t: 7, u: 2 },
      members: [
        { memberId: 'c', topics: ['t', 'u'] },
        { memberId: 'a', topics: ['t', 'u'] },
        { memberId: 'b', topics: ['t'] },
      ],
    });
    expect(out).toEqual({
      a: { t: [0, 1, 2], u: [0] },
      b: { t: [3, 4] },
      c: { t: [5, 6], u: [1] },
    });
  });
});
