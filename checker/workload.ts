/**
 * Jepsen's queue workload over Strata's HTTP API. Every value is unique. Producers, idempotent
 * (POST /v1/producers, retries with the same sequences) and plain (retries the same records), send
 * to explicit partitions; consumers either read assigned partitions by offset or are members of a
 * consumer group (KIP-848 heartbeats, commits after processing, crashes). Every send and poll goes
 * into the history with its outcome.
 */
import { type HistoryOp, newSend, type PolledRecord, type SentRecord } from './history.js';
import type { CheckerHttp } from './http.js';
import type { Random } from './random.js';

export interface WorkloadOptions {
  http: CheckerHttp;
  topic: string;
  partitions: number;
  group: string;
  idempotentProducers: number;
  plainProducers: number;
  assignedConsumers: number;
  subscribedConsumers: number;
  /** The partitions producers write to (default: all). One partition makes producers contend. */
  producerPartitions?: number[];
  /**
   * A compacted topic: every record has a key out of this many per partition, a tombstone now and
   * then, and its identity in an `id` header (checker/compaction-check.ts).
   */
  compacted?: { keys: number; tombstoneChance: number };
  /** Records per send: 1 to this (default 3). */
  maxRecordsPerSend?: number;
  /**
   * Chance that a send also carries a record for a partition that does not exist (default 0.02):
   * the whole request must fail (404, definite), so none of its values may ever be read (G1a).
   */
  poisonChance?: number;
  /** HTTP attempts per send before giving up with an info outcome (default 8). */
  sendAttempts?: number;
  /** Group member session timeout (default 3000 ms). */
  sessionTimeoutMs?: number;
  /** Per consumer loop iteration, the chance a group member crashes and is replaced (default 0.01). */
  memberCrashChance?: number;
  rng: Random;
  /** ms since the start of the run. */
  clock: () => number;
  budget: Budget;
}

/** Operations left to invoke (sends and polls), and an optional deadline. */
export class Budget {
  private left: number;
  private invoked = 0;
  constructor(
    ops: number,
    private readonly deadline: number = Number.POSITIVE_INFINITY,
  ) {
    this.left = ops;
  }
  take(): boolean {
    if (this.exhausted) return false;
    this.left--;
    this.invoked++;
    return true;
  }
  get exhausted(): boolean {
    return this.left <= 0 || Date.now() >= this.deadline;
  }
  get used(): number {
    return this.invoked;
  }
  /** Ends the workload early. */
  stop(): void {
    this.left = 0;
  }
}

