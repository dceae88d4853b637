/**
 * The fault checker's short version (CI): the workload under every fault class finds nothing it
 * must not, and the checker does catch what a broken system does. The long version is
 * `npm run check:faults -- --ops 50000 --faults all` (docs/checker.md).
 */
import { describe, expect, inject, it } from 'vitest';
import { FAULT_CLASSES } from '../../checker/nemesis.js';
import { type RunResult, runChecker } from '../../checker/run.js';

const endpoints = () => ({ s3: inject('s3Endpoint'), dynamodb: inject('dynamodbEndpoint') });

/** What a failed assertion should show: counts and the first examples, not the whole history. */
function summary(result: RunResult) {
  const { anomalies, stats } = result.report;
  return {
    seed: result.settings.seed,
    counts: Object.fromEntries(Object.entries(anomalies).map(([name, a]) => [name, a.count])),
    duplicates: { idempotent: anomalies.duplicate.idempotent, plain: anomalies.duplicate.plain },
    examples: Object.fromEntries(
      Object.entries(anomalies)
        .filter(([, a]) => a.count > 0)
        .map(([name, a]) => [name, a.examples.slice(0, 2)]),
    ),
    sends: stats.sends,
    injected: result.nemesis.injected,
    notes: result.notes.slice(0, 5),
  };
}

describe('the fault checker (short version)', () => {
  it('finds no lost write, inconsistent offset, G1a, nonmonotonic send or idempotent duplicate with every fault class on', async () => {
    const result = await runChecker({
      ops: 700,
      faults: [...FAULT_CLASSES],
      seed: 20_240_601,
      endpoints: endpoints(),
      // Two Lambda instances: separate caches and head guesses, racing on the same partitions.
      engines: 2,
      // Dense enough that every class fires in a short run.
      nemesis: { probability: 0.3, quietMs: [100, 300] },
      timeLimitMs: 40_000,
    });
    const s = summary(result);
    expect(result.report.anomalies['lost-write'].count, JSON.stringify(s)).toBe(0);
    expect(result.report.anomalies['inconsistent-offsets'].count, JSON.stringify(s)).toBe(0);
    expect(result.report.anomalies.G1a.count, JSON.stringify(s)).toBe(0);
    expect(result.report.anomalies['nonmonotonic-send'].count, JSON.stringify(s)).toBe(0);
    expect(result.report.anomalies.duplicate.idempotent, JSON.stringify(s)).toBe(0);
    expect(result.report.valid).toBe(true);

    // The run was not vacuous: every fault class fired, sends needed retries, and consumers read.
    for (const fault of FAULT_CLASSES) expect(result.nemesis.injected[fault], fault).toBeGreaterThan(0);
    expect(result.report.stats.sends.attempts).toBeGreaterThan(
      result.report.stats.sends.ok + result.report.stats.sends.fail + result.report.stats.sends.info,
    );
    expect(result.report.stats.sentValues.ok).toBeGreaterThan(200);
    expect(result.history.ops.filter((op) => op.type === 'poll' && !op.final).length).toBeGreaterThan(50);
    expect(result.workload.heartbeats).toBeGreaterThan(0);
  }, 90_000);

  it('reports duplicates when producers are not idempotent and responses are lost after the commit', async () => {
    const result = await runChecker({
      ops: 300,
      faults: ['lost-response', 'ambiguous'],
      idempotence: false,
      seed: 7,
      endpoints: endpoints(),
      consumers: { assigned: 1, subscribed: 0 },
      nemesis: { probability: 0.5, quietMs: [50, 100], activeMs: [1000, 1500] },
      timeLimitMs: 30_000,
    });
    const s = summary(result);
    expect(result.nemesis.injected['lost-response'], JSON.stringify(s)).toBeGreaterThan(0);
    expect(result.report.anomalies.duplicate.plain, JSON.stringify(s)).toBeGreaterThan(0);
    expect(result.report.anomalies.duplicate.examples[0]).toMatchObject({ idempotent: false });
    // Duplicates of plain producers are expected under retries; nothing else is wrong.
    expect(result.report.anomalies['lost-write'].count).toBe(0);
    expect(result.report.anomalies['inconsistent-offsets'].count).toBe(0);
    expect(result.report.valid).toBe(true);
  }, 60_000);

  it('reports inconsistent offsets or lost writes when the commit condition is broken (test-only switch)', async () => {
    const result = await runChecker({
      ops: 300,
      faults: [],
      breakCommit: true,
      seed: 11,
      endpoints: endpoints(),
      producers: { idempotent: 0, plain: 4 },
      consumers: { assigned: 1, subscribed: 0 },
      timeLimitMs: 30_000,
    });
    const s = summary(result);
    expect(result.settings.partitions).toBe(1);
    const broken =
      result.report.anomalies['inconsistent-offsets'].count + result.report.anomalies['lost-write'].count;
    expect(broken, JSON.stringify(s)).toBeGreaterThan(0);
    expect(result.report.valid).toBe(false);
    expect(result.report.violations).toEqual(
      expect.arrayContaining([
        result.report.anomalies['lost-write'].count > 0 ? 'lost-write' : 'inconsistent-offsets',
      ]),
    );
  }, 60_000);
});
