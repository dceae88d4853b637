/**
 * The compacted-topic checks (checker/compaction-check.ts) on hand-written histories: a correctly
 * compacted log has no anomaly, each broken one is reported by name, and a key a send of unknown
 * outcome may have deleted is exempt. A property: a final read that holds the latest record of
 * every key is valid, and losing any key's latest value from it is lost-latest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPACTION_ANOMALY_NAMES, checkCompaction } from '../../checker/compaction-check.js';
import type { History, HistoryOp, PollOp, SendOp } from '../../checker/history.js';

const SETTINGS = { deleteRetentionMs: 1000, minCompactionLagMs: 100 };

interface Rec {
  offset: number;
  id: string;
  key: string;
  tombstone?: boolean;
  /** When its send started. */
  at: number;
}

/** Partition 0: A twice, B then its tombstone, C once. */
const LOG: Rec[] = [
  { offset: 0, id: 'a1', key: 'A', at: 0 },
  { offset: 1, id: 'b1', key: 'B', at: 0 },
  { offset: 2, id: 'a2', key: 'A', at: 10 },
  { offset: 3, id: 'bT', key: 'B', tombstone: true, at: 10 },
  { offset: 4, id: 'c1', key: 'C', at: 10 },
];
const at = (offset: number) => LOG[offset] as Rec;

const send = (r: Rec, outcome: SendOp['outcome'] = 'ok'): SendOp => ({
  type: 'send',
  process: 'p',
  idempotent: true,
  seq: r.offset,
  records: [{ value: r.id, partition: 0, key: r.key, ...(r.tombstone ? { tombstone: true } : {}) }],
  outcome,
  ...(outcome === 'ok' ? { offsets: [r.offset] } : {}),
  attempts: 1,
  start: r.at,
  end: r.at + 1,
});

/** A poll of partition 0 from `offset` that answered `offsets` and `nextOffset`, ending at `end`. */
const poll = (offset: number, offsets: number[], nextOffset: number, end: number, final = false): PollOp => ({
  type: 'poll',
  process: final ? 'final' : 'c',
  partition: 0,
  assignment: 1,
  offset,
  records: offsets.map((o) => ({
    offset: o,
    value: at(o).id,
    key: at(o).key,
    ...(at(o).tombstone ? { tombstone: true } : {}),
  })),
  nextOffset,
  ...(final ? { final: true } : {}),
  start: end - 1,
  end,
});

const history = (ops: HistoryOp[]): History => ({
  topic: 't',
  partitions: 1,
  compaction: SETTINGS,
  ops: [...LOG.map((r) => send(r)), ...ops],
});

/** Compacted right: a2 and c1 left, B's tombstone dropped after delete.retention.ms. */
const FINAL = poll(0, [2, 4], 5, 5000, true);

const counts = (h: History) => {
  const report = checkCompaction(h);
  return Object.fromEntries(COMPACTION_ANOMALY_NAMES.map((n) => [n, report.anomalies[n].count]));
};
const only = (name: string, count: number) =>
  Object.fromEntries(COMPACTION_ANOMALY_NAMES.map((n) => [n, n === name ? count : 0]));

describe('checkCompaction', () => {
  it('finds nothing in a correctly compacted log, and counts what was removed', () => {
    const report = checkCompaction(
      history([poll(0, [0, 1, 2, 3, 4], 5, 50), poll(0, [2, 4], 5, 3000), FINAL]),
    );
    expect(report.valid).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.stats).toMatchObject({
      keys: 3,
      knownRecords: 5,
      finalRecords: 2,
      removed: 3,
      tombstonesRemoved: 1,
      // The poll at 3000 stepped over 0, 1 and 3.
      gapsCrossed: 3,
      keysWithSeveralRecords: 0,
    });
  });

  it('skipped-live: a poll stepped over a record the final read still has', () => {
    expect(counts(history([poll(0, [4], 5, 2000), FINAL]))).toEqual(only('skipped-live', 1));
  });

  it('reordered: records out of order, or before the offset asked for', () => {
    expect(counts(history([poll(0, [2, 0], 5, 2000), FINAL]))).toEqual(only('reordered', 1));
    expect(counts(history([poll(3, [2, 4], 5, 2000), FINAL]))).toEqual(only('reordered', 1));
  });

  it("lost-latest: the final read lacks a key's last value", () => {
    expect(counts(history([poll(0, [2], 5, 5000, true)]))).toEqual(only('lost-latest', 1));
  });

  it('compacted-too-early: a poll stepped over records younger than min.compaction.lag.ms', () => {
    expect(counts(history([poll(0, [2, 3, 4], 5, 50), FINAL]))).toEqual(only('compacted-too-early', 2));
  });

  it('tombstone-dropped-early: a poll stepped over a last tombstone before delete.retention.ms', () => {
    expect(counts(history([poll(3, [4], 5, 500), FINAL]))).toEqual(only('tombstone-dropped-early', 1));
  });

  it('resurrected: the tombstone is gone and an earlier value of its key is back', () => {
    expect(counts(history([poll(0, [1, 2, 4], 5, 5000, true)]))).toEqual(only('resurrected', 1));
  });

  it('a key that an unread send of unknown outcome may have deleted is exempt from lost-latest', () => {
    const maybe = send({ offset: 5, id: 'cT', key: 'C', tombstone: true, at: 20 }, 'info');
    expect(counts(history([maybe, poll(0, [2], 5, 5000, true)]))).toEqual(only('lost-latest', 0));
  });

  it('refuses a history that is not of a compacted run', () => {
    expect(() => checkCompaction({ topic: 't', partitions: 1, ops: [] })).toThrow(/compacted run/);
  });
});

describe('checkCompaction, as a property', () => {
  const writes = fc.array(
    fc.record({ key: fc.constantFrom('k0', 'k1', 'k2', 'k3'), tombstone: fc.boolean() }),
    { minLength: 1, maxLength: 40 },
  );

  it('the latest record of every key is valid; losing any latest value is lost-latest', () => {
    fc.assert(
      fc.property(writes, fc.nat(), (ws, pick) => {
        const log = ws.map((w, offset) => ({ offset, id: `v${offset}`, at: 0, ...w }));
        const latest = new Map(log.map((r) => [r.key, r]));
        const sends = log.map((r): SendOp => ({ ...send(r), start: 0, end: 1 }));
        const final = (kept: Rec[]): PollOp => ({
          type: 'poll',
          process: 'final',
          partition: 0,
          assignment: 1,
          offset: 0,
          records: kept
            .sort((a, b) => a.offset - b.offset)
            .map((r) => ({
              offset: r.offset,
              value: r.id,
              key: r.key,
              ...(r.tombstone ? { tombstone: true } : {}),
            })),
          nextOffset: log.length,
          final: true,
          start: 5000,
          end: 5001,
        });
        const h = (kept: Rec[]): History => ({
          topic: 't',
          partitions: 1,
          compaction: SETTINGS,
          ops: [...sends, final(kept)],
        });
        expect(checkCompaction(h([...latest.values()])).valid).toBe(true);
        const values = [...latest.values()].filter((r) => !r.tombstone);
        if (values.length === 0) return;
        const lost = values[pick % values.length] as Rec;
        const report = checkCompaction(h([...latest.values()].filter((r) => r !== lost)));
        expect(report.anomalies['lost-latest'].count).toBe(1);
      }),
    );
  });
});
