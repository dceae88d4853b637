/**
 * Jepsen's queue checker, per partition: a history of sends and polls in, anomalies out.
 * Pure and synchronous, so it is unit- and property-tested on synthetic histories
 * (test/checker/check.test.ts). Definitions: ../shared/reference/reliability-testing.md.
 *
 * "Index" is a record's position in the partition with gaps removed: the rank of its offset among
 * every offset any poll returned. Strata's offsets are dense, so index and offset coincide unless
 * something went wrong; skips and reorderings are judged on the index, as Jepsen does, so that a
 * gap in the log is not itself a skip.
 */
import type { History, PollOp, SendOp } from './history.js';

export const ANOMALY_NAMES = [
  'lost-write',
  'duplicate',
  'inconsistent-offsets',
  'nonmonotonic-send',
  'nonmonotonic-poll',
  'poll-skip',
  'G1a',
  'unseen',
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];

/**
 * Must be zero in every run. `duplicate` is must-be-zero only for values of idempotent producers:
 * a plain producer that retries a lost response writes twice, as Kafka's non-idempotent one does.
 */
export const MUST_BE_ZERO: readonly AnomalyName[] = [
  'lost-write',
  'inconsistent-offsets',
  'G1a',
  'nonmonotonic-send',
  'duplicate',
];

export interface Anomaly {
  count: number;
  /** The first few, for a human to start from. */
  examples: unknown[];
}

/** A table of anomalies by name, and the one way to record one (keeping the first few examples). */
export function anomalyTable<N extends string>(names: readonly N[], maxExamples = 5) {
  const anomalies = Object.fromEntries(
    names.map((n) => [n, { count: 0, examples: [] as unknown[] }]),
  ) as Record<N, Anomaly>;
  const report = (name: N, example: unknown) => {
    const a = anomalies[name];
    a.count++;
    if (a.examples.length < maxExamples) a.examples.push(example);
  };
  return { anomalies, report };
}

/** What a check module answers: valid when none of its anomalies was seen. */
export interface AnomalyReport<N extends string, S> {
  valid: boolean;
  /** The anomalies that were seen. */
  violations: N[];
  anomalies: Record<N, Anomaly>;
  stats: S;
}

export interface DuplicateAnomaly extends Anomaly {
  /** Duplicated values written by idempotent producers (must be 0) and by plain ones (expected under retries). */
  idempotent: number;
  plain: number;
}

export interface CheckReport {
  /** No must-be-zero anomaly (duplicates counted for idempotent producers only). */
  valid: boolean;
  /** The must-be-zero anomalies that were not zero. */
  violations: AnomalyName[];
  anomalies: Record<Exclude<AnomalyName, 'duplicate'>, Anomaly> & { duplicate: DuplicateAnomaly };
  stats: CheckStats;
}

export interface CheckStats {
  sends: { ok: number; fail: number; info: number; attempts: number };
  sentValues: { ok: number; fail: number; info: number };
  polls: number;
  polledRecords: number;
  /** Records in the log at the end (distinct offsets read), per partition. */
  logSize: number[];
  /** Values read that were sent with an info outcome: indefinite sends that did happen. */
  infoValuesRead: number;
  /** Values read that no send in the history wrote (should never happen; corruption). */
  unknownValuesRead: number;
}

export interface CheckOptions {
  /** Examples kept per anomaly (default 5). */
  examples?: number;
}

interface SendInfo {
  op: SendOp;
  partition: number;
  /** Acknowledged offset, when the send was ok. */
  ackedOffset: number | undefined;
}