export interface WorkloadResult {
  ops: HistoryOp[];
  /** Things that should not happen and are not anomalies of a history: unexpected errors, stuck reads. */
  notes: string[];
  counts: {
    producerInits: number;
    memberCrashes: number;
    heartbeats: number;
    offsetCommits: number;
    rebalances: number;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Jittered exponential backoff, capped at 1 s. */
export const backoff = (attempt: number, rng: Random) => rng.int(0, Math.min(1000, 25 * 2 ** attempt));

interface Context extends WorkloadOptions {
  ops: HistoryOp[];
  notes: string[];
  counts: WorkloadResult['counts'];
  nextAssignment: () => number;
}

/** What every workload's actors share: the history so far, notes, counts, assignment numbers. */
export function workloadState() {
  let assignments = 0;
  return {
    ops: [] as HistoryOp[],
    notes: [] as string[],
    counts: { producerInits: 0, memberCrashes: 0, heartbeats: 0, offsetCommits: 0, rebalances: 0 },
    nextAssignment: () => ++assignments,
  };
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const ctx: Context = { ...options, ...workloadState() };
  const actors: Promise<void>[] = [];
  for (let i = 0; i < options.idempotentProducers; i++) {
    actors.push(producer(ctx, `idem-${i}`, true, options.rng.fork(`idem-${i}`)));
  }
  for (let i = 0; i < options.plainProducers; i++) {
    actors.push(producer(ctx, `plain-${i}`, false, options.rng.fork(`plain-${i}`)));
  }
  for (let i = 0; i < options.assignedConsumers; i++) {
    actors.push(assignedConsumer(ctx, i, options.rng.fork(`assigned-${i}`)));
  }
  for (let i = 0; i < options.subscribedConsumers; i++) {
    actors.push(subscribedConsumer(ctx, i, options.rng.fork(`subscribed-${i}`)));
  }
  const settled = await Promise.allSettled(actors);
  for (const s of settled) if (s.status === 'rejected') ctx.notes.push(`actor crashed: ${String(s.reason)}`);
  return { ops: ctx.ops, notes: ctx.notes, counts: ctx.counts };
}

// ---------------------------------------------------------------------------------------------
// Producers

interface ProducerIdentity {
  producerId: string;
  producerEpoch: number;
}

async function producer(ctx: Context, name: string, idempotent: boolean, rng: Random): Promise<void> {
  const targets = ctx.producerPartitions ?? Array.from({ length: ctx.partitions }, (_, p) => p);
  const maxRecords = ctx.maxRecordsPerSend ?? 3;
  const maxAttempts = ctx.sendAttempts ?? 8;
  let identity: ProducerIdentity | undefined;
  let nextSeq = new Map<number, number>();

  /** A fresh producer id: after a send in doubt, its sequence state is unknown, so start anew. */
  const init = async (): Promise<boolean> => {
    for (let attempt = 0; !ctx.budget.exhausted; attempt++) {
      const res = await ctx.http.call<ProducerIdentity>('POST', '/v1/producers', {});
      if (res.kind === 'ok') {
        identity = res.body;
        nextSeq = new Map();
        ctx.counts.producerInits++;
        return true;
      }
      if (res.kind === 'fail')
        ctx.notes.push(`${name}: POST /v1/producers failed: ${res.code} ${res.message}`);
      await sleep(backoff(attempt, rng));
    }
    return false;
  };
  if (idempotent && !(await init())) return;

  for (let seq = 0; ctx.budget.take(); seq++) {
    const first = rng.pick(targets);
    const second = rng.chance(0.3) ? rng.pick(targets) : first;
    const records: SentRecord[] = Array.from({ length: rng.int(1, maxRecords) }, (_, i) => ({
      value: `${name}-${seq}-${i}`,
      partition: i === 0 ? first : rng.pick([first, second]),
      ...keyed(ctx, rng),
    }));
    // Poison: the whole request must fail (definite), so none of its values may ever be read (G1a).
    // A compacted topic also refuses a record without a key.
    if (rng.chance(ctx.poisonChance ?? 0.02)) {
      const value = `${name}-${seq}-${records.length}`;
      if (ctx.compacted && rng.chance(0.5)) records.push({ value, partition: first });
      else records.push({ value, partition: ctx.partitions, ...keyed(ctx, rng) });
    }
    const body: Record<string, unknown> = { records: records.map(wireRecord) };
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    if (idempotent && identity) {
      body.producer = {
        ...identity,
        sequences: [...counts.keys()].map((partition) => ({
          partition,
          baseSequence: nextSeq.get(partition) ?? 0,
        })),
      };
    }

    const op = newSend(name, idempotent, seq, records, ctx.clock());
    let doubt = false;
    let lastError: string | undefined;
    // Client-side retries of indefinite failures: the very same request (records and sequences).
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      op.attempts++;
      const res = await ctx.http.call<{ offsets: { partition: number; offset: string }[] }>(
        'POST',
        `/v1/topics/${ctx.topic}/records`,
        body,
      );
      if (res.kind !== 'ok') lastError = `${res.status ?? '-'} ${res.code}: ${res.message}`;
      if (res.kind === 'ok') {
        op.outcome = 'ok';
        op.offsets = res.body.offsets.map((o) => Number(o.offset));
        break;
      }
      if (res.kind === 'fail') {
        // Definite only if no earlier attempt may have landed.
        op.outcome = doubt ? 'info' : 'fail';
        break;
      }
      doubt = true;
      await sleep(backoff(attempt, rng));
    }
    op.end = ctx.clock();
    if (lastError) op.error = lastError;
    ctx.ops.push(op);

    if (!idempotent) continue;
    if (op.outcome === 'ok') {
      for (const [p, n] of counts) nextSeq.set(p, (nextSeq.get(p) ?? 0) + n);
      continue;
    }
    // Whether the sequences were used is unknown (or they were refused): start again under a new
    // producer id, as a Kafka producer does after an error it cannot resolve.
    if (!(await init())) return;
  }
}

/** A record's key and tombstone flag in a compacted run; nothing otherwise. */
function keyed(ctx: Context, rng: Random): Pick<SentRecord, 'key' | 'tombstone'> {
  if (!ctx.compacted) return {};
  return {
    key: `key-${rng.int(0, ctx.compacted.keys - 1)}`,
    tombstone: rng.chance(ctx.compacted.tombstoneChance),
  };
}

/** What POST /v1/topics/{t}/records is sent for a record of the history (no key: a keyless record). */
function wireRecord(r: SentRecord): Record<string, unknown> {
  if (r.key === undefined) return { value: r.value, partition: r.partition };
  return {
    partition: r.partition,
    key: r.key,
    value: r.tombstone ? null : r.value,
    headers: { id: r.value },
  };
}

// ---------------------------------------------------------------------------------------------
// Consumers

interface FetchBody {
  records: {
    offset: string;
    key: string | null;
    value: string | null;
    headers?: Record<string, string | null>;
  }[];
  nextOffset: string;
  highWatermark: string;
}

/** A fetched record as the history keeps it: its identity is its `id` header when it has one. */
function polledRecord(r: FetchBody['records'][number]): PolledRecord {
  const id = r.headers?.id;
  if (typeof id !== 'string') return { offset: Number(r.offset), value: String(r.value) };
  return {
    offset: Number(r.offset),
    value: id,
    ...(r.key !== null ? { key: r.key } : {}),
    tombstone: r.value === null,
  };
}

async function poll(
  ctx: Context,
  process: string,
  partition: number,
  assignment: number,
  offset: number,
  maxRecords: number,
  waitMs: number,
): Promise<{ nextOffset: number; count: number } | undefined> {
  const start = ctx.clock();
  const res = await ctx.http.call<FetchBody>(
    'GET',
    `/v1/topics/${ctx.topic}/partitions/${partition}/records?offset=${offset}&maxRecords=${maxRecords}&waitMs=${waitMs}`,
  );
  if (res.kind !== 'ok') {
    if (res.kind === 'fail')
      ctx.notes.push(`${process}: poll of ${partition}@${offset} failed: ${res.code} ${res.message}`);
    return undefined;
  }
  const records = res.body.records.map(polledRecord);
  const nextOffset = Number(res.body.nextOffset);
  ctx.ops.push({
    type: 'poll',
    process,
    partition,
    assignment,
    offset,
    records,
    nextOffset,
    start,
    end: ctx.clock(),
  });
  return { nextOffset, count: records.length };
}

/** Reads one partition by offset; now and then seeks back, or moves to another partition. */
async function assignedConsumer(ctx: Context, i: number, rng: Random): Promise<void> {
  const name = `assigned-${i}`;
  let partition = i % ctx.partitions;
  let pos = 0;
  let assignment = ctx.nextAssignment();
  for (let failures = 0; ctx.budget.take(); ) {
    if (rng.chance(0.02)) {
      pos = rng.int(0, pos);
      assignment = ctx.nextAssignment();
    } else if (rng.chance(0.01)) {
      partition = rng.int(0, ctx.partitions - 1);
      pos = 0;
      assignment = ctx.nextAssignment();
    }
    const res = await poll(ctx, name, partition, assignment, pos, rng.int(1, 50), rng.int(0, 200));
    if (res) {
      pos = res.nextOffset;
      failures = 0;
    } else {
      await sleep(backoff(failures++, rng));
    }
  }
}

interface HeartbeatBody {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topic: string; partitions: number[] }[];
}

