/**
 * The queue workload over the Kafka protocol, through the gateways: producers (idempotent, with
 * InitProducerId and batch sequences, and plain) write RecordBatches with Produce, and the
 * consumers are members of one classic group (JoinGroup, SyncGroup with the leader's range
 * assignment, Heartbeat, OffsetFetch, Fetch, OffsetCommit fenced by the generation), following the
 * eager protocol's client rules: commit and revoke everything before rejoining, start a partition
 * at its committed offset, drop everything when fenced. Members crash (close their connection
 * without leaving) and are replaced. When the operations are used up the producers stop, and the
 * members drain: they go on until the group has polled every partition to its end.
 */
import { ERRORS } from '../lib/contract/errors.js';
import { decodeBatch, encodeBatch, NO_PRODUCER, readBatchHeader } from '../lib/engine/codec/record-batch.js';
import {
  decodeAssignment,
  encodeAssignment,
  encodeSubscription,
} from '../lib/kafka/protocol/consumer-protocol.js';
import { APIS } from '../lib/kafka/protocol/schema/index.js';
import { type AssignmentOp, type CommitOp, type HistoryOp, newSend, type PolledRecord } from './history.js';
import { type KafkaLink, kafkaLink } from './kafka-link.js';
import type { Random } from './random.js';
import { type Budget, backoff, sleep, type WorkloadResult, workloadState } from './workload.js';

export interface KafkaWorkloadOptions {
  bootstraps: readonly string[];
  topic: string;
  partitions: number;
  group: string;
  idempotentProducers: number;
  plainProducers: number;
  members: number;
  /** Chance that a send goes to a partition that does not exist (default 0.02): it must fail. */
  poisonChance?: number;
  /** Produce attempts per send before giving up with an info outcome (default 8). */
  sendAttempts?: number;
  sessionTimeoutMs?: number;
  /** Per member loop iteration, the chance the member crashes and is replaced (default 0.005). */
  memberCrashChance?: number;
  /** Request timeout (default 5000 ms). */
  timeoutMs?: number;
  rng: Random;
  clock: () => number;
  budget: Budget;
  /**
   * Called once the producers have stopped; resolves with each partition's end (its high
   * watermark), which the members then drain to. The run stops the faults there.
   */
  drainTo: () => Promise<number[]>;
  /** How long the drain may take (default 60 s). */
  drainMs?: number;
}

export interface KafkaWorkloadResult extends WorkloadResult {
  /** Per partition, the offset the group's polls reached in the drain. */
  drained: number[];
}

/** Kafka's codes as the server sends them (client-made entries share -1 with UNKNOWN_SERVER_ERROR). */
const BY_CODE = new Map<number, { name: string; info: (typeof ERRORS)[keyof typeof ERRORS] }>(
  Object.entries(ERRORS)
    .filter(([, info]) => info.origin === 'server')
    .reverse()
    .map(([name, info]) => [info.kafkaCode, { name, info }]),
);
const code = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;
const nameOf = (errorCode: number) => BY_CODE.get(errorCode)?.name ?? `error ${errorCode}`;

const V = {
  produce: 9,
  fetch: 12,
  initProducerId: 1,
  join: 5,
  sync: 3,
  heartbeat: 3,
  leave: 3,
  commit: 7,
  offsets: 7,
};
const PROTOCOL = 'range';

interface Context extends KafkaWorkloadOptions {
  ops: HistoryOp[];
  notes: string[];
  counts: WorkloadResult['counts'];
  nextAssignment: () => number;
  /** Set once the producers are done: the members drain to these ends, then leave. */
  ends: number[] | undefined;
  /** Per partition, the highest offset + 1 any member's poll reached. */
  reached: number[];
  /** The drain is over (done or out of time): members leave. */
  stopped: boolean;
}

