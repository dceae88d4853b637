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
    // Longer retention and lag than the topic had: the drops and removals it saw are now too early.
    const strict = checkCompaction({
      ...history,
      compaction: { deleteRetentionMs: 3_600_000, minCompactionLagMs: 3_600_000 },
    });
    expect(strict.anomalies['compacted-too-early'].count).toBeGreaterThan(0);
    expect(strict.anomalies['tombstone-dropped-early'].count).toBeGreaterThan(0);

    // The final read loses a key's last value: lost-latest.
    const finals = history.ops.filter((op): op is PollOp => op.type === 'poll' && op.final === true);
    const victim = finals.flatMap((op) => op.records).find((r) => !r.tombstone);
    expect(victim).toBeDefined();
    const lost: History = {
      ...history,
      ops: history.ops.map((op) =>
        op.type === 'poll' && op.final ? { ...op, records: op.records.filter((r) => r !== victim) } : op,
      ),
    };
    expect(checkCompaction(lost).anomalies['lost-latest'].count).toBeGreaterThan(0);

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
