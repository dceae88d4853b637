/**
 * The fault checker's Kafka workload, short version (CI): producers and a classic consumer group
 * speak the Kafka protocol to two gateway processes, which are killed (-9) and restarted while
 * every fault class is injected into their engines' AWS clients. Nothing is lost, no partition is
 * owned twice in a generation, committed offsets never go back, and the group consumes every
 * acknowledged record. And the same workload does catch a broken commit. The long version:
 * `npm run check:faults -- --workload kafka --ops 20000 --faults all` (docs/checker.md).
 */
import { describe, expect, inject, it } from 'vitest';
import { FAULT_CLASSES } from '../../checker/nemesis.js';
import { type RunResult, runChecker } from '../../checker/run.js';

const endpoints = () => ({ s3: inject('s3Endpoint'), dynamodb: inject('dynamodbEndpoint') });

function summary(result: RunResult) {
  const count = (anomalies: Record<string, { count: number }>) =>
    Object.fromEntries(Object.entries(anomalies).map(([name, a]) => [name, a.count]));
  return {
    seed: result.settings.seed,
    queue: count(result.report.anomalies),
    groups: result.groups ? count(result.groups.anomalies) : undefined,
    groupExamples: result.groups?.anomalies,
    sends: result.report.stats.sends,
    injected: result.nemesis.injected,
    kills: result.kills,
    notes: result.notes.slice(0, 5),
  };
}

describe('the fault checker over the Kafka protocol (short version)', () => {
  it('gateways killed and every fault class on: nothing lost, no split ownership, no commit regression, everything consumed', async () => {
    const result = await runChecker({
      workload: 'kafka',
      ops: 900,
      faults: [...FAULT_CLASSES],
      seed: 20_261_206,
      endpoints: endpoints(),
      nemesis: { probability: 0.3, quietMs: [100, 300] },
      killEveryMs: [1500, 3000],
      timeLimitMs: 45_000,
    });
    const s = JSON.stringify(summary(result));
    expect(result.report.anomalies['lost-write'].count, s).toBe(0);
    expect(result.report.anomalies['inconsistent-offsets'].count, s).toBe(0);
    expect(result.report.anomalies.G1a.count, s).toBe(0);
    expect(result.report.anomalies['nonmonotonic-send'].count, s).toBe(0);
    expect(result.report.anomalies.duplicate.idempotent, s).toBe(0);
    expect(result.groups?.anomalies['split-ownership'].count, s).toBe(0);
    expect(result.groups?.anomalies['commit-regression'].count, s).toBe(0);
    expect(result.groups?.anomalies.unconsumed.count, s).toBe(0);
    expect(result.valid, s).toBe(true);

    // Not vacuous: gateways died mid-run, the faults fired, sends were retried, the group moved.
    expect(result.kills, s).toBeGreaterThan(0);
    expect(
      Object.values(result.nemesis.injected).reduce((a, b) => a + b, 0),
      s,
    ).toBeGreaterThan(20);
    expect(result.report.stats.sends.attempts, s).toBeGreaterThan(
      result.report.stats.sends.ok + result.report.stats.sends.fail + result.report.stats.sends.info,
    );
    expect(result.report.stats.sentValues.ok, s).toBeGreaterThan(300);
    expect(result.groups?.stats.generations, s).toBeGreaterThan(1);
    // The checker's own seam closes connections on purpose; those are not gateway faults.
    expect(
      result.notes.filter((n) => n.includes('its answer is lost')),
      s,
    ).toEqual([]);
    expect(result.groups?.stats.consumed, s).toBe(result.report.stats.sentValues.ok);
    expect(result.groups?.stats.commits.ok, s).toBeGreaterThan(20);
  }, 150_000);

  it('catches a broken commit condition through the gateways too (test-only switch)', async () => {
    const result = await runChecker({
      workload: 'kafka',
      ops: 300,
      faults: [],
      breakCommit: true,
      seed: 13,
      endpoints: endpoints(),
      producers: { idempotent: 0, plain: 4 },
      members: 1,
      killEveryMs: null,
      timeLimitMs: 30_000,
    });
    const broken =
      result.report.anomalies['inconsistent-offsets'].count + result.report.anomalies['lost-write'].count;
    expect(broken, JSON.stringify(summary(result))).toBeGreaterThan(0);
    expect(result.valid).toBe(false);
  }, 120_000);
});