export async function runKafkaWorkload(options: KafkaWorkloadOptions): Promise<KafkaWorkloadResult> {
  const ctx: Context = {
    ...options,
    ...workloadState(),
    ends: undefined,
    stopped: false,
    reached: Array.from({ length: options.partitions }, () => 0),
  };
  const producers: Promise<void>[] = [];
  for (let i = 0; i < options.idempotentProducers; i++)
    producers.push(producer(ctx, `idem-${i}`, true, options.rng.fork(`idem-${i}`)));
  for (let i = 0; i < options.plainProducers; i++)
    producers.push(producer(ctx, `plain-${i}`, false, options.rng.fork(`plain-${i}`)));
  const members = Array.from({ length: options.members }, (_, i) =>
    member(ctx, i, options.rng.fork(`member-${i}`)),
  );

  const settled = await Promise.allSettled(producers);
  ctx.ends = await options.drainTo();
  const deadline = Date.now() + (options.drainMs ?? 60_000);
  const drained = () => ctx.reached.every((r, p) => r >= (ctx.ends?.[p] ?? 0));
  while (!drained() && Date.now() < deadline) await sleep(50);
  if (!drained()) ctx.notes.push(`drain stopped at [${ctx.reached}] short of the ends [${ctx.ends}]`);
  ctx.stopped = true;
  settled.push(...(await Promise.allSettled(members)));
  for (const s of settled) if (s.status === 'rejected') ctx.notes.push(`actor crashed: ${String(s.reason)}`);
  return { ops: ctx.ops, notes: ctx.notes, counts: ctx.counts, drained: [...ctx.reached] };
}

// ---------------------------------------------------------------------------------------------
// Producers

async function producer(ctx: Context, name: string, idempotent: boolean, rng: Random): Promise<void> {
  const link = kafkaLink(() => ctx.bootstraps, {
    first: rng.int(0, ctx.bootstraps.length - 1),
    clientId: name,
    ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
  });
  const maxAttempts = ctx.sendAttempts ?? 8;
  let identity: { producerId: number; producerEpoch: number } | undefined;
  let nextSeq = new Map<number, number>();

  /** A fresh producer id: after a send in doubt, its sequence state is unknown. */
  const init = async (): Promise<boolean> => {
    for (let attempt = 0; !ctx.budget.exhausted; attempt++) {
      const res = await link.request(APIS.InitProducerId.key, V.initProducerId, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
      });
      if (res.kind === 'ok' && res.body.errorCode === 0) {
        identity = { producerId: Number(res.body.producerId), producerEpoch: res.body.producerEpoch };
        nextSeq = new Map();
        ctx.counts.producerInits++;
        return true;
      }
      await sleep(backoff(attempt, rng));
    }
    return false;
  };

  try {
    if (idempotent && !(await init())) return;
    for (let seq = 0; ctx.budget.take(); seq++) {
      const poison = rng.chance(ctx.poisonChance ?? 0.02);
      const partition = poison ? ctx.partitions : rng.int(0, ctx.partitions - 1);
      const records = Array.from({ length: rng.int(1, 3) }, (_, i) => ({
        value: `${name}-${seq}-${i}`,
        partition,
      }));
      const batch = encodeBatch(
        records.map((r) => ({ key: null, value: Buffer.from(r.value), headers: [], timestamp: Date.now() })),
        0,
        idempotent && identity ? { ...identity, baseSequence: nextSeq.get(partition) ?? 0 } : NO_PRODUCER,
      ).bytes;
      const op = newSend(name, idempotent, seq, records, ctx.clock());
      let doubt = false;
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        op.attempts++;
        const res = await link.request(APIS.Produce.key, V.produce, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: ctx.topic, partitionData: [{ index: partition, records: batch }] }],
        });
        if (res.kind === 'info') {
          op.error = res.message;
          doubt = true;
          await sleep(backoff(attempt, rng));
          continue;
        }
        const answer = res.body.responses[0]?.partitionResponses[0];
        const errorCode = answer?.errorCode ?? -1;
        if (errorCode === 0 && answer) {
          op.outcome = 'ok';
          op.offsets = records.map((_, i) => Number(answer.baseOffset) + i);
          break;
        }
        op.error = nameOf(errorCode);
        const known = BY_CODE.get(errorCode)?.info;
        // Kafka's table says whether the error guarantees nothing was written, and whether the same
        // request may succeed later.
        if (!known || known.retrySideEffects) doubt = true;
        if (known && !known.retriable) {
          op.outcome = doubt ? 'info' : 'fail';
          break;
        }
        await sleep(backoff(attempt, rng));
      }
      op.end = ctx.clock();
      ctx.ops.push(op);
      if (!idempotent) continue;
      if (op.outcome === 'ok') {
        nextSeq.set(partition, (nextSeq.get(partition) ?? 0) + records.length);
        continue;
      }
      if (op.outcome === 'fail' && poison) continue;
      if (!(await init())) return;
    }
  } finally {
    link.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Group members

interface Owned {
  pos: number;
  assignment: number;
}

/** The leader's range assignment: sorted members, consecutive partitions each. */
function rangeAssign(memberIds: string[], partitions: number): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  const per = Math.floor(partitions / sorted.length);
  const extra = partitions % sorted.length;
  let next = 0;
  sorted.forEach((m, i) => {
    const n = per + (i < extra ? 1 : 0);
    for (let k = 0; k < n; k++) out.get(m)?.push(next++);
  });
  return out;
}

