import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANOMALY_NAMES, type AnomalyName, type CheckReport, checkHistory } from '../../checker/check.js';
import type { History, HistoryOp, PollOp, SendOp } from '../../checker/history.js';

// ---------------------------------------------------------------------------------------------
// Hand-written histories: one per anomaly.

let clock = 0;
const send = (
  process: string,
  seq: number,
  records: [string, number][],
  outcome: SendOp['outcome'],
  offsets?: number[],
  idempotent = true,
): SendOp => ({
  type: 'send',
  process,
  idempotent,
  seq,
  records: records.map(([value, partition]) => ({ value, partition })),
  outcome,
  ...(offsets ? { offsets } : {}),
  attempts: 1,
  start: clock++,
  end: clock++,
});
const poll = (
  process: string,
  partition: number,
  records: [number, string][],
  assignment = 0,
  final = false,
): PollOp => ({
  type: 'poll',
  process,
  partition,
  assignment,
  offset: records[0]?.[0] ?? 0,
  records: records.map(([offset, value]) => ({ offset, value })),
  ...(final ? { final } : {}),
  start: clock++,
  end: clock++,
});
const history = (ops: HistoryOp[], partitions = 1): History => ({ topic: 't', partitions, ops });

/** Anomaly counts that are not zero. */
function nonZero(report: CheckReport): Partial<Record<AnomalyName, number>> {
  const out: Partial<Record<AnomalyName, number>> = {};
  for (const name of ANOMALY_NAMES)
    if (report.anomalies[name].count > 0) out[name] = report.anomalies[name].count;
  return out;
}