export function checkHistory(history: History, options: CheckOptions = {}): CheckReport {
  const maxExamples = options.examples ?? 5;
  const anomaly = (): Anomaly => ({ count: 0, examples: [] });
  const anomalies: CheckReport['anomalies'] = {
    'lost-write': anomaly(),
    duplicate: { ...anomaly(), idempotent: 0, plain: 0 },
    'inconsistent-offsets': anomaly(),
    'nonmonotonic-send': anomaly(),
    'nonmonotonic-poll': anomaly(),
    'poll-skip': anomaly(),
    G1a: anomaly(),
    unseen: anomaly(),
  };
  const report = (name: AnomalyName, example: unknown) => {
    const a = anomalies[name];
    a.count++;
    if (a.examples.length < maxExamples) a.examples.push(example);
  };

  const sends = history.ops.filter((op): op is SendOp => op.type === 'send');
  const polls = history.ops.filter((op): op is PollOp => op.type === 'poll');

  const stats: CheckStats = {
    sends: { ok: 0, fail: 0, info: 0, attempts: 0 },
    sentValues: { ok: 0, fail: 0, info: 0 },
    polls: polls.length,
    polledRecords: 0,
    logSize: [],
    infoValuesRead: 0,
    unknownValuesRead: 0,
  };

  // Every value, who sent it and how that ended.
  const sent = new Map<string, SendInfo>();
  for (const op of sends) {
    stats.sends[op.outcome]++;
    stats.sends.attempts += op.attempts;
    op.records.forEach((r, i) => {
      stats.sentValues[op.outcome]++;
      sent.set(r.value, {
        op,
        partition: r.partition,
        ackedOffset: op.outcome === 'ok' ? op.offsets?.[i] : undefined,
      });
    });
  }

  for (let p = 0; p < history.partitions; p++) {
    // Observations of this partition: offset -> values, value -> offsets (acks and reads alike).
    const valuesAt = new Map<number, Set<string>>();
    const offsetsOf = new Map<string, Set<number>>();
    const observe = (offset: number, value: string) => {
      getOrCreate(valuesAt, offset, () => new Set<string>()).add(value);
      getOrCreate(offsetsOf, value, () => new Set<number>()).add(offset);
    };
    const readValues = new Set<string>();
    const readOffsets = new Set<number>();
    const partitionPolls = polls.filter((poll) => poll.partition === p);
    for (const poll of partitionPolls) {
      for (const r of poll.records) {
        stats.polledRecords++;
        observe(r.offset, r.value);
        readValues.add(r.value);
        readOffsets.add(r.offset);
      }
    }
    for (const [value, info] of sent) {
      if (info.partition === p && info.ackedOffset !== undefined) observe(info.ackedOffset, value);
    }
    stats.logSize[p] = readOffsets.size;

    // Index: rank of an offset among the offsets read, gaps removed.
    const sortedOffsets = [...readOffsets].sort((a, b) => a - b);
    const indexOf = new Map(sortedOffsets.map((o, i) => [o, i]));
    const maxReadOffset = sortedOffsets.at(-1) ?? -1;

    // inconsistent-offsets: one offset, several values.
    for (const [offset, values] of [...valuesAt].sort((a, b) => a[0] - b[0])) {
      if (values.size > 1) report('inconsistent-offsets', { partition: p, offset, values: [...values] });
    }

    // duplicate: one value, several offsets.
    for (const [value, offsets] of offsetsOf) {
      if (offsets.size < 2) continue;
      const info = sent.get(value);
      if (info?.op.idempotent) anomalies.duplicate.idempotent++;
      else anomalies.duplicate.plain++;
      report('duplicate', {
        partition: p,
        value,
        offsets: [...offsets].sort((a, b) => a - b),
        producer: info?.op.process,
        idempotent: info?.op.idempotent ?? false,
      });
    }

    // Reads against sends: G1a, lost-write, unseen; and values nobody wrote.
    for (const value of readValues) {
      const info = sent.get(value);
      if (!info) stats.unknownValuesRead++;
      else if (info.op.outcome === 'info') stats.infoValuesRead++;
    }
    for (const [value, info] of sent) {
      if (info.partition !== p) continue;
      if (info.op.outcome === 'fail' && readValues.has(value)) {
        report('G1a', {
          partition: p,
          value,
          producer: info.op.process,
          offsets: [...(offsetsOf.get(value) ?? [])],
          error: info.op.error,
        });
      }
      // In a compacted run, a value a later one of its key superseded may be gone: lost-latest
      // (checker/compaction-check.ts) holds what compaction must keep instead.
      if (info.ackedOffset !== undefined && !readValues.has(value) && !history.compaction) {
        const example = { partition: p, value, producer: info.op.process, ackedOffset: info.ackedOffset };
        if (info.ackedOffset <= maxReadOffset)
          report('lost-write', { ...example, heldBy: [...(valuesAt.get(info.ackedOffset) ?? [])] });
        else report('unseen', { ...example, maxReadOffset });
      }
    }

    // nonmonotonic-send: a later send of one producer lands at or before an earlier one.
    const byProducer = new Map<string, { seq: number; value: string; offset: number }[]>();
    for (const op of sends) {
      if (op.outcome !== 'ok' || !op.offsets) continue;
      op.records.forEach((r, i) => {
        const offset = op.offsets?.[i];
        if (r.partition !== p || offset === undefined) return;
        getOrCreate(byProducer, op.process, () => []).push({ seq: op.seq, value: r.value, offset });
      });
    }
    for (const [producer, list] of byProducer) {
      // Stable sort: records of one send keep their request order.
      list.sort((a, b) => a.seq - b.seq);
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as (typeof list)[number];
        const cur = list[i] as (typeof list)[number];
        if (cur.offset <= prev.offset) {
          report('nonmonotonic-send', {
            partition: p,
            producer,
            earlier: { value: prev.value, offset: prev.offset, send: prev.seq },
            later: { value: cur.value, offset: cur.offset, send: cur.seq },
          });
        }
      }
    }

    // poll-skip and nonmonotonic-poll: consecutive records one consumer read within one assignment.
    const streams = new Map<string, { offset: number; value: string }[]>();
    for (const poll of partitionPolls) {
      const key = `${poll.process}\u0000${poll.assignment}`;
      getOrCreate(streams, key, () => []).push(...poll.records);
    }
    for (const [key, stream] of streams) {
      const [process, assignment] = key.split('\u0000');
      for (let i = 1; i < stream.length; i++) {
        const prev = stream[i - 1] as PolledRecordLike;
        const cur = stream[i] as PolledRecordLike;
        const a = indexOf.get(prev.offset) as number;
        const b = indexOf.get(cur.offset) as number;
        const where = { partition: p, consumer: process, assignment: Number(assignment) };
        if (b <= a) {
          report('nonmonotonic-poll', { ...where, from: prev, to: cur });
        } else if (b > a + 1) {
          report('poll-skip', {
            ...where,
            from: prev,
            to: cur,
            skipped: sortedOffsets.slice(a + 1, Math.min(b, a + 6)),
            skippedCount: b - a - 1,
          });
        }
      }
    }
  }

  const violations = MUST_BE_ZERO.filter((name) =>
    name === 'duplicate' ? anomalies.duplicate.idempotent > 0 : anomalies[name].count > 0,
  );
  return { valid: violations.length === 0, violations, anomalies, stats };
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

interface PolledRecordLike {
  offset: number;
  value: string;
}
