/**
 * The fault checker's compacted-topic mode (issue 14, guarantees 2 to 4 under faults): keyed
 * records and tombstones with two compactors racing under every fault class find nothing, the run
 * really compacted, and the checks catch a broken log: the same real history, altered the way a
 * broken compaction would leave it, is reported.
 */
import { describe, expect, inject, it } from 'vitest';
import { checkCompaction } from '../../checker/compaction-check.js';
import type { History, PollOp } from '../../checker/history.js';
import { FAULT_CLASSES } from '../../checker/nemesis.js';
import { runChecker } from '../../checker/run.js';

const endpoints = () => ({ s3: inject('s3Endpoint'), dynamodb: inject('dynamodbEndpoint') });

describe('the fault checker on a compacted topic', () => {
  it('finds no compaction anomaly under every fault class, and catches an altered history', async () => {
    const result = await runChecker({
      ops: 900,
      compacted: true,
      faults: [...FAULT_CLASSES],
      seed: 7,
      endpoints: endpoints(),
      engines: 2,
      timeLimitMs: 40_000,
    });
    const c = result.compaction;
    expect(c).toBeDefined();
    if (!c) return;
    const counts = Object.fromEntries(Object.entries(c.anomalies).map(([n, a]) => [n, a.count]));
    expect(c.valid, JSON.stringify({ counts, stats: c.stats, seed: result.settings.seed })).toBe(true);
    expect(result.valid).toBe(true);
    // Not vacuous: records and tombstones were compacted away and consumers crossed the gaps.
    expect(c.stats.removed).toBeGreaterThan(100);
    expect(c.stats.tombstonesRemoved).toBeGreaterThan(0);
    expect(c.stats.gapsCrossed).toBeGreaterThan(0);
    expect(c.stats.finalRecords).toBeLessThan(c.stats.knownRecords / 2);
    expect(result.compactors?.partitionsCleaned).toBeGreaterThan(0);

    const { history } = result;
    const finals = history.ops.filter((op): op is PollOp => op.type === 'poll' && op.final === true);
    // Longer retention and lag than the topic had: the removals it saw are now too early.
    const strictHistory: History = {
      ...history,
      compaction: { deleteRetentionMs: 3_600_000, minCompactionLagMs: 3_600_000 },
    };
    expect(checkCompaction(strictHistory).anomalies['compacted-too-early'].count).toBeGreaterThan(0);
    // A tombstone that ends its key and is gone is dropped too early under that retention. Whether
    // the run itself dropped one depends on its timing (a pass must clean past it and another run
    // delete.retention.ms later), so the final read also loses each tombstone it still has, in
    // turn: the run's drops or one of those must be reported.
    const withoutFinal = (h: History, gone: PollOp['records'][number]): History => ({
      ...h,
      ops: h.ops.map((op) =>
        op.type === 'poll' && op.final ? { ...op, records: op.records.filter((r) => r !== gone) } : op,
      ),
    });
    const tombstonesLeft = finals.flatMap((op) => op.records).filter((r) => r.tombstone);
    const droppedEarly = [strictHistory, ...tombstonesLeft.map((t) => withoutFinal(strictHistory, t))].map(
      (h) => checkCompaction(h).anomalies['tombstone-dropped-early'].count,
    );
    expect(
      droppedEarly.some((n) => n > 0),
      JSON.stringify(droppedEarly),
    ).toBe(true);

    // The final read loses a key's last value: lost-latest. (A key a send of unknown outcome may
    // have deleted is exempt, so the first value is not enough: one of them must be reported.)
    const values = finals.flatMap((op) => op.records).filter((r) => !r.tombstone);
    expect(values.length).toBeGreaterThan(0);
    const lostLatest = values.map(
      (v) => checkCompaction(withoutFinal(history, v)).anomalies['lost-latest'].count,
    );
    expect(
      lostLatest.some((n) => n > 0),
      JSON.stringify(lostLatest),
    ).toBe(true);

    // A consumer's poll that stepped over a record which is still there: skipped-live.
    const target = history.ops.find(
      (op): op is PollOp =>
        op.type === 'poll' &&
        !op.final &&
        op.records.some((r) =>
          finals.some((f) => f.partition === op.partition && f.records.some((x) => x.offset === r.offset)),
        ),
    );
    expect(target).toBeDefined();
    if (!target) return;
    const kept = finals
      .filter((f) => f.partition === target.partition)
      .flatMap((f) => f.records.map((r) => r.offset));
    const skipped: History = {
      ...history,
      ops: history.ops.map((op) =>
        op === target ? { ...target, records: target.records.filter((r) => !kept.includes(r.offset)) } : op,
      ),
    };
    expect(checkCompaction(skipped).anomalies['skipped-live'].count).toBeGreaterThan(0);
  }, 120_000);
});