interface Owned {
  pos: number;
  assignment: number;
}

/**
 * A group member, replaced by a new one (a new process) when it crashes. It follows the KIP-848
 * client rules of docs/groups.md: commit then release revoked partitions; start new ones at the
 * committed offset; drop everything and rejoin when fenced or when no heartbeat succeeded for a
 * session timeout.
 */
async function subscribedConsumer(ctx: Context, slot: number, rng: Random): Promise<void> {
  const sessionTimeoutMs = ctx.sessionTimeoutMs ?? 3000;
  const crashChance = ctx.memberCrashChance ?? 0.01;
  const groupPath = `/v1/groups/${ctx.group}`;
  for (let incarnation = 0; !ctx.budget.exhausted; incarnation++) {
    const name = `subscribed-${slot}.${incarnation}`;
    let memberId: string | undefined;
    let epoch = 0;
    const owned = new Map<number, Owned>();
    let nextHeartbeatAt = 0;
    let lastGoodHeartbeatSentAt = Date.now();
    let cursor = 0;

    const commit = async (partitions: number[]) => {
      const offsets = partitions.flatMap((p) => {
        const o = owned.get(p);
        return o ? [{ topic: ctx.topic, partition: p, offset: String(o.pos) }] : [];
      });
      if (!memberId || offsets.length === 0) return true;
      ctx.counts.offsetCommits++;
      const res = await ctx.http.call('POST', `${groupPath}/offsets`, {
        memberId,
        memberEpoch: epoch,
        offsets,
      });
      return res.kind === 'ok';
    };

    const adopt = async (assignment: HeartbeatBody['assignment']) => {
      const target = new Set(assignment.filter((a) => a.topic === ctx.topic).flatMap((a) => a.partitions));
      const revoked = [...owned.keys()].filter((p) => !target.has(p));
      if (revoked.length > 0) {
        await commit(revoked);
        for (const p of revoked) owned.delete(p);
        ctx.counts.rebalances++;
      }
      const added = [...target].filter((p) => !owned.has(p));
      if (added.length === 0) return;
      const res = await ctx.http.call<{ offsets: { partition: number; offset: string }[] }>(
        'GET',
        `${groupPath}/offsets?topic=${ctx.topic}`,
      );
      // Not adopted yet if the committed offsets are unknown: the next heartbeat offers them again.
      if (res.kind !== 'ok') return;
      for (const p of added) {
        const committed = res.body.offsets.find((o) => o.partition === p);
        owned.set(p, { pos: committed ? Number(committed.offset) : 0, assignment: ctx.nextAssignment() });
      }
      ctx.counts.rebalances++;
    };

    const heartbeat = async () => {
      ctx.counts.heartbeats++;
      const sentAt = Date.now();
      const body =
        epoch === 0
          ? {
              ...(memberId ? { memberId } : {}),
              memberEpoch: 0,
              topics: [ctx.topic],
              sessionTimeoutMs,
              rebalanceTimeoutMs: 2 * sessionTimeoutMs,
            }
          : {
              memberId,
              memberEpoch: epoch,
              ownedPartitions: [{ topic: ctx.topic, partitions: [...owned.keys()] }],
            };
      const res = await ctx.http.call<HeartbeatBody>('POST', `${groupPath}/heartbeat`, body);
      if (res.kind === 'ok') {
        memberId = res.body.memberId;
        epoch = res.body.memberEpoch;
        lastGoodHeartbeatSentAt = sentAt;
        nextHeartbeatAt = Date.now() + Math.min(res.body.heartbeatIntervalMs, 1000);
        await adopt(res.body.assignment);
        return;
      }
      nextHeartbeatAt = Date.now() + 100;
      if (res.kind === 'fail' || Date.now() - lastGoodHeartbeatSentAt > sessionTimeoutMs) {
        // Fenced or unknown (or cut off for a session): our partitions are someone else's now.
        if (res.kind === 'fail' && !['UNKNOWN_MEMBER_ID', 'FENCED_MEMBER_EPOCH'].includes(res.code)) {
          ctx.notes.push(`${name}: heartbeat failed: ${res.code} ${res.message}`);
        }
        owned.clear();
        epoch = 0;
      }
    };

    let crashed = false;
    while (!ctx.budget.exhausted) {
      if (rng.chance(crashChance)) {
        // Stop heartbeating without leaving; a new member takes this slot.
        ctx.counts.memberCrashes++;
        crashed = true;
        break;
      }
      if (Date.now() >= nextHeartbeatAt) await heartbeat();
      const partitions = [...owned.keys()];
      if (partitions.length === 0) {
        await sleep(50);
        continue;
      }
      const p = partitions[cursor++ % partitions.length] as number;
      const state = owned.get(p) as Owned;
      if (!ctx.budget.take()) break;
      const res = await poll(
        ctx,
        name,
        p,
        state.assignment,
        state.pos,
        rng.int(1, 50),
        partitions.length > 1 ? 0 : 100,
      );
      if (!res) {
        await sleep(50);
        continue;
      }
      // Processed: move on and commit (a revocation in between made this partition someone else's).
      if (owned.get(p) !== state) continue;
      state.pos = res.nextOffset;
      if (res.count > 0 && !(await commit([p]))) nextHeartbeatAt = 0;
    }
    if (!crashed && memberId)
      await ctx.http.call('POST', `${groupPath}/heartbeat`, { memberId, memberEpoch: -1 });
  }
}

