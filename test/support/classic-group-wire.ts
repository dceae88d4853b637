import { expect } from 'vitest';
import { ERRORS } from '../../lib/contract/errors.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import type { KafkaWire } from './kafka-wire.js';

/**
 * The classic group protocol on the raw wire, for the tests that drive members by hand:
 * JoinGroup (with the MEMBER_ID_REQUIRED round of v4+), SyncGroup, Heartbeat, OffsetCommit and
 * OffsetFetch with a member's generation, on whichever gateway each wire is connected to.
 */
export const GROUP_KEYS = {
  JOIN: APIS.JoinGroup.key,
  SYNC: APIS.SyncGroup.key,
  HEARTBEAT: APIS.Heartbeat.key,
  LEAVE: APIS.LeaveGroup.key,
  COMMIT: APIS.OffsetCommit.key,
  FETCH_OFFSETS: APIS.OffsetFetch.key,
  DESCRIBE: APIS.DescribeGroups.key,
  API_VERSIONS: APIS.ApiVersions.key,
} as const;

/** The Kafka error code of one of the contract's errors. */
export const errorCode = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;

/** A member's protocol metadata (and, in the tests, an assignment): recognisable bytes. */
export const meta = (name: string) => Buffer.from(`meta-of-${name}`);

export interface JoinOptions {
  version?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  /** Names the member's metadata (meta(name)). */
  name?: string;
  instance?: string;
  protocolType?: string;
}

export function join(w: KafkaWire, group: string, memberId: string, opts: JoinOptions = {}) {
  return w.request(GROUP_KEYS.JOIN, opts.version ?? 5, {
    groupId: group,
    sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 5_000,
    memberId,
    groupInstanceId: opts.instance ?? null,
    protocolType: opts.protocolType ?? 'consumer',
    protocols: [{ name: 'range', metadata: meta(opts.name ?? 'x') }],
    reason: null,
  });
}

export type JoinResponse = Awaited<ReturnType<typeof join>>;

/** A member with its minted id, and its join with that id (which waits at the barrier). */
export interface Joining {
  memberId: string;
  response: Promise<JoinResponse>;
}

/** A first join at v5: MEMBER_ID_REQUIRED with an id, then the join with it (which waits at the barrier). */
export async function joinNew(w: KafkaWire, group: string, opts: JoinOptions = {}): Promise<Joining> {
  const first = await join(w, group, '', opts);
  expect(first.errorCode).toBe(errorCode('MEMBER_ID_REQUIRED'));
  expect(first.memberId).not.toBe('');
  return { memberId: first.memberId, response: join(w, group, first.memberId, opts) };
}

/**
 * Several members joining a new group together: each gets its id first (MEMBER_ID_REQUIRED), then
 * all join at once, inside the group's initial delay, so that they share generation 1.
 */
export async function joinTogether<const M extends readonly { w: KafkaWire; opts: JoinOptions }[]>(
  group: string,
  members: M,
): Promise<{ [I in keyof M]: Joining }> {
  const ids: string[] = [];
  for (const m of members) {
    const first = await join(m.w, group, '', m.opts);
    expect(first.errorCode).toBe(errorCode('MEMBER_ID_REQUIRED'));
    ids.push(first.memberId);
  }
  const responses = await Promise.all(members.map((m, i) => join(m.w, group, ids[i] as string, m.opts)));
  for (const r of responses) expect(r).toMatchObject({ errorCode: 0, generationId: 1 });
  return ids.map((memberId, i) => ({
    memberId,
    response: Promise.resolve(responses[i] as JoinResponse),
  })) as { [I in keyof M]: Joining };
}

export function sync(
  w: KafkaWire,
  group: string,
  memberId: string,
  generationId: number,
  assignments: { memberId: string; assignment: Uint8Array }[] = [],
) {
  return w.request(GROUP_KEYS.SYNC, 3, {
    groupId: group,
    generationId,
    memberId,
    groupInstanceId: null,
    assignments,
  });
}

export function heartbeat(w: KafkaWire, group: string, memberId: string, generationId: number) {
  return w.request(GROUP_KEYS.HEARTBEAT, 3, {
    groupId: group,
    generationId,
    memberId,
    groupInstanceId: null,
  });
}

/** OffsetCommit v5 of `topic`'s `partition` with the member's generation. */
export function commitOffset(
  w: KafkaWire,
  group: string,
  member: { memberId: string; generation: number },
  topic: string,
  partition: number,
  offset: number,
) {
  return w.request(GROUP_KEYS.COMMIT, 5, {
    groupId: group,
    generationIdOrMemberEpoch: member.generation,
    memberId: member.memberId,
    groupInstanceId: null,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: partition, committedOffset: BigInt(offset), committedMetadata: null }],
      },
    ],
  } as never);
}

/** OffsetFetch v5 of one partition: its error code and committed offset (-1 when none). */
export async function fetchCommitted(w: KafkaWire, group: string, topic: string, partition: number) {
  const res = await w.request(GROUP_KEYS.FETCH_OFFSETS, 5, {
    groupId: group,
    topics: [{ name: topic, partitionIndexes: [partition] }],
    requireStable: false,
  });
  expect(res.errorCode).toBe(0);
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new Error(`OffsetFetch: no ${topic}/${partition} in the answer`);
  return { errorCode: p.errorCode, offset: Number(p.committedOffset) };
}
