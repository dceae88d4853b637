/** The human-readable report of a run (the table `npm run check:faults` prints). */
import { ANOMALY_NAMES, type Anomaly, MUST_BE_ZERO } from './check.js';
import { COMPACTION_ANOMALY_NAMES } from './compaction-check.js';
import { GROUP_ANOMALY_NAMES } from './group-check.js';
import { FAULT_CLASSES } from './nemesis.js';
import type { RunResult } from './run.js';

export function formatReport(result: RunResult, examples = 3): string {
  const { report, settings } = result;
  const s = report.stats;
  const lines: string[] = [];
  const faults =
    settings.faults.length === FAULT_CLASSES.length ? 'all' : settings.faults.join(',') || 'none';
  const kafka = settings.workload === 'kafka';
  lines.push(
    `Strata fault checker (${kafka ? `Kafka protocol, ${settings.gateways} gateway processes` : 'HTTP API'}): ${settings.ops} ops, faults ${faults}, idempotence ${settings.idempotence ? 'on' : 'off'}` +
      `${settings.compacted ? ', COMPACTED topic' : ''}${settings.breakCommit ? ', BROKEN COMMIT (test only)' : ''}, seed ${settings.seed}, ${settings.partitions} partitions` +
      `${!kafka && settings.engines > 1 ? `, ${settings.engines} engines` : ''}`,
    kafka
      ? `actors: ${settings.producers.idempotent} idempotent + ${settings.producers.plain} plain producers (Produce v9), ` +
          `${settings.members} classic group members (JoinGroup v5, range)`
      : `actors: ${settings.producers.idempotent} idempotent + ${settings.producers.plain} plain producers, ` +
          `${settings.consumers.assigned} assigned + ${settings.consumers.subscribed} subscribed consumers`,
    `${(result.durationMs / 1000).toFixed(1)} s; ${result.invoked} operations: ` +
      `${s.sends.ok + s.sends.fail + s.sends.info} sends (ok ${s.sends.ok}, fail ${s.sends.fail}, info ${s.sends.info}; ` +
      `${s.sends.attempts} ${kafka ? 'Produce' : 'HTTP'} attempts), ${s.polls} polls with ${s.polledRecords} records (final read included)`,
    `values: ${s.sentValues.ok} acknowledged, ${s.sentValues.fail} failed, ${s.sentValues.info} indefinite ` +
      `(${s.infoValuesRead} of those read); log ${s.logSize.reduce((a, b) => a + b, 0)} records [${s.logSize.join(', ')}]`,
  );
  const injected = Object.entries(result.nemesis.injected)
    .filter(([f]) => settings.faults.includes(f as never))
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  lines.push(
    `faults injected: ${injected || 'none'} (${result.nemesis.events.length} activations); ` +
      (kafka
        ? `gateways killed (-9) and restarted: ${result.kills ?? 0}`
        : `server 5xx logged ${result.serverErrorsLogged}`),
    `groups: ${result.workload.heartbeats} heartbeats, ${result.workload.offsetCommits} offset commits, ` +
      `${result.workload.rebalances} assignment changes, ${result.workload.memberCrashes} member crashes; ` +
      `${result.workload.producerInits} producer ids`,
  );
  if (result.groups) {
    const g = result.groups.stats;
    lines.push(
      `group: ${g.generations} generations, ${g.assignments} assignments, commits ok ${g.commits.ok} / fail ${g.commits.fail} / info ${g.commits.info}, ` +
        `${g.committedReads} committed-offset reads; ${g.consumed} acknowledged values consumed by members`,
    );
  }
  if (result.compaction) {
    const c = result.compaction.stats;
    const k = result.compactors;
    lines.push(
      `compaction: ${c.keys} keys; ${c.knownRecords} records known, ${c.finalRecords} left in the final read ` +
        `(${c.removed} removed, ${c.tombstonesRemoved} of them tombstones; ${c.keysWithSeveralRecords} keys still with several records); ` +
        `consumers stepped over ${c.gapsCrossed} removed offsets` +
        (k
          ? `; compactors: ${k.passes} passes (${k.errors} broken by faults), ${k.partitionsCleaned} partitions cleaned, ${k.recordsRemoved} records removed`
          : ''),
    );
  }
  lines.push('');

  const rows: string[][] = [['anomaly', 'count', 'must be 0', 'status']];
  for (const name of ANOMALY_NAMES) {
    const a = report.anomalies[name];
    if (name === 'duplicate') {
      const d = report.anomalies.duplicate;
      rows.push([name, `${d.count}`, 'idempotent', d.idempotent === 0 ? 'ok' : 'FAIL']);
      rows.push(['  idempotent', `${d.idempotent}`, 'yes', d.idempotent === 0 ? 'ok' : 'FAIL']);
      rows.push(['  plain', `${d.plain}`, 'no', d.plain === 0 ? 'ok' : 'expected under retries']);
      continue;
    }
    if (result.compaction && (name === 'lost-write' || name === 'unseen')) {
      rows.push([name, '-', '-', 'n/a (compacted: see lost-latest)']);
      continue;
    }
    const must = MUST_BE_ZERO.includes(name);
    rows.push([name, `${a.count}`, must ? 'yes' : 'no', a.count === 0 ? 'ok' : must ? 'FAIL' : 'reported']);
  }
  // The group and compaction checks: every anomaly of theirs must be zero.
  const extra: { names: readonly string[]; anomalies: Record<string, Anomaly> }[] = [
    ...(result.groups ? [{ names: GROUP_ANOMALY_NAMES, anomalies: result.groups.anomalies }] : []),
    ...(result.compaction
      ? [{ names: COMPACTION_ANOMALY_NAMES, anomalies: result.compaction.anomalies }]
      : []),
  ];
  for (const table of extra) {
    for (const name of table.names) {
      const n = table.anomalies[name]?.count ?? 0;
      rows.push([name, `${n}`, 'yes', n === 0 ? 'ok' : 'FAIL']);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const [i, row] of rows.entries()) {
    lines.push(
      row
        .map((cell, c) => (c === 1 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }

  for (const table of [
    { names: ANOMALY_NAMES, anomalies: report.anomalies as Record<string, Anomaly> },
    ...extra,
  ]) {
    for (const name of table.names) {
      const a = table.anomalies[name];
      if (!a || a.count === 0) continue;
      lines.push('', `${name} (${a.count}), first ${Math.min(examples, a.examples.length)}:`);
      for (const e of a.examples.slice(0, examples)) lines.push(`  ${JSON.stringify(e)}`);
    }
  }
  if (result.notes.length > 0) {
    lines.push('', `notes (${result.notes.length}):`);
    for (const n of result.notes.slice(0, 10)) lines.push(`  ${n}`);
  }
  lines.push(
    '',
    result.valid
      ? `VALID: no lost write, inconsistent offset, G1a, nonmonotonic send, or idempotent duplicate${result.groups ? '; no split ownership, commit regression, or unconsumed record' : ''}${result.compaction ? '; compaction kept every latest value and tombstone, removed nothing early, and skipped only removed offsets' : ''}`
      : `INVALID: ${[...report.violations, ...(result.groups?.violations ?? []), ...(result.compaction?.violations ?? [])].join(', ')}`,
  );
  return lines.join('\n');
}

/** The JSON report: everything but the history itself (save that with --history). */
export function jsonReport(result: RunResult): unknown {
  const { history: _history, ...rest } = result;
  return rest;
}