describe('checkHistory on hand-written histories', () => {
  const writes = [send('p', 0, [['a', 0]], 'ok', [0]), send('p', 1, [['b', 0]], 'ok', [1])];

  it('finds nothing in a correct history', () => {
    const r = checkHistory(
      history([
        ...writes,
        send('p', 2, [['c', 0]], 'fail'),
        send('p', 3, [['d', 0]], 'info'),
        poll('c1', 0, [[0, 'a']]),
        poll('c1', 0, [[1, 'b']]),
        poll('final', 0, [
          [0, 'a'],
          [1, 'b'],
        ]),
      ]),
    );
    expect(nonZero(r)).toEqual({});
    expect(r).toMatchObject({ valid: true, violations: [] });
    expect(r.stats).toMatchObject({
      sends: { ok: 2, fail: 1, info: 1 },
      polls: 3,
      polledRecords: 4,
      logSize: [2],
      unknownValuesRead: 0,
    });
  });

  it('lost-write: an acknowledged value below the highest offset read, never read', () => {
    const r = checkHistory(
      history([
        ...writes,
        send('p', 2, [['c', 0]], 'ok', [2]),
        poll('final', 0, [
          [0, 'a'],
          [2, 'c'],
        ]),
      ]),
    );
    expect(nonZero(r)).toEqual({ 'lost-write': 1 });
    expect(r.anomalies['lost-write'].examples).toEqual([
      { partition: 0, value: 'b', producer: 'p', ackedOffset: 1, heldBy: ['b'] },
    ]);
    expect(r).toMatchObject({ valid: false, violations: ['lost-write'] });
  });

  it('unseen: an acknowledged value above everything read', () => {
    const r = checkHistory(history([...writes, poll('final', 0, [[0, 'a']])]));
    expect(nonZero(r)).toEqual({ unseen: 1 });
    expect(r.valid).toBe(true);
  });

  it('duplicate: one value at two offsets; must-be-zero only for idempotent producers', () => {
    const idem = checkHistory(
      history([
        ...writes,
        poll('final', 0, [
          [0, 'a'],
          [1, 'b'],
          [2, 'a'],
        ]),
      ]),
    );
    expect(nonZero(idem)).toEqual({ duplicate: 1 });
    expect(idem.anomalies.duplicate).toMatchObject({ idempotent: 1, plain: 0 });
    expect(idem.violations).toEqual(['duplicate']);

    const plainWrites = [
      send('q', 0, [['a', 0]], 'ok', [2], false),
      send('q', 1, [['b', 0]], 'ok', [3], false),
    ];
    const plain = checkHistory(
      history([
        ...plainWrites,
        poll('final', 0, [
          [0, 'a'],
          [1, 'b'],
          [2, 'a'],
          [3, 'b'],
        ]),
      ]),
    );
    expect(plain.anomalies.duplicate).toMatchObject({ count: 2, idempotent: 0, plain: 2 });
    expect(plain.valid).toBe(true);
  });

  it('inconsistent-offsets: an acknowledged offset read with another value', () => {
    const r = checkHistory(
      history([
        ...writes,
        send('q', 0, [['z', 0]], 'ok', [1]),
        poll('final', 0, [
          [0, 'a'],
          [1, 'b'],
        ]),
      ]),
    );
    // z was acknowledged at 1, where b is: both an inconsistent offset and a lost write.
    expect(nonZero(r)).toEqual({ 'inconsistent-offsets': 1, 'lost-write': 1 });
    expect(r.anomalies['inconsistent-offsets'].examples).toEqual([
      { partition: 0, offset: 1, values: ['b', 'z'] },
    ]);
  });

  it('G1a: a value whose send definitely failed is read', () => {
    const r = checkHistory(
      history([
        ...writes,
        send('p', 2, [['c', 0]], 'fail'),
        poll('final', 0, [
          [0, 'a'],
          [1, 'b'],
          [2, 'c'],
        ]),
      ]),
    );
    expect(nonZero(r)).toEqual({ G1a: 1 });
  });

  it('nonmonotonic-send: a later send of one producer lands earlier in the partition', () => {
    const r = checkHistory(
      history([
        send('p', 0, [['a', 0]], 'ok', [1]),
        send('p', 1, [['b', 0]], 'ok', [0]),
        poll('final', 0, [
          [0, 'b'],
          [1, 'a'],
        ]),
      ]),
    );
    expect(nonZero(r)).toEqual({ 'nonmonotonic-send': 1 });
    // Different producers, or different partitions, are not ordered.
    const ok = checkHistory(
      history(
        [
          send('p', 0, [['a', 0]], 'ok', [1]),
          send('q', 0, [['b', 0]], 'ok', [0]),
          send('p', 1, [['c', 1]], 'ok', [0]),
          poll('final', 0, [
            [0, 'b'],
            [1, 'a'],
          ]),
          poll('final', 1, [[0, 'c']]),
        ],
        2,
      ),
    );
    expect(nonZero(ok)).toEqual({});
  });

  it('poll-skip and nonmonotonic-poll count only within one assignment', () => {
    const log: [number, string][] = [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ];
    const three = [...writes, send('p', 2, [['c', 0]], 'ok', [2])];
    const skip = checkHistory(
      history([...three, poll('c', 0, [[0, 'a']]), poll('c', 0, [[2, 'c']]), poll('final', 0, log)]),
    );
    expect(nonZero(skip)).toEqual({ 'poll-skip': 1 });
    const back = checkHistory(
      history([
        ...three,
        poll('c', 0, [
          [0, 'a'],
          [1, 'b'],
        ]),
        poll('c', 0, [[1, 'b']]),
        poll('final', 0, log),
      ]),
    );
    expect(nonZero(back)).toEqual({ 'nonmonotonic-poll': 1 });
    // The same jumps across a rebalance or a seek are expected.
    const rebalanced = checkHistory(
      history([
        ...three,
        poll('c', 0, [[0, 'a']], 1),
        poll('c', 0, [[2, 'c']], 2),
        poll('c', 0, [[0, 'a']], 3),
        poll('final', 0, log),
      ]),
    );
    expect(nonZero(rebalanced)).toEqual({});
  });

  it('judges skips on the index: a gap in the log is not a skip', () => {
    const r = checkHistory(
      history([
        send('p', 0, [['a', 0]], 'ok', [0]),
        send('p', 1, [['c', 0]], 'ok', [5]),
        poll('c', 0, [[0, 'a']]),
        poll('c', 0, [[5, 'c']]),
        poll('final', 0, [
          [0, 'a'],
          [5, 'c'],
        ]),
      ]),
    );
    expect(nonZero(r)).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests: a synthetic correct run has no anomaly; each injected fault shows up as exactly
// the anomaly it is.

interface Scenario {
  partitions: number;
  producers: boolean[];
  sends: { producer: number; partitions: number[]; outcome: 'ok' | 'fail' | 'info'; applied: boolean }[];
  consumers: { partition: number; steps: { max: number; seek: number | null }[] }[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    partitions: fc.integer({ min: 1, max: 3 }),
    producers: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  })
  .chain(({ partitions, producers }) =>
    fc.record({
      partitions: fc.constant(partitions),
      producers: fc.constant(producers),
      sends: fc.array(
        fc.record({
          producer: fc.nat(producers.length - 1),
          partitions: fc.array(fc.nat(partitions - 1), { minLength: 1, maxLength: 3 }),
          outcome: fc.constantFrom(
            'ok' as const,
            'ok' as const,
            'ok' as const,
            'fail' as const,
            'info' as const,
          ),
          applied: fc.boolean(),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      consumers: fc.array(
        fc.record({
          partition: fc.nat(partitions - 1),
          steps: fc.array(
            fc.record({
              max: fc.integer({ min: 1, max: 5 }),
              seek: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
            }),
            { maxLength: 12 },
          ),
        }),
        { maxLength: 3 },
      ),
    }),
  );

interface Built {
  sends: SendOp[];
  /** Per partition, the log as [offset, value], offsets ascending. */
  logs: [number, string][][];
}

/** Runs the sends against a model log: ok and applied info sends append, in request order. */
function buildSends(s: Scenario): Built {
  const logs: [number, string][][] = Array.from({ length: s.partitions }, () => []);
  const seqs = s.producers.map(() => 0);
  const sends: SendOp[] = s.sends.map((spec, n) => {
    const seq = seqs[spec.producer] ?? 0;
    seqs[spec.producer] = seq + 1;
    const process = `p${spec.producer}`;
    const records = spec.partitions.map((partition, i) => ({ value: `${process}-${seq}-${i}`, partition }));
    const appended = spec.outcome === 'ok' || (spec.outcome === 'info' && spec.applied);
    const offsets = records.map((r) => {
      const log = logs[r.partition] as [number, string][];
      if (!appended) return -1;
      log.push([log.length, r.value]);
      return log.length - 1;
    });
    return {
      type: 'send',
      process,
      idempotent: s.producers[spec.producer] as boolean,
      seq,
      records,
      outcome: spec.outcome,
      ...(spec.outcome === 'ok' ? { offsets } : {}),
      attempts: 1,
      start: 2 * n,
      end: 2 * n + 1,
    };
  });
  return { sends, logs };
}

/** Consumers poll the logs as they stand (seeking now and then), then a final read of everything. */
function buildPolls(s: Scenario, logs: [number, string][][]): PollOp[] {
  const polls: PollOp[] = [];
  s.consumers.forEach((c, ci) => {
    const log = logs[c.partition] as [number, string][];
    let pos = 0;
    let assignment = 0;
    for (const step of c.steps) {
      if (step.seek !== null) {
        pos = Math.floor(step.seek * log.length);
        assignment++;
      }
      const records = log.slice(pos, pos + step.max);
      polls.push({
        type: 'poll',
        process: `c${ci}`,
        partition: c.partition,
        assignment,
        offset: log[pos]?.[0] ?? pos,
        records: records.map(([offset, value]) => ({ offset, value })),
        start: 0,
        end: 0,
      });
      pos += records.length;
    }
  });
  logs.forEach((log, partition) => {
    polls.push({
      type: 'poll',
      process: 'final',
      partition,
      assignment: 0,
      offset: 0,
      records: log.map(([offset, value]) => ({ offset, value })),
      final: true,
      start: 0,
      end: 0,
    });
  });
  return polls;
}

const toHistory = (s: Scenario, sends: SendOp[], polls: PollOp[]): History => ({
  topic: 't',
  partitions: s.partitions,
  ops: [...sends, ...polls],
});

function okRecords(sends: SendOp[]) {
  return sends.flatMap((op) =>
    op.outcome === 'ok' ? op.records.map((r, i) => ({ op, ...r, offset: op.offsets?.[i] as number })) : [],
  );
}

describe('checkHistory properties', () => {
  it('a correct history has no anomaly', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { sends, logs } = buildSends(s);
        const r = checkHistory(toHistory(s, sends, buildPolls(s, logs)));
        expect(nonZero(r)).toEqual({});
        expect(r.valid).toBe(true);
        expect(r.stats.logSize).toEqual(logs.map((l) => l.length));
      }),
    );
  });

  it('an idempotent value written twice is exactly one duplicate', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        const candidates = okRecords(sends).filter((r) => r.op.idempotent);
        fc.pre(candidates.length > 0);
        const victim = candidates[pick % candidates.length] as (typeof candidates)[number];
        const log = logs[victim.partition] as [number, string][];
        log.push([log.length, victim.value]);
        const r = checkHistory(toHistory(s, sends, buildPolls(s, logs)));
        expect(nonZero(r)).toEqual({ duplicate: 1 });
        expect(r.anomalies.duplicate).toMatchObject({ idempotent: 1, plain: 0 });
        expect(r.violations).toEqual(['duplicate']);
      }),
    );
  });

  it('an acknowledged value missing from the log is exactly one lost write', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        // Not the last record of its partition: that one would be unseen, not lost.
        const candidates = okRecords(sends).filter((r) => r.offset < (logs[r.partition]?.length ?? 0) - 1);
        fc.pre(candidates.length > 0);
        const victim = candidates[pick % candidates.length] as (typeof candidates)[number];
        logs[victim.partition] = (logs[victim.partition] as [number, string][]).filter(
          ([o]) => o !== victim.offset,
        );
        const r = checkHistory(toHistory(s, sends, buildPolls(s, logs)));
        expect(nonZero(r)).toEqual({ 'lost-write': 1 });
        expect(r.anomalies['lost-write'].examples[0]).toMatchObject({
          value: victim.value,
          ackedOffset: victim.offset,
        });
      }),
    );
  });

  it('two sends of one producer landing in swapped order are exactly one nonmonotonic send', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        // Consecutive acknowledged records of one producer on one partition.
        const pairs: [ReturnType<typeof okRecords>[number], ReturnType<typeof okRecords>[number]][] = [];
        const last = new Map<string, ReturnType<typeof okRecords>[number]>();
        for (const rec of okRecords(sends)) {
          const key = `${rec.op.process}/${rec.partition}`;
          const prev = last.get(key);
          if (prev) pairs.push([prev, rec]);
          last.set(key, rec);
        }
        fc.pre(pairs.length > 0);
        const [a, b] = pairs[pick % pairs.length] as (typeof pairs)[number];
        const log = logs[a.partition] as [number, string][];
        (log[a.offset] as [number, string])[1] = b.value;
        (log[b.offset] as [number, string])[1] = a.value;
        const ackA = a.op.offsets as number[];
        const ackB = b.op.offsets as number[];
        ackA[a.op.records.findIndex((r) => r.value === a.value)] = b.offset;
        ackB[b.op.records.findIndex((r) => r.value === b.value)] = a.offset;
        const r = checkHistory(toHistory(s, sends, buildPolls(s, logs)));
        expect(nonZero(r)).toEqual({ 'nonmonotonic-send': 1 });
      }),
    );
  });

  it('a value of a failed send in the log is exactly one G1a', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        const failed = sends.filter((op) => op.outcome === 'fail').flatMap((op) => op.records);
        fc.pre(failed.length > 0);
        const victim = failed[pick % failed.length] as (typeof failed)[number];
        const log = logs[victim.partition] as [number, string][];
        log.push([log.length, victim.value]);
        const r = checkHistory(toHistory(s, sends, buildPolls(s, logs)));
        expect(nonZero(r)).toEqual({ G1a: 1 });
      }),
    );
  });

  it('a poll that returns another value at an offset is exactly one inconsistent offset', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        const polls = buildPolls(s, logs);
        const read = polls.filter((p) => !p.final).flatMap((p) => p.records);
        fc.pre(read.length > 0);
        (read[pick % read.length] as (typeof read)[number]).value = 'never-sent';
        const r = checkHistory(toHistory(s, sends, polls));
        expect(nonZero(r)).toEqual({ 'inconsistent-offsets': 1 });
        expect(r.stats.unknownValuesRead).toBe(1);
      }),
    );
  });

  it('a record missing inside a poll is exactly one poll-skip', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        const polls = buildPolls(s, logs);
        const long = polls.filter((p) => !p.final && p.records.length >= 3);
        fc.pre(long.length > 0);
        (long[pick % long.length] as PollOp).records.splice(1, 1);
        const r = checkHistory(toHistory(s, sends, polls));
        expect(nonZero(r)).toEqual({ 'poll-skip': 1 });
      }),
    );
  });

  it('a poll returned again within one assignment is exactly one nonmonotonic poll', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const { sends, logs } = buildSends(s);
        const polls = buildPolls(s, logs);
        const nonEmpty = polls.flatMap((p, i) => (!p.final && p.records.length > 0 ? [i] : []));
        fc.pre(nonEmpty.length > 0);
        const at = nonEmpty[pick % nonEmpty.length] as number;
        const again = structuredClone(polls[at] as PollOp);
        polls.splice(at + 1, 0, again);
        const r = checkHistory(toHistory(s, sends, polls));
        expect(nonZero(r)).toEqual({ 'nonmonotonic-poll': 1 });
      }),
    );
  });
});