/** After the workload: every partition read from offset 0 to its high watermark. */
export async function finalRead(
  http: CheckerHttp,
  topic: string,
  partitions: number,
  clock: () => number,
  notes: string[],
): Promise<HistoryOp[]> {
  const ops: HistoryOp[] = [];
  for (let p = 0; p < partitions; p++) {
    let pos = 0;
    let hw = Number.POSITIVE_INFINITY;
    for (let failures = 0; pos < hw; ) {
      const start = clock();
      const res = await http.call<FetchBody>(
        'GET',
        `/v1/topics/${topic}/partitions/${p}/records?offset=${pos}&maxRecords=1000`,
      );
      if (res.kind !== 'ok') {
        if (++failures > 20) {
          notes.push(`final read of partition ${p} gave up at offset ${pos}: ${res.code} ${res.message}`);
          break;
        }
        await sleep(100);
        continue;
      }
      if (hw === Number.POSITIVE_INFINITY) hw = Number(res.body.highWatermark);
      const records = res.body.records.map(polledRecord);
      const next = Number(res.body.nextOffset);
      ops.push({
        type: 'poll',
        process: 'final',
        partition: p,
        assignment: 0,
        offset: pos,
        records,
        nextOffset: next,
        final: true,
        start,
        end: clock(),
      });
      // A compacted range may answer no records and a nextOffset past it: go on from there.
      if (next <= pos) {
        notes.push(`final read of partition ${p} stalled at offset ${pos} below the high watermark ${hw}`);
        break;
      }
      pos = next;
    }
  }
  return ops;
}
