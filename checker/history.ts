/**
 * The history of a Jepsen-style queue run: every send and every poll, as the clients saw them.
 * It is plain JSON, so a run can be saved and checked again later (`checkHistory`).
 */

/** Jepsen's outcomes: ok (it happened), fail (it definitely did not), info (unknown). */
export type Outcome = 'ok' | 'fail' | 'info';

export interface SentRecord {
  /**
   * Unique across the whole run: the record's identity. In a compacted run it travels in the
   * record's `id` header too, since a tombstone has no value.
   */
  value: string;
  partition: number;
  /** Compacted runs: the record's key, and whether it is a tombstone (null value). */
  key?: string;
  tombstone?: boolean;
}

export interface SendOp {
  type: 'send';
  /** The logical producer. A producer that re-initialises (a new producer id) keeps its name. */
  process: string;
  idempotent: boolean;
  /** The position of this send among the process's sends (sends of one process never overlap). */
  seq: number;
  records: SentRecord[];
  outcome: Outcome;
  /** When ok: the acknowledged offset of each record, in request order. */
  offsets?: number[];
  /** HTTP requests made for this send (client-side retries of indefinite failures included). */
  attempts: number;
  /** The last error an attempt got (also for an ok send that needed retries). */
  error?: string;
  /** Milliseconds since the start of the run. */
  start: number;
  end: number;
}

export interface PolledRecord {
  offset: number;
  /** The record's identity (its `id` header in a compacted run, its value otherwise). */
  value: string;
  key?: string;
  tombstone?: boolean;
}

export interface PollOp {
  type: 'poll';
  process: string;
  partition: number;
  /**
   * Changes whenever the consumer's position on this partition was set by anything other than its
   * previous poll: a (re)assignment, a rebalance, a seek, a restart. Poll-skip and nonmonotonic-poll
   * are only meaningful between polls of one assignment.
   */
  assignment: number;
  /** The offset the poll asked for. */
  offset: number;
  records: PolledRecord[];
  /** The next offset the answer gave (compacted runs: the offsets skipped to it were removed). */
  nextOffset?: number;
  /** Part of the final read-back after the workload stopped. */
  final?: boolean;
  start: number;
  end: number;
}

/** A classic group member's share of one generation, as its SyncGroup answer gave it. */
export interface AssignmentOp {
  type: 'assignment';
  process: string;
  member: string;
  generation: number;
  partitions: number[];
  time: number;
}

/** An offset commit of one partition by a group member (fenced by its generation). */
export interface CommitOp {
  type: 'commit';
  process: string;
  member: string;
  generation: number;
  partition: number;
  offset: number;
  outcome: Outcome;
  /** The error code's name when it was not ok. */
  error?: string;
  start: number;
  end: number;
}

/** A committed offset a member read (OffsetFetch) before starting on a partition; -1 when none. */
export interface CommittedReadOp {
  type: 'committed';
  process: string;
  partition: number;
  offset: number;
  start: number;
  end: number;
}

export type GroupOp = AssignmentOp | CommitOp | CommittedReadOp;

export type HistoryOp = SendOp | PollOp | GroupOp;

/** The topic's compaction settings, when the run's topic is compacted (`cleanup.policy=compact`). */
export interface CompactionSettings {
  deleteRetentionMs: number;
  minCompactionLagMs: number;
}

export interface History {
  topic: string;
  partitions: number;
  /** Set for a compacted run: checker/compaction-check.ts applies, and lost-write does not. */
  compaction?: CompactionSettings;
  /** In completion order. */
  ops: HistoryOp[];
}

/** A send about to be made: indefinite until an answer says otherwise. */
export function newSend(
  process: string,
  idempotent: boolean,
  seq: number,
  records: SentRecord[],
  start: number,
): SendOp {
  return { type: 'send', process, idempotent, seq, records, outcome: 'info', attempts: 0, start, end: 0 };
}
