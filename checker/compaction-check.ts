/**
 * The compacted-topic checks (`--compacted`), on the same history as checker/check.ts. They hold
 * Kafka's compaction guarantees (issue 14; docs/durability.md, "Compaction by key") against what
 * the clients saw, with the final read-back, taken after the last compaction pass, as the log's
 * end state. Compaction only ever removes records below the high watermark, so a record in the
 * final read existed from its commit on, and every offset below a poll's `nextOffset` was
 * committed when the poll answered: the offsets a poll stepped over without returning were, at
 * that moment, removed.
 *
 * - `skipped-live` (guarantee 2): a poll stepped over an offset whose record is in the final read.
 *   A fetch at a removed offset must return the next record that remains.
 * - `reordered` (guarantee 2): a poll's records are not in strictly increasing offset order, start
 *   below the offset asked for, or reach its nextOffset.
 * - `lost-latest` (guarantee 3): the last record of a key (the highest offset any ack or read gave
 *   it) is a value, and the final read does not have it.
 * - `compacted-too-early` (guarantee 1): a poll stepped over a record before min.compaction.lag.ms
 *   had passed since its send started (its timestamp is no earlier than that).
 * - `tombstone-dropped-early` (guarantee 4): a key's last record is a tombstone, and a poll stepped
 *   over it before delete.retention.ms had passed since its send started.
 * - `resurrected` (guarantee 4): a key's last record is a tombstone the final read no longer has,
 *   and the final read still has an earlier value of that key.
 *
 * Offsets that never change and no record at two offsets are checked by checker/check.ts
 * (inconsistent-offsets, idempotent duplicates). A send whose outcome is unknown may have written
 * a tombstone nobody read, which would legitimately supersede a key's last known record: keys
 * with such a tombstone are exempt from lost-latest and tombstone-dropped-early.
 *
 * Pure and synchronous, unit-tested on hand-written histories (test/checker/compaction-check.test.ts).
 */
import { type AnomalyReport, anomalyTable } from './check.js';
import type { History, PollOp, SendOp } from './history.js';

export const COMPACTION_ANOMALY_NAMES = [
  'skipped-live',
  'reordered',
  'lost-latest',
  'compacted-too-early',
  'tombstone-dropped-early',
  'resurrected',
] as const;
export type CompactionAnomalyName = (typeof COMPACTION_ANOMALY_NAMES)[number];

export type CompactionReport = AnomalyReport<
  CompactionAnomalyName,
  {
    /** Distinct (partition, key) pairs sent. */
    keys: number;
    /** Records known (acknowledged or read), and how many of them the final read still has. */
    knownRecords: number;
    finalRecords: number;
    /** Known records the final read no longer has: compacted away. */
    removed: number;
    tombstonesRemoved: number;
    /** Offsets of known records that polls before the final read stepped over (gaps consumers crossed). */
    gapsCrossed: number;
    /** Keys with more than one record in the final read (not compacted yet). */
    keysWithSeveralRecords: number;
  }
>;

interface Known {
  offset: number;
  id: string;
  key: string;
  tombstone: boolean;
  send: SendOp | undefined;
}

