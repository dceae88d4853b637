/**
 * The consumer-group checks (checker/group-check.ts) on hand-written histories: each anomaly is
 * found where it is, and a correct history has none. A property: commits that only go forward
 * never report a regression, and one lower commit after them always does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkGroups } from '../../checker/group-check.js';
import type {
  AssignmentOp,
  CommitOp,
  CommittedReadOp,
  History,
  HistoryOp,
  PollOp,
  SendOp,
} from '../../checker/history.js';

const history = (ops: HistoryOp[]): History => ({ topic: 't', partitions: 2, ops });

const send = (value: string, partition: number, offset: number, time = 0): SendOp => ({
  type: 'send',
  process: 'p',
  idempotent: true,
  seq: 0,
  records: [{ value, partition }],
  outcome: 'ok',
  offsets: [offset],
  attempts: 1,
  start: time,
  end: time + 1,
});
const poll = (process: string, partition: number, records: [number, string][], final = false): PollOp => ({
  type: 'poll',
  process,
  partition,
  assignment: 1,
  offset: records[0]?.[0] ?? 0,
  records: records.map(([offset, value]) => ({ offset, value })),
  ...(final ? { final: true } : {}),
  start: 0,
  end: 1,
});
const assignment = (member: string, generation: number, partitions: number[]): AssignmentOp => ({
  type: 'assignment',
  process: member,
  member,
  generation,
  partitions,
  time: 0,
});
const commit = (
  member: string,
  generation: number,
  partition: number,
  offset: number,
  start: number,
  end: number,
  outcome: CommitOp['outcome'] = 'ok',
): CommitOp => ({
  type: 'commit',
  process: member,
  member,
  generation,
  partition,
  offset,
  outcome,
  start,
  end,
});
const read = (partition: number, offset: number, start: number): CommittedReadOp => ({
  type: 'committed',
  process: 'm',
  partition,
  offset,
  start,
  end: start + 1,
});

const counts = (h: History) =>
  Object.fromEntries(Object.entries(checkGroups(h).anomalies).map(([name, a]) => [name, a.count]));

describe('checkGroups', () => {
  const clean = [
    send('a', 0, 0),
    send('b', 1, 0),
    assignment('m1', 1, [0]),
    assignment('m2', 1, [1]),
    poll('m1', 0, [[0, 'a']]),
    poll('m2', 1, [[0, 'b']]),
    commit('m1', 1, 0, 1, 10, 11),
    commit('m2', 1, 1, 1, 10, 11),
    assignment('m1', 2, [0, 1]),
    read(0, 1, 20),
    read(1, 1, 20),
    commit('m1', 2, 1, 1, 30, 31),
  ];

  it('finds nothing in a correct history', () => {
    const report = checkGroups(history(clean));
    expect(report.valid).toBe(true);
    expect(report.stats).toMatchObject({ generations: 2, assignments: 3, consumed: 2 });
  });

  it('split-ownership: one partition given to two members of one generation', () => {
    const report = checkGroups(history([...clean, assignment('m3', 2, [1])]));
    expect(report.anomalies['split-ownership']).toMatchObject({
      count: 1,
      examples: [{ generation: 2, partition: 1, members: ['m1', 'm3'] }],
    });
    expect(report.violations).toEqual(['split-ownership']);
  });

  it('commit-regression: an ok commit, or a committed read, lower than one that ended before it began', () => {
    expect(counts(history([...clean, commit('zombie', 1, 0, 0, 40, 41)]))).toMatchObject({
      'commit-regression': 1,
      'split-ownership': 0,
    });
    expect(counts(history([...clean, read(0, 0, 40)]))['commit-regression']).toBe(1);
    // Overlapping in time, or not ok, it cannot be ordered or did not count.
    expect(counts(history([...clean, commit('m3', 1, 0, 0, 5, 12)]))['commit-regression']).toBe(0);
    expect(counts(history([...clean, commit('m3', 1, 0, 0, 40, 41, 'fail')]))['commit-regression']).toBe(0);
    expect(counts(history([...clean, commit('m3', 1, 0, 0, 40, 41, 'info')]))['commit-regression']).toBe(0);
  });

  it('unconsumed: an acknowledged value no member polled; the final read does not count', () => {
    const ops = [...clean, send('c', 0, 1), poll('final', 0, [[1, 'c']], true)];
    expect(checkGroups(history(ops)).anomalies.unconsumed).toMatchObject({
      count: 1,
      examples: [{ partition: 0, value: 'c', offset: 1 }],
    });
    expect(counts(history([...ops, poll('m1', 0, [[1, 'c']])])).unconsumed).toBe(0);
  });

  it('property: forward-only commits never regress; one lower commit after them always does', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 1, maxLength: 30 }), fc.nat(5), (steps, overlap) => {
        let offset = 0;
        const ops: HistoryOp[] = steps.map((step, i) => {
          offset += step;
          // Each commit may overlap the previous one in time; offsets only grow.
          return commit('m', 1, 0, offset, i * 10 - Math.min(overlap, 9), i * 10 + 5);
        });
        expect(counts(history(ops))['commit-regression']).toBe(0);
        if (offset === 0) return;
        const later = commit('z', 0, 0, offset - 1, steps.length * 10 + 100, steps.length * 10 + 101);
        expect(counts(history([...ops, later]))['commit-regression']).toBe(1);
      }),
    );
  });
});
