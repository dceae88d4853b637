/**
 * The consumer-group checks of the Kafka workload, on the same history as checker/check.ts:
 *
 * - `split-ownership`: one partition in the assignments of two members of one generation.
 * - `commit-regression`: a committed offset went back. An ok commit (or a committed offset read)
 *   that started after another ok commit of the partition had ended carries a lower offset.
 *   Members only commit positions they reached from the committed offset, so a regression means
 *   a fenced member's commit was let through.
 * - `unconsumed`: an acknowledged value no group member ever polled (the final read does not
 *   count): the group skipped it.
 *
 * Pure and synchronous, unit-tested on hand-written histories (test/checker/group-check.test.ts).
 */
import { type AnomalyReport, anomalyTable } from './check.js';
import type { AssignmentOp, CommitOp, CommittedReadOp, History, PollOp, SendOp } from './history.js';

export const GROUP_ANOMALY_NAMES = ['split-ownership', 'commit-regression', 'unconsumed'] as const;
export type GroupAnomalyName = (typeof GROUP_ANOMALY_NAMES)[number];

export type GroupReport = AnomalyReport<
  GroupAnomalyName,
  {
    generations: number;
    assignments: number;
    commits: { ok: number; fail: number; info: number };
    committedReads: number;
    /** Acknowledged values polled by a group member. */
    consumed: number;
  }
>;

export function checkGroups(history: History, options: { examples?: number } = {}): GroupReport {
  const { anomalies, report } = anomalyTable(GROUP_ANOMALY_NAMES, options.examples ?? 5);
  const of = <T extends History['ops'][number]['type']>(type: T) =>
    history.ops.filter((op) => op.type === type) as Extract<History['ops'][number], { type: T }>[];
  const assignments = of('assignment') as AssignmentOp[];
  const commits = of('commit') as CommitOp[];
  const reads = of('committed') as CommittedReadOp[];

  // split-ownership: per generation, who was given each partition.
  const owners = new Map<string, Set<string>>();
  const generations = new Set<number>();
  for (const a of assignments) {
    generations.add(a.generation);
    for (const p of a.partitions) {
      const key = `${a.generation}/${p}`;
      const set = owners.get(key) ?? new Set<string>();
      set.add(a.member);
      owners.set(key, set);
    }
  }
  for (const [key, members] of owners) {
    if (members.size < 2) continue;
    const [generation, partition] = key.split('/').map(Number);
    report('split-ownership', { generation, partition, members: [...members] });
  }

  // commit-regression: against every ok commit of the partition that ended before it started.
  const stats: GroupReport['stats'] = {
    generations: generations.size,
    assignments: assignments.length,
    commits: { ok: 0, fail: 0, info: 0 },
    committedReads: reads.length,
    consumed: 0,
  };
  for (const c of commits) stats.commits[c.outcome]++;
  const byPartition = new Map<number, CommitOp[]>();
  for (const c of commits) {
    if (c.outcome !== 'ok') continue;
    const list = byPartition.get(c.partition) ?? [];
    list.push(c);
    byPartition.set(c.partition, list);
  }
  const ended = new Map<number, { end: number; best: CommitOp }[]>();
  for (const [p, list] of byPartition) {
    list.sort((a, b) => a.end - b.end);
    const prefix: { end: number; best: CommitOp }[] = [];
    for (const c of list) {
      const prev = prefix.at(-1)?.best;
      prefix.push({ end: c.end, best: prev && prev.offset >= c.offset ? prev : c });
    }
    ended.set(p, prefix);
  }
  /** The highest ok commit of the partition that ended strictly before `start`. */
  const highestBefore = (partition: number, start: number): CommitOp | undefined => {
    const prefix = ended.get(partition) ?? [];
    let lo = 0;
    let hi = prefix.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((prefix[mid] as { end: number }).end < start) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : prefix[lo - 1]?.best;
  };
  for (const c of commits) {
    if (c.outcome !== 'ok') continue;
    const before = highestBefore(c.partition, c.start);
    if (before && c.offset < before.offset) {
      report('commit-regression', {
        partition: c.partition,
        earlier: { offset: before.offset, member: before.member, generation: before.generation },
        later: { offset: c.offset, member: c.member, generation: c.generation },
      });
    }
  }
  for (const r of reads) {
    const before = highestBefore(r.partition, r.start);
    if (before && r.offset < before.offset) {
      report('commit-regression', {
        partition: r.partition,
        earlier: { offset: before.offset, member: before.member, generation: before.generation },
        read: { offset: r.offset, process: r.process },
      });
    }
  }

  // unconsumed: every acknowledged value must have reached some member's poll.
  const consumed = new Set<string>();
  for (const op of of('poll') as PollOp[]) {
    if (op.final) continue;
    for (const r of op.records) consumed.add(r.value);
  }
  for (const op of of('send') as SendOp[]) {
    if (op.outcome !== 'ok') continue;
    op.records.forEach((r, i) => {
      if (consumed.has(r.value)) stats.consumed++;
      else report('unconsumed', { partition: r.partition, value: r.value, offset: op.offsets?.[i] });
    });
  }

  const violations = GROUP_ANOMALY_NAMES.filter((n) => anomalies[n].count > 0);
  return { valid: violations.length === 0, violations, anomalies, stats };
}