export function checkCompaction(history: History, options: { examples?: number } = {}): CompactionReport {
  const settings = history.compaction;
  if (!settings) throw new Error('checkCompaction needs a history of a compacted run');
  const { anomalies, report } = anomalyTable(COMPACTION_ANOMALY_NAMES, options.examples ?? 5);
  const stats: CompactionReport['stats'] = {
    keys: 0,
    knownRecords: 0,
    finalRecords: 0,
    removed: 0,
    tombstonesRemoved: 0,
    gapsCrossed: 0,
    keysWithSeveralRecords: 0,
  };

  const sends = history.ops.filter((op): op is SendOp => op.type === 'send');
  const polls = history.ops.filter((op): op is PollOp => op.type === 'poll');
  const sendOf = new Map<string, SendOp>();
  for (const op of sends) for (const r of op.records) sendOf.set(r.value, op);
  const readIds = new Set(polls.flatMap((p) => p.records.map((r) => r.value)));

  for (let p = 0; p < history.partitions; p++) {
    const keys = new Set<string>();
    // Tombstones that sends of unknown outcome may have written, and nobody read.
    const unreadInfoTombstones = new Set<string>();
    for (const op of sends)
      for (const r of op.records) {
        if (r.partition !== p || r.key === undefined) continue;
        keys.add(r.key);
        if (op.outcome === 'info' && r.tombstone && !readIds.has(r.value)) unreadInfoTombstones.add(r.key);
      }
    stats.keys += keys.size;

    // Every record known at an offset: acknowledged, or read. (Two at one offset is check.ts's to report.)
    const known = new Map<number, Known>();
    const learn = (offset: number, id: string, key: string | undefined, tombstone: boolean) => {
      if (key === undefined || known.has(offset)) return;
      known.set(offset, { offset, id, key, tombstone, send: sendOf.get(id) });
    };
    for (const op of sends) {
      if (op.outcome !== 'ok' || !op.offsets) continue;
      op.records.forEach((r, i) => {
        const offset = op.offsets?.[i];
        if (r.partition === p && offset !== undefined) learn(offset, r.value, r.key, r.tombstone ?? false);
      });
    }
    const partitionPolls = polls.filter((poll) => poll.partition === p);
    for (const poll of partitionPolls)
      for (const r of poll.records) learn(r.offset, r.value, r.key, r.tombstone ?? false);
    const finalOffsets = new Set(
      partitionPolls.filter((poll) => poll.final).flatMap((poll) => poll.records.map((r) => r.offset)),
    );
    const sortedKnown = [...known.keys()].sort((a, b) => a - b);
    stats.knownRecords += known.size;
    stats.finalRecords += finalOffsets.size;

    // Each key's last known record, and the keys the final read holds more than once.
    const last = new Map<string, Known>();
    const finalCount = new Map<string, number>();
    for (const offset of sortedKnown) {
      const k = known.get(offset) as Known;
      last.set(k.key, k);
      if (finalOffsets.has(offset)) finalCount.set(k.key, (finalCount.get(k.key) ?? 0) + 1);
      else {
        stats.removed++;
        if (k.tombstone) stats.tombstonesRemoved++;
      }
    }
    for (const n of finalCount.values()) if (n > 1) stats.keysWithSeveralRecords++;

    for (const [key, k] of last) {
      if (finalOffsets.has(k.offset)) continue;
      const example = { partition: p, key, offset: k.offset, id: k.id };
      if (!k.tombstone) {
        if (!unreadInfoTombstones.has(key)) report('lost-latest', example);
        continue;
      }
      const earlier = sortedKnown.filter(
        (o) => o < k.offset && finalOffsets.has(o) && (known.get(o) as Known).key === key,
      );
      if (earlier.length > 0) report('resurrected', { ...example, stillThere: earlier.slice(0, 5) });
    }

    // What each poll stepped over, and the order of what it returned.
    for (const poll of partitionPolls) {
      const returned = poll.records.map((r) => r.offset);
      const end = poll.nextOffset ?? (returned.length > 0 ? (returned.at(-1) as number) + 1 : poll.offset);
      const where = {
        partition: p,
        consumer: poll.process,
        offset: poll.offset,
        nextOffset: poll.nextOffset,
      };
      const ordered =
        returned.every((o, i) => i === 0 || o > (returned[i - 1] as number)) &&
        (returned[0] ?? poll.offset) >= poll.offset &&
        (returned.at(-1) ?? end - 1) < end;
      if (!ordered) {
        report('reordered', { ...where, returned: returned.slice(0, 10) });
        continue;
      }
      const got = new Set(returned);
      for (let i = lowerBound(sortedKnown, poll.offset); i < sortedKnown.length; i++) {
        const offset = sortedKnown[i] as number;
        if (offset >= end) break;
        if (got.has(offset)) continue;
        const k = known.get(offset) as Known;
        const stepped = { ...where, skipped: offset, key: k.key, id: k.id, at: poll.end };
        if (!poll.final) stats.gapsCrossed++;
        if (finalOffsets.has(offset)) {
          report('skipped-live', stepped);
          continue;
        }
        const sentAt = k.send?.start;
        if (sentAt === undefined) continue;
        if (poll.end < sentAt + settings.minCompactionLagMs)
          report('compacted-too-early', { ...stepped, sentAt, lagMs: settings.minCompactionLagMs });
        if (
          k.tombstone &&
          last.get(k.key) === k &&
          !unreadInfoTombstones.has(k.key) &&
          poll.end < sentAt + settings.deleteRetentionMs
        ) {
          report('tombstone-dropped-early', {
            ...stepped,
            sentAt,
            deleteRetentionMs: settings.deleteRetentionMs,
          });
        }
      }
    }
  }

  const violations = COMPACTION_ANOMALY_NAMES.filter((n) => anomalies[n].count > 0);
  return { valid: violations.length === 0, violations, anomalies, stats };
}

/** The first index whose value is >= x, in an ascending array. */
function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