/** Records of a Fetch answer at or after `from`: whole batches, the last one possibly cut. */
function readRecords(blob: Uint8Array | null, from: number): PolledRecord[] {
  const out: PolledRecord[] = [];
  if (!blob) return out;
  let at = 0;
  while (blob.length - at >= 61) {
    const view = new DataView(blob.buffer, blob.byteOffset + at);
    const size = 12 + view.getInt32(8);
    if (at + size > blob.length) break;
    const bytes = blob.subarray(at, at + size);
    const batch = decodeBatch(bytes, Number(readBatchHeader(bytes).baseOffset));
    for (const r of batch.records) {
      if (r.offset >= from) out.push({ offset: r.offset, value: Buffer.from(r.value ?? []).toString() });
    }
    at += size;
  }
  return out;
}

async function member(ctx: Context, slot: number, rng: Random): Promise<void> {
  const sessionTimeoutMs = ctx.sessionTimeoutMs ?? 6000;
  const rebalanceTimeoutMs = sessionTimeoutMs;
  const crashChance = ctx.memberCrashChance ?? 0.005;
  const stopping = () =>
    ctx.stopped || (ctx.ends !== undefined && ctx.reached.every((r, p) => r >= (ctx.ends?.[p] ?? 0)));
  const subscription = encodeSubscription({ topics: [ctx.topic] });

  for (let incarnation = 0; !stopping(); incarnation++) {
    const name = `member-${slot}.${incarnation}`;
    const link: KafkaLink = kafkaLink(() => ctx.bootstraps, {
      first: slot + incarnation,
      clientId: name,
      ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
    });
    let memberId = '';
    let generation = -1;
    const owned = new Map<number, Owned>();
    let lastGoodHeartbeat = Date.now();
    let nextHeartbeatAt = 0;
    let needJoin = true;
    let cursor = 0;

    const commit = async (partitions: number[]): Promise<boolean> => {
      const list = partitions.filter((p) => owned.has(p));
      if (list.length === 0 || generation < 0) return true;
      ctx.counts.offsetCommits++;
      const start = ctx.clock();
      const res = await link.request(APIS.OffsetCommit.key, V.commit, {
        groupId: ctx.group,
        generationIdOrMemberEpoch: generation,
        memberId,
        groupInstanceId: null,
        topics: [
          {
            name: ctx.topic,
            partitions: list.map((p) => ({
              partitionIndex: p,
              committedOffset: BigInt((owned.get(p) as Owned).pos),
              committedMetadata: null,
            })),
          },
        ],
      });
      const end = ctx.clock();
      const answers = res.kind === 'ok' ? (res.body.topics[0]?.partitions ?? []) : [];
      let allOk = res.kind === 'ok';
      for (const p of list) {
        const errorCode = answers.find((a) => a.partitionIndex === p)?.errorCode;
        const op: CommitOp = {
          type: 'commit',
          process: name,
          member: memberId,
          generation,
          partition: p,
          offset: (owned.get(p) as Owned).pos,
          outcome:
            errorCode === 0
              ? 'ok'
              : errorCode === undefined || BY_CODE.get(errorCode)?.info.retrySideEffects !== false
                ? 'info'
                : 'fail',
          start,
          end,
        };
        if (res.kind === 'info') op.error = res.message;
        else if (errorCode) op.error = nameOf(errorCode);
        if (op.outcome !== 'ok') allOk = false;
        ctx.ops.push(op);
        if (errorCode === code('ILLEGAL_GENERATION') || errorCode === code('UNKNOWN_MEMBER_ID')) lost();
        if (errorCode === code('REBALANCE_IN_PROGRESS')) needJoin = true;
      }
      return allOk;
    };

    /** Fenced: the partitions are someone else's already; nothing is committed. */
    const lost = () => {
      if (owned.size > 0) ctx.counts.rebalances++;
      owned.clear();
      needJoin = true;
    };

    /** Eager revocation before a rejoin: commit what was processed, then let everything go. */
    const revoke = async () => {
      await commit([...owned.keys()]);
      if (owned.size > 0) ctx.counts.rebalances++;
      owned.clear();
    };

    const join = async (): Promise<boolean> => {
      await revoke();
      const res = await link.request(
        APIS.JoinGroup.key,
        V.join,
        {
          groupId: ctx.group,
          sessionTimeoutMs,
          rebalanceTimeoutMs,
          memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: PROTOCOL, metadata: subscription }],
          reason: null,
        },
        rebalanceTimeoutMs + 5000,
      );
      if (res.kind === 'info') return false;
      const j = res.body;
      if (j.errorCode === code('MEMBER_ID_REQUIRED')) {
        memberId = j.memberId;
        return false;
      }
      if (j.errorCode === code('UNKNOWN_MEMBER_ID')) {
        memberId = '';
        return false;
      }
      if (j.errorCode !== 0) {
        await sleep(100);
        return false;
      }
      memberId = j.memberId;
      generation = j.generationId;
      const assignments =
        j.leader === memberId
          ? [
              ...rangeAssign(
                j.members.map((m) => m.memberId),
                ctx.partitions,
              ),
            ].map(([m, parts]) => ({
              memberId: m,
              assignment: encodeAssignment({
                assignedPartitions: [{ topic: ctx.topic, partitions: parts }],
                userData: null,
              }),
            }))
          : [];
      const synced = await link.request(
        APIS.SyncGroup.key,
        V.sync,
        { groupId: ctx.group, generationId: generation, memberId, groupInstanceId: null, assignments },
        rebalanceTimeoutMs + 5000,
      );
      if (synced.kind === 'info') return false;
      if (synced.body.errorCode !== 0) {
        if (synced.body.errorCode === code('UNKNOWN_MEMBER_ID')) memberId = '';
        return false;
      }
      const partitions =
        synced.body.assignment.length === 0
          ? []
          : decodeAssignment(synced.body.assignment)
              .value.assignedPartitions.filter((a) => a.topic === ctx.topic)
              .flatMap((a) => a.partitions);
      const op: AssignmentOp = {
        type: 'assignment',
        process: name,
        member: memberId,
        generation,
        partitions: [...partitions].sort((a, b) => a - b),
        time: ctx.clock(),
      };
      ctx.ops.push(op);
      lastGoodHeartbeat = Date.now();
      if (partitions.length === 0) return true;
      const start = ctx.clock();
      const fetched = await link.request(APIS.OffsetFetch.key, V.offsets, {
        groupId: ctx.group,
        topics: [{ name: ctx.topic, partitionIndexes: partitions }],
        requireStable: false,
      });
      if (fetched.kind === 'info' || fetched.body.errorCode !== 0) return false;
      const end = ctx.clock();
      for (const p of partitions) {
        const answer = fetched.body.topics[0]?.partitions.find((x) => x.partitionIndex === p);
        if (!answer || answer.errorCode !== 0) return false;
        const committed = Number(answer.committedOffset);
        ctx.ops.push({ type: 'committed', process: name, partition: p, offset: committed, start, end });
        owned.set(p, { pos: Math.max(0, committed), assignment: ctx.nextAssignment() });
      }
      ctx.counts.rebalances++;
      return true;
    };

    const heartbeat = async () => {
      ctx.counts.heartbeats++;
      const sentAt = Date.now();
      nextHeartbeatAt = sentAt + 500;
      const res = await link.request(APIS.Heartbeat.key, V.heartbeat, {
        groupId: ctx.group,
        generationId: generation,
        memberId,
        groupInstanceId: null,
      });
      if (res.kind === 'info') {
        // Cut off for a session: the coordinator has moved on without us.
        if (Date.now() - lastGoodHeartbeat > sessionTimeoutMs) lost();
        nextHeartbeatAt = Date.now() + 100;
        return;
      }
      const errorCode = res.body.errorCode;
      if (errorCode === 0) {
        lastGoodHeartbeat = sentAt;
        return;
      }
      if (errorCode === code('REBALANCE_IN_PROGRESS')) {
        lastGoodHeartbeat = sentAt;
        needJoin = true;
        return;
      }
      if (errorCode === code('UNKNOWN_MEMBER_ID')) memberId = '';
      if (errorCode === code('UNKNOWN_MEMBER_ID') || errorCode === code('ILLEGAL_GENERATION')) {
        lost();
        return;
      }
      nextHeartbeatAt = Date.now() + 100;
      if (Date.now() - lastGoodHeartbeat > sessionTimeoutMs) lost();
    };

    let crashed = false;
    for (let failures = 0; !stopping(); ) {
      if (ctx.ends === undefined && rng.chance(crashChance)) {
        ctx.counts.memberCrashes++;
        crashed = true;
        break;
      }
      if (needJoin) {
        if (await join()) {
          needJoin = false;
          failures = 0;
        } else await sleep(backoff(failures++, rng));
        continue;
      }
      if (Date.now() >= nextHeartbeatAt) await heartbeat();
      if (needJoin) continue;
      const partitions = [...owned.keys()];
      if (partitions.length === 0) {
        await sleep(50);
        continue;
      }
      const p = partitions[cursor++ % partitions.length] as number;
      const state = owned.get(p) as Owned;
      if (ctx.ends === undefined && !ctx.budget.take()) {
        // Out of operations: heartbeat on until the producers are done and the drain starts.
        await sleep(20);
        continue;
      }
      const start = ctx.clock();
      const res = await link.request(APIS.Fetch.key, V.fetch, {
        maxWaitMs: partitions.length > 1 ? 0 : 100,
        minBytes: 1,
        maxBytes: 256 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: ctx.topic,
            partitions: [{ partition: p, fetchOffset: BigInt(state.pos), partitionMaxBytes: 64 * 1024 }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      const answer = res.kind === 'ok' ? res.body.responses[0]?.partitions[0] : undefined;
      if (!answer || answer.errorCode !== 0) {
        // The injected faults surface as retriable errors; anything else is worth a note.
        if (answer && BY_CODE.get(answer.errorCode)?.info.retriable === false && answer.errorCode !== -1)
          ctx.notes.push(`${name}: fetch of ${p}@${state.pos}: ${nameOf(answer.errorCode)}`);
        await sleep(50);
        continue;
      }
      const records = readRecords(answer.records, state.pos);
      ctx.ops.push({
        type: 'poll',
        process: name,
        partition: p,
        assignment: state.assignment,
        offset: state.pos,
        records,
        start,
        end: ctx.clock(),
      });
      if (owned.get(p) !== state) continue;
      if (records.length > 0) {
        state.pos = (records.at(-1) as PolledRecord).offset + 1;
        ctx.reached[p] = Math.max(ctx.reached[p] ?? 0, state.pos);
        await commit([p]);
      } else {
        ctx.reached[p] = Math.max(ctx.reached[p] ?? 0, Math.min(state.pos, Number(answer.highWatermark)));
      }
    }
    if (!crashed && memberId) {
      await revoke();
      await link.request(APIS.LeaveGroup.key, V.leave, {
        groupId: ctx.group,
        members: [{ memberId, groupInstanceId: null, reason: null }],
      });
    }
    link.close();
  }
}
