/**
 * The group coordinator: KIP-848 heartbeats, offset commits and group admin over DynamoDB. Every
 * operation reads the group item (engine.groups), computes with the pure functions of reconcile.ts,
 * and writes back on condition that nobody wrote meanwhile; a lost race re-reads and recomputes, a
 * bounded number of times (withRetries, the one place that handles it). Protocol and layout:
 * docs/groups.md.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine.js';
import {
  CoordinatorNotAvailableError,
  FencedMemberEpochError,
  GroupIdNotFoundError,
  GroupMaxSizeReachedError,
  GroupSubscribedToTopicError,
  InvalidGroupIdError,
  InvalidRequestError,
  NonEmptyGroupError,
  OffsetMetadataTooLargeError,
  StaleMemberEpochError,
  type StrataError,
  UnknownMemberIdError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import type { ClassicGroupState, ClassicGroupStateName } from '../storage/classic-group-store.js';
import {
  MAX_GROUP_STATE_BYTES,
  type StoredGroup,
  type StoredOffset,
  stateBytes,
} from '../storage/group-store.js';
import { offsetByTimestamp } from '../storage/offset-by-timestamp.js';
import type { TaggedAction } from '../storage/transaction.js';
import type { Topic } from '../types.js';
import { validateTopicName } from '../validation.js';
import type { AssignorName } from './assignors.js';
import { liveClassicMembers, viewClassicState } from './classic.js';
import { assignedPartitions, classicGroupView, subscribedTopics } from './classic-view.js';
import {
  currentView,
  emptyGroup,
  type GroupState,
  type GroupStateName,
  groupStateName,
  type MemberHeartbeatResult,
  type MemberStatus,
  ownedByMember,
  ownerMap,
  reconcile,
  type TopicAssignment,
  type TopicInfo,
  toList,
  validateCommit,
} from './reconcile.js';

export { MAX_GROUP_STATE_BYTES } from '../storage/group-store.js';
export type { MemberHeartbeatResult, TopicAssignment, TopicInfo } from './reconcile.js';

/** As Kafka's offset.metadata.max.bytes. */
export const MAX_OFFSET_METADATA_CHARS = 4096;
const MAX_ATTEMPTS = 64;

const GROUP_ID = /^[a-zA-Z0-9._-]{1,249}$/;

export function validateGroupId(groupId: string): string {
  if (!GROUP_ID.test(groupId) || groupId === '.' || groupId === '..') {
    throw new InvalidGroupIdError(
      `invalid group id ${JSON.stringify(groupId.slice(0, 300))}: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
  return groupId;
}

/**
 * What one read-compute-write attempt did: finished with a value, or found that the group changed
 * after it was read (its conditional write lost), so it must read again and recompute.
 */
type Attempt<T> = { done: T } | typeof GROUP_CHANGED;
const GROUP_CHANGED = { groupChanged: true } as const;
const done = <T>(value: T): Attempt<T> => ({ done: value });

/** Runs `attempt` until it is done, re-reading after each lost race; CoordinatorNotAvailable if it never settles. */
async function withRetries<T>(what: string, attempt: () => Promise<Attempt<T>>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    if (i > 0)
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** Math.min(i, 6))));
    const out = await attempt();
    if ('done' in out) return out.done;
  }
  throw new CoordinatorNotAvailableError(`${what}: the group kept changing concurrently; retry`);
}

function checkSize(state: GroupState): void {
  const bytes = stateBytes(state);
  if (bytes > MAX_GROUP_STATE_BYTES) {
    throw new GroupMaxSizeReachedError(
      `group ${state.groupId} would need ${bytes} bytes of state, over the ${MAX_GROUP_STATE_BYTES} limit: fewer members or partitions`,
    );
  }
}

function topicInfos(topics: Topic[]): TopicInfo[] {
  return topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions }));
}

// ---------------------------------------------------------------------------------------------
// Heartbeat.

export interface HeartbeatInput {
  /** Absent on a first join: the coordinator mints one and returns it. */
  memberId?: string;
  memberEpoch: number;
  instanceId?: string;
  clientId?: string;
  /** The caller's address, for describe. */
  host?: string;
  topics?: string[];
  topicPattern?: string;
  ownedPartitions?: TopicAssignment[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: AssignorName;
}

/**
 * KIP-848 ConsumerGroupHeartbeat. Join with memberEpoch 0 (and topics or topicPattern), heartbeat
 * with the epoch last returned and the partitions held now, leave with -1 (static members: -2 for a
 * temporary leave). Returns the member's epoch and the partitions it may own now.
 */
export async function heartbeat(
  engine: Engine,
  groupId: string,
  input: HeartbeatInput,
): Promise<MemberHeartbeatResult> {
  return (await heartbeatOutcome(engine, groupId, input)).response;
}

/** A heartbeat's response with what an edge needs to shape it (the Kafka gateway's). */
export interface HeartbeatOutcome {
  response: MemberHeartbeatResult;
  /** The member's assigned partitions before this heartbeat; undefined when it was not a member. */
  previousAssignment?: TopicAssignment[];
  /** The topics the heartbeat was computed against (names, ids, partition counts). */
  topics: TopicInfo[];
}

export interface HeartbeatOptions {
  /** Owned partitions named by topic id (Kafka), resolved against the topic list; unknown ids are dropped. */
  ownedTopicIds?: { topicId: string; partitions: number[] }[];
  /** The error for a heartbeat (epoch > 0 or -2) to a group that does not exist; UNKNOWN_MEMBER_ID if absent. */
  missingGroup?: (groupId: string) => StrataError;
}

/** heartbeat(), also returning the member's previous assignment and the topics used. */
export async function heartbeatOutcome(
  engine: Engine,
  groupId: string,
  input: HeartbeatInput,
  options: HeartbeatOptions = {},
): Promise<HeartbeatOutcome> {
  validateGroupId(groupId);
  let memberId = input.memberId;
  if (memberId === undefined) {
    if (input.memberEpoch !== 0)
      throw new InvalidRequestError('memberId is required unless memberEpoch is 0');
    memberId = randomUUID();
  }
  const [first, topicList] = await Promise.all([engine.groups.get(groupId), engine.metadata.listTopics()]);
  const topics = topicInfos(topicList);
  let owned = input.ownedPartitions;
  if (options.ownedTopicIds) {
    const nameOf = new Map(topics.map((t) => [t.topicId, t.name]));
    owned = options.ownedTopicIds.flatMap(({ topicId, partitions }) => {
      const topic = nameOf.get(topicId);
      return topic === undefined ? [] : [{ topic, partitions }];
    });
  }
  const hb = {
    memberId,
    memberEpoch: input.memberEpoch,
    ...(input.instanceId !== undefined ? { instanceId: input.instanceId } : {}),
    ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
    ...(input.host !== undefined ? { host: input.host } : {}),
    ...(input.topics !== undefined ? { subscribedTopics: input.topics } : {}),
    ...(input.topicPattern !== undefined ? { topicPattern: input.topicPattern } : {}),
    ...(owned !== undefined ? { ownedPartitions: owned } : {}),
    ...(input.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: input.sessionTimeoutMs } : {}),
    ...(input.rebalanceTimeoutMs !== undefined ? { rebalanceTimeoutMs: input.rebalanceTimeoutMs } : {}),
    ...(input.assignor !== undefined ? { assignor: input.assignor } : {}),
  };
  let stored: StoredGroup | undefined = first;
  let reread = false;
  return withRetries<HeartbeatOutcome>(`heartbeat to group ${groupId}`, async () => {
    if (reread) stored = await engine.groups.get(groupId);
    reread = true;
    const now = engine.now();
    if (!stored && hb.memberEpoch !== 0) {
      if (hb.memberEpoch === -1)
        return done({
          response: { memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: [] },
          topics,
        });
      if (options.missingGroup) throw options.missingGroup(groupId);
      throw new UnknownMemberIdError(`unknown member ${memberId}: group ${groupId} does not exist`);
    }
    if (
      hb.memberEpoch === 0 &&
      !stored?.state.members[memberId] &&
      (await liveClassicMembers(engine, groupId)) > 0
    ) {
      // As Kafka: a group with classic members is not a consumer group (GroupIdNotFoundException).
      throw new GroupIdNotFoundError(
        `group ${groupId} is a classic group with live members, not a consumer group`,
      );
    }
    const before = stored?.state.members[memberId];
    const previousAssignment = before ? toList(before.assigned) : undefined;
    const result = reconcile(stored?.state ?? emptyGroup(groupId, now), hb, { now, topics });
    const outcome = {
      response: result.response,
      topics,
      ...(previousAssignment ? { previousAssignment } : {}),
    };
    if (!result.persist) return done(outcome);
    checkSize(result.state);
    const saved = await engine.groups.save(groupId, result.state, stored, now);
    return saved ? done(outcome) : GROUP_CHANGED;
  });
}

// ---------------------------------------------------------------------------------------------
// Offsets.

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: number;
  metadata?: string | null;
}

export interface CommitOffsetsInput {
  memberId: string;
  memberEpoch: number;
  offsets: OffsetCommitEntry[];
}

function checkOffsets(offsets: OffsetCommitEntry[]): void {
  const seen = new Set<string>();
  for (const o of offsets) {
    if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
      throw new InvalidRequestError(`invalid offset ${o.offset} for ${o.topic}-${o.partition}`);
    }
    if (o.metadata && o.metadata.length > MAX_OFFSET_METADATA_CHARS) {
      throw new OffsetMetadataTooLargeError(
        `metadata for ${o.topic}-${o.partition} is over ${MAX_OFFSET_METADATA_CHARS} characters`,
      );
    }
    const key = `${o.topic}\u0000${o.partition}`;
    if (seen.has(key)) throw new InvalidRequestError(`${o.topic}-${o.partition} appears twice in one commit`);
    seen.add(key);
  }
}

/**
 * Commits offsets for partitions the member owns, written on condition that the member's ownership
 * state is unchanged. UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH or STALE_MEMBER_EPOCH otherwise
 * (rules in reconcile.ts validateCommit).
 */
export async function commitOffsets(
  engine: Engine,
  groupId: string,
  input: CommitOffsetsInput,
): Promise<void> {
  validateGroupId(groupId);
  checkOffsets(input.offsets);
  if (input.offsets.length === 0) return;
  let pending = input.offsets;
  await withRetries(`offset commit to group ${groupId}`, async () => {
    const stored = await engine.groups.get(groupId);
    const now = engine.now();
    if (!stored) {
      throw new UnknownMemberIdError(`unknown member ${input.memberId}: group ${groupId} does not exist`);
    }
    const { rev, entries } = validatedEntries(stored.state, { ...input, offsets: pending }, now);
    // Re-validate whatever is left when the member changed between chunks (commits over 98 partitions).
    pending = pending.slice(
      await engine.groups.commitAsMember(groupId, stored, input.memberId, rev, entries),
    );
    return pending.length === 0 ? done(undefined) : GROUP_CHANGED;
  });
}

/**
 * Validates a member's offset commit now and returns it as transaction actions, all of role
 * 'group', to be written together with something else (produce's records, for exactly-once
 * pipelines). They hold a check that the member is unchanged: if the transaction is cancelled by
 * an action of role 'group', the member heartbeated or was fenced meanwhile, so prepare again.
 */
export async function prepareOffsetCommit(
  engine: Engine,
  groupId: string,
  input: CommitOffsetsInput,
): Promise<TaggedAction[]> {
  validateGroupId(groupId);
  checkOffsets(input.offsets);
  const stored = await engine.groups.get(groupId);
  const now = engine.now();
  if (!stored)
    throw new UnknownMemberIdError(`unknown member ${input.memberId}: group ${groupId} does not exist`);
  const { rev, entries } = validatedEntries(stored.state, input, now);
  return engine.groups.memberCommitActions(groupId, stored, input.memberId, rev, entries);
}

/** Checks that the member may commit these offsets now; returns its fence revision and the rows to write. */
function validatedEntries(state: GroupState, input: CommitOffsetsInput, now: number) {
  const rev = validateCommit(
    state,
    {
      memberId: input.memberId,
      memberEpoch: input.memberEpoch,
      partitions: input.offsets.map((o) => ({ topic: o.topic, partition: o.partition })),
    },
    now,
  );
  const entries: StoredOffset[] = input.offsets.map((o) => ({
    topic: o.topic,
    partition: o.partition,
    offset: o.offset,
    ...(o.metadata ? { metadata: o.metadata } : {}),
    committedAt: now,
    memberId: input.memberId,
    memberEpoch: input.memberEpoch,
  }));
  return { rev, entries };
}

/** One partition of a commit made partition by partition: committed, or why not. */
export interface PartitionCommitResult {
  topic: string;
  partition: number;
  error?: StrataError;
}

/**
 * An offset commit as Kafka's OffsetCommit makes it, from inside or outside the group, each
 * partition answered on its own (the Kafka gateway's; HTTP commits use commitOffsets):
 * - a partition of an unknown topic, or past its partition count, gets UNKNOWN_TOPIC_OR_PARTITION,
 *   metadata over MAX_OFFSET_METADATA_CHARS gets OFFSET_METADATA_TOO_LARGE, a negative offset
 *   INVALID_REQUEST; the others are committed (the last of a partition named twice);
 * - a negative generation or member epoch with no live member in the group (simple consumers,
 *   admin tools) commits as an admin write (commitSimpleOffsets), creating the group if needed;
 * - otherwise the commit must come from a live member (commitOffsets), so a group with live
 *   members answers UNKNOWN_MEMBER_ID to an empty member id, as Kafka does.
 * Failures of the group as a whole (INVALID_GROUP_ID, UNKNOWN_MEMBER_ID, the epoch errors,
 * COORDINATOR_NOT_AVAILABLE) are thrown.
 */
export async function commitOffsetsByPartition(
  engine: Engine,
  groupId: string,
  input: CommitOffsetsInput,
  /** Commits the valid entries instead of the rules above (a classic group's member). */
  commitValid?: (valid: OffsetCommitEntry[]) => Promise<void>,
): Promise<PartitionCommitResult[]> {
  validateGroupId(groupId);
  const last = new Map<string, OffsetCommitEntry>();
  for (const o of input.offsets) last.set(`${o.topic}\u0000${o.partition}`, o);
  const failed = new Map<string, StrataError>();
  const partitionCounts = await topicPartitionCounts(engine, [...last.values()]);
  for (const [key, o] of last) {
    const count = partitionCounts.get(o.topic);
    if (count === undefined || !Number.isInteger(o.partition) || o.partition < 0 || o.partition >= count) {
      failed.set(
        key,
        new UnknownTopicOrPartitionError(`unknown topic or partition ${o.topic}-${o.partition}`),
      );
    } else if (o.metadata && o.metadata.length > MAX_OFFSET_METADATA_CHARS) {
      failed.set(
        key,
        new OffsetMetadataTooLargeError(
          `metadata for ${o.topic}-${o.partition} is over ${MAX_OFFSET_METADATA_CHARS} characters`,
        ),
      );
    } else if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
      failed.set(key, new InvalidRequestError(`invalid offset ${o.offset} for ${o.topic}-${o.partition}`));
    }
  }
  const valid = [...last].filter(([key]) => !failed.has(key)).map(([, o]) => o);
  if (valid.length > 0 && commitValid) await commitValid(valid);
  else if (valid.length > 0) {
    const simple =
      input.memberEpoch < 0 && (await commitSimpleOffsets(engine, groupId, valid, input.memberId === ''));
    if (!simple) await commitOffsets(engine, groupId, { ...input, offsets: valid });
  }
  return input.offsets.map((o) => {
    const error = failed.get(`${o.topic}\u0000${o.partition}`);
    return { topic: o.topic, partition: o.partition, ...(error ? { error } : {}) };
  });
}

/** Partition counts of the topics named, from the produce-side cache (re-read when a partition is past it). */
async function topicPartitionCounts(
  engine: Engine,
  offsets: OffsetCommitEntry[],
): Promise<Map<string, number>> {
  const now = engine.now();
  const highest = new Map<string, number>();
  for (const o of offsets) highest.set(o.topic, Math.max(highest.get(o.topic) ?? 0, o.partition));
  const counts = new Map<string, number>();
  await Promise.all(
    [...highest].map(async ([name, partition]) => {
      if (!isValidTopicName(name)) return;
      let topic = engine.topics.get(name, now);
      if (!topic || partition >= topic.partitions) {
        topic = await engine.metadata.findTopic(name);
        if (topic) engine.topics.set(topic, now);
      }
      if (topic) counts.set(name, topic.partitions);
    }),
  );
  return counts;
}

/**
 * A commit from outside the group (a simple consumer, an admin tool): written while the group has
 * no live member, creating the group, empty, if it does not exist yet, as Kafka does. Returns
 * false when the group has live members and `orFail` is false, so that the caller can treat the
 * commit as a member's; throws UNKNOWN_MEMBER_ID then otherwise.
 */
export async function commitSimpleOffsets(
  engine: Engine,
  groupId: string,
  offsets: OffsetCommitEntry[],
  orFail = true,
): Promise<boolean> {
  validateGroupId(groupId);
  checkOffsets(offsets);
  if (offsets.length === 0) return true;
  return withRetries(`offset commit to group ${groupId}`, async () => {
    const [group, classic] = await Promise.all([
      engine.groups.get(groupId),
      liveClassicMembers(engine, groupId),
    ]);
    const now = engine.now();
    if ((group && liveMembers(group.state, now).length > 0) || classic > 0) {
      if (!orFail) return done(false);
      throw new UnknownMemberIdError(
        `group ${groupId} has live members: a commit from outside the group (generation -1, no member id) is accepted only while it has none`,
      );
    }
    // The expiry of silent members goes with the offsets, so that a late heartbeat cannot slip in.
    const state = group ? currentView(group.state, now) : emptyGroup(groupId, now);
    const entries: StoredOffset[] = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      ...(o.metadata ? { metadata: o.metadata } : {}),
      committedAt: now,
    }));
    return (await engine.groups.commitAsAdmin(groupId, state, group, entries, now))
      ? done(true)
      : GROUP_CHANGED;
  });
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

/**
 * The group's committed offsets, optionally for some topics only. An unknown group has none.
 * With `member` (Kafka's OffsetFetch v9 from a KIP-848 member), the member must be live at that
 * epoch: UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH (ahead) or STALE_MEMBER_EPOCH (behind) otherwise.
 */
export async function fetchOffsets(
  engine: Engine,
  groupId: string,
  topics?: string[],
  member?: { memberId: string; memberEpoch: number },
): Promise<CommittedOffset[]> {
  validateGroupId(groupId);
  const { group, offsets } = await engine.groups.load(groupId);
  if (member && group) checkFetchingMember(group.state, member, engine.now());
  const wanted = topics && topics.length > 0 ? new Set(topics) : undefined;
  return offsets
    .filter((o) => !wanted || wanted.has(o.topic))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
    }));
}

function isValidTopicName(name: string): boolean {
  try {
    validateTopicName(name);
    return true;
  } catch {
    return false;
  }
}

function checkFetchingMember(
  state: GroupState,
  member: { memberId: string; memberEpoch: number },
  now: number,
): void {
  const m = currentView(state, now).members[member.memberId];
  if (!m) throw new UnknownMemberIdError(`unknown member ${member.memberId} in group ${state.groupId}`);
  if (member.memberEpoch > m.memberEpoch) {
    throw new FencedMemberEpochError(
      `member ${member.memberId} fetched at epoch ${member.memberEpoch}, its epoch is ${m.memberEpoch}`,
    );
  }
  if (member.memberEpoch < m.memberEpoch) {
    throw new StaleMemberEpochError(
      `member ${member.memberId} fetched at epoch ${member.memberEpoch}, its epoch is ${m.memberEpoch}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Admin.

/** 'consumer': a KIP-848 group (its members heartbeat over HTTP or ConsumerGroupHeartbeat); 'classic': JoinGroup/SyncGroup. */
export type GroupType = 'consumer' | 'classic';

export interface GroupListing {
  groupId: string;
  /** A classic group has Kafka's classic states (PreparingRebalance, CompletingRebalance). */
  state: GroupStateName | ClassicGroupStateName;
  type: GroupType;
  /** The classic group's protocol type ('consumer', 'connect', ...); 'consumer' for a KIP-848 group. */
  protocolType: string;
  groupEpoch: number;
  /** Live members. */
  members: number;
}

export async function listGroups(engine: Engine): Promise<GroupListing[]> {
  const ids = (await engine.groups.listGroupIds()).sort();
  const found = await engine.groups.getMany(ids);
  const classics = new Map(
    await Promise.all(ids.map(async (id) => [id, await classicGroupView(engine, id)] as const)),
  );
  const now = engine.now();
  return ids.flatMap((groupId): GroupListing[] => {
    const g = found.get(groupId);
    if (!g) return [];
    const view = currentView(g.state, now);
    const classic = classicOf(Object.keys(view.members).length, classics.get(groupId));
    if (classic) {
      return [
        {
          groupId,
          state: classic.state,
          type: 'classic',
          protocolType: classic.protocolType ?? '',
          groupEpoch: classic.generation,
          members: Object.keys(classic.members).length,
        },
      ];
    }
    return [
      {
        groupId,
        state: groupStateName(view),
        type: 'consumer',
        protocolType: 'consumer',
        groupEpoch: view.groupEpoch,
        members: Object.keys(view.members).length,
      },
    ];
  });
}

/**
 * The classic state when the group is a classic group: it has a classic item and no live KIP-848
 * members (a group with both kinds cannot arise: each refuses the other's joins while it has members).
 */
function classicOf(
  kip848Members: number,
  classic: ClassicGroupState | undefined,
): ClassicGroupState | undefined {
  return classic && kip848Members === 0 ? classic : undefined;
}

export interface MemberDescription {
  memberId: string;
  memberEpoch: number;
  instanceId?: string;
  clientId?: string;
  host?: string;
  status: MemberStatus;
  subscribedTopics?: string[];
  topicPattern?: string;
  /** What the member owns now: the partitions it was given, including any it has yet to release. */
  assignment: TopicAssignment[];
  /** Of those, the ones it has been asked to release. */
  revoking: TopicAssignment[];
  targetAssignment: TopicAssignment[];
  lastHeartbeatAt: number;
  /** A classic group's member: its JoinGroup metadata for the chosen protocol and its SyncGroup assignment (base64, opaque). */
  classic?: { metadata: string; assignment: string };
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null: nothing committed ("-" in kafka-consumer-groups). */
  committedOffset: number | null;
  /** null: the topic no longer exists. */
  logEndOffset: number | null;
  lag: number | null;
  /** The member that owns the partition now, if any. */
  memberId: string | null;
  metadata?: string;
}

export interface GroupDescription {
  groupId: string;
  state: GroupStateName | ClassicGroupStateName;
  type: GroupType;
  /** 'consumer' for a KIP-848 group; a classic group's own ('' when Empty). */
  protocolType: string;
  /** The assignor of a KIP-848 group; a classic group's chosen protocol ('' before one is chosen). */
  protocolName: string;
  groupEpoch: number;
  targetEpoch: number;
  assignor: AssignorName;
  members: MemberDescription[];
  offsets: PartitionLag[];
}

/** kafka-consumer-groups --describe, as data. GROUP_ID_NOT_FOUND for an unknown group. */
export async function describeGroup(engine: Engine, groupId: string): Promise<GroupDescription> {
  validateGroupId(groupId);
  const [{ group, offsets }, topics] = await Promise.all([
    engine.groups.load(groupId),
    engine.metadata.listTopics(),
  ]);
  if (!group) throw new GroupIdNotFoundError(`group ${groupId} does not exist`);
  const view = currentView(group.state, engine.now(), topicInfos(topics));
  const classic = classicOf(Object.keys(view.members).length, await classicGroupView(engine, groupId));
  const owners = classic ? new Map<string, string>() : ownerMap(view);
  const classicMembers: MemberDescription[] = Object.values(classic?.members ?? {})
    .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    .map((m) => {
      const chosen = m.protocols.find((p) => p.name === classic?.protocolName) ?? m.protocols[0];
      const assignment = classic?.state === 'Stable' ? (classic.assignments?.[m.memberId] ?? '') : '';
      const isConsumer = classic?.protocolType === 'consumer';
      const owned = isConsumer ? assignedPartitions(assignment) : [];
      for (const a of owned) for (const p of a.partitions) owners.set(`${a.topic}\u0000${p}`, m.memberId);
      const subscribed = isConsumer && chosen ? subscribedTopics(chosen.metadata) : undefined;
      return {
        memberId: m.memberId,
        memberEpoch: classic?.generation ?? 0,
        ...(m.instanceId !== undefined ? { instanceId: m.instanceId } : {}),
        clientId: m.clientId,
        host: m.host,
        status: 'stable' as const,
        ...(subscribed !== undefined ? { subscribedTopics: subscribed } : {}),
        assignment: owned,
        revoking: [],
        targetAssignment: owned,
        lastHeartbeatAt: m.lastSeenAt,
        classic: { metadata: chosen?.metadata ?? '', assignment },
      };
    });
  const members: MemberDescription[] = classic
    ? classicMembers
    : Object.values(view.members)
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
        .map((m) => ({
          memberId: m.memberId,
          memberEpoch: m.memberEpoch,
          ...(m.instanceId !== undefined ? { instanceId: m.instanceId } : {}),
          ...(m.clientId !== undefined ? { clientId: m.clientId } : {}),
          ...(m.host !== undefined ? { host: m.host } : {}),
          status: m.status,
          ...(m.subscribedTopics !== undefined ? { subscribedTopics: m.subscribedTopics } : {}),
          ...(m.topicPattern !== undefined ? { topicPattern: m.topicPattern } : {}),
          assignment: ownedByMember(m),
          revoking: toList(m.revoking),
          targetAssignment: toList(view.target[m.memberId] ?? {}),
          lastHeartbeatAt: m.lastHeartbeatAt,
        }));

  // Every partition of the subscribed topics, plus every partition with a committed offset.
  const committed = new Map(offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o]));
  const rows = new Map<string, { topic: string; partition: number }>();
  const topicPartitions = classic
    ? new Map(
        classicMembers
          .flatMap((m) => m.subscribedTopics ?? [])
          .flatMap((t) => {
            const known = topics.find((x) => x.name === t);
            return known ? [[t, known.partitions] as const] : [];
          }),
      )
    : new Map(Object.entries(view.topics).map(([t, snap]) => [t, snap.partitions] as const));
  for (const [topic, partitions] of topicPartitions) {
    for (let p = 0; p < partitions; p++) rows.set(`${topic}\u0000${p}`, { topic, partition: p });
  }
  for (const o of offsets)
    rows.set(`${o.topic}\u0000${o.partition}`, { topic: o.topic, partition: o.partition });
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of rows.values())
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const topicByName = new Map(topics.map((t) => [t.name, t]));
  const ends = new Map<string, number>();
  await Promise.all(
    [...byTopic].map(async ([name, partitions]) => {
      const topic = topicByName.get(name);
      if (!topic) return;
      const live = partitions.filter((p) => p < topic.partitions);
      const heads = await engine.metadata.getHeads(topic, live);
      for (const [i, p] of live.entries()) ends.set(`${name}\u0000${p}`, heads[i]?.nextOffset ?? 0);
    }),
  );
  const lags: PartitionLag[] = [...rows.entries()]
    .sort(([, a], [, b]) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map(([key, { topic, partition }]) => {
      const c = committed.get(key);
      const end = ends.get(key);
      const committedOffset = c ? c.offset : null;
      const logEndOffset = end ?? null;
      return {
        topic,
        partition,
        committedOffset,
        logEndOffset,
        lag:
          committedOffset !== null && logEndOffset !== null
            ? Math.max(0, logEndOffset - committedOffset)
            : null,
        memberId: owners.get(`${topic}\u0000${partition}`) ?? null,
        ...(c?.metadata !== undefined ? { metadata: c.metadata } : {}),
      };
    });
  if (classic) {
    return {
      groupId,
      state: classic.state,
      type: 'classic',
      protocolType: classic.protocolType ?? '',
      protocolName: classic.protocolName ?? '',
      groupEpoch: classic.generation,
      targetEpoch: classic.generation,
      assignor: view.assignor,
      members,
      offsets: lags,
    };
  }
  return {
    groupId,
    state: groupStateName(view),
    type: 'consumer',
    protocolType: 'consumer',
    protocolName: view.assignor,
    groupEpoch: view.groupEpoch,
    targetEpoch: view.targetEpoch,
    assignor: view.assignor,
    members,
    offsets: lags,
  };
}

function liveMembers(state: GroupState, now: number): string[] {
  return Object.keys(currentView(state, now).members);
}

/** Deletes an empty group and its offsets. NON_EMPTY_GROUP while it has live members. */
export async function deleteGroup(engine: Engine, groupId: string): Promise<void> {
  validateGroupId(groupId);
  await withRetries(`delete group ${groupId}`, async () => {
    const stored = await engine.groups.get(groupId);
    if (!stored) throw new GroupIdNotFoundError(`group ${groupId} does not exist`);
    const live = liveMembers(stored.state, engine.now()).length + (await liveClassicMembers(engine, groupId));
    if (live > 0) {
      throw new NonEmptyGroupError(`group ${groupId} has ${live} live member(s); stop them first`);
    }
    return (await engine.groups.delete(groupId, stored)) ? done(undefined) : GROUP_CHANGED;
  });
}

export interface OffsetDeleteResult {
  topic: string;
  partition: number;
  /** Why this partition's offset was kept; undefined: deleted (or there was none). */
  error?: StrataError;
}

/**
 * OffsetDelete (Kafka's semantics): an empty group loses the offsets asked for; a non-empty one
 * only those of topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others). A
 * non-empty classic group whose protocol type is not `consumer` has no known subscriptions:
 * NON_EMPTY_GROUP. GROUP_ID_NOT_FOUND for an unknown group; UNKNOWN_TOPIC_OR_PARTITION per
 * partition that does not exist. The deletes are conditional on the group and classic items being
 * as read, so a member joining or resubscribing meanwhile makes it re-check.
 */
export async function deleteOffsets(
  engine: Engine,
  groupId: string,
  partitions: { topic: string; partition: number }[],
): Promise<OffsetDeleteResult[]> {
  validateGroupId(groupId);
  return withRetries(`delete offsets of group ${groupId}`, async () => {
    const [stored, classicStored, topics] = await Promise.all([
      engine.groups.get(groupId),
      engine.classicGroups.get(groupId),
      engine.metadata.listTopics(),
    ]);
    if (!stored) throw new GroupIdNotFoundError(`group ${groupId} does not exist`);
    const now = engine.now();
    const view = currentView(stored.state, now, topicInfos(topics));
    const subscribed = new Set<string>();
    if (Object.keys(view.members).length > 0) {
      for (const t of Object.keys(view.topics)) subscribed.add(t);
    } else if (classicStored) {
      const classic = viewClassicState(classicStored.state, now);
      for (const m of Object.values(classic.members)) {
        const chosen = m.protocols.find((p) => p.name === classic.protocolName) ?? m.protocols[0];
        const topicsOf =
          classic.protocolType === 'consumer' && chosen ? subscribedTopics(chosen.metadata) : undefined;
        if (!topicsOf) {
          throw new NonEmptyGroupError(
            `group ${groupId} has live members of protocol type ${classic.protocolType ?? ''}; stop them first`,
          );
        }
        for (const t of topicsOf) subscribed.add(t);
      }
    }
    const byName = new Map(topics.map((t) => [t.name, t]));
    const results: OffsetDeleteResult[] = partitions.map(({ topic, partition }) => {
      const t = byName.get(topic);
      if (!t || partition < 0 || partition >= t.partitions) {
        return {
          topic,
          partition,
          error: new UnknownTopicOrPartitionError(`${topic}/${partition} does not exist`),
        };
      }
      if (subscribed.has(topic)) {
        return {
          topic,
          partition,
          error: new GroupSubscribedToTopicError(`group ${groupId} is not empty and subscribes to ${topic}`),
        };
      }
      return { topic, partition };
    });
    const doomed = results.filter((r) => !r.error);
    const seen = new Set<string>();
    const unique = doomed.filter((r) => {
      const k = `${r.topic}\u0000${r.partition}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (unique.length === 0) return done(results);
    return (await engine.groups.deleteOffsets(groupId, stored, classicStored?.version, unique))
      ? done(results)
      : GROUP_CHANGED;
  });
}

export type ResetTarget = 'earliest' | 'latest' | 'timestamp' | 'offset';

export interface ResetOffsetsInput {
  topic: string;
  to: ResetTarget;
  /** The timestamp (epoch ms) for `timestamp`; the offset for `offset` (applied to every selected partition). */
  value?: number;
  /** Default: every partition of the topic (or those of `offsets`). */
  partitions?: number[];
  /** For `offset`: an offset per partition (KafkaJS admin.setOffsets). */
  offsets?: { partition: number; offset: number }[];
  dryRun?: boolean;
}

export interface ResetOffsetsResult {
  topic: string;
  partition: number;
  /** The committed offset before, null if none. */
  before: number | null;
  after: number;
}

/**
 * kafka-consumer-groups --reset-offsets: moves the group's committed offsets of one topic, only
 * while the group has no live member (NON_EMPTY_GROUP otherwise). Targets are clamped to the log's
 * [log start, high watermark]. A group that does not exist yet is created, empty, with these
 * offsets (as Kafka does), unless `dryRun`.
 */
export async function resetOffsets(
  engine: Engine,
  groupId: string,
  input: ResetOffsetsInput,
): Promise<ResetOffsetsResult[]> {
  validateGroupId(groupId);
  const topic = await engine.metadata.getTopic(input.topic);
  const exact = new Map<number, number>();
  if (input.offsets) {
    if (input.to !== 'offset') throw new InvalidRequestError('offsets are only for to = "offset"');
    for (const { partition, offset } of input.offsets) exact.set(partition, offset);
  }
  if ((input.to === 'timestamp' || input.to === 'offset') && input.value === undefined && exact.size === 0) {
    throw new InvalidRequestError(`to = "${input.to}" needs a value`);
  }
  if (input.value !== undefined && (!Number.isSafeInteger(input.value) || input.value < 0)) {
    throw new InvalidRequestError(`invalid value ${input.value}`);
  }
  const partitions = [
    ...new Set(
      input.partitions ??
        (exact.size > 0 ? [...exact.keys()] : Array.from({ length: topic.partitions }, (_, p) => p)),
    ),
  ].sort((a, b) => a - b);
  for (const p of [...partitions, ...exact.keys()]) {
    if (!Number.isInteger(p) || p < 0 || p >= topic.partitions) {
      throw new UnknownTopicOrPartitionError(`topic ${topic.name} has no partition ${p}`);
    }
  }
  for (const [p, o] of exact) {
    if (!Number.isSafeInteger(o) || o < 0)
      throw new InvalidRequestError(`invalid offset ${o} for partition ${p}`);
  }
  const firstCheck = await engine.groups.get(groupId);
  if (firstCheck && liveMembers(firstCheck.state, engine.now()).length > 0) throw nonEmpty(groupId);

  const heads = await engine.metadata.getHeads(topic, partitions);
  const targets = await Promise.all(
    partitions.map(async (p, i) => {
      const head = heads[i] ?? { nextOffset: 0, logStartOffset: 0 };
      let want: number;
      if (input.to === 'earliest') want = head.logStartOffset;
      else if (input.to === 'latest') want = head.nextOffset;
      else if (input.to === 'timestamp')
        want = await offsetByTimestamp(
          engine.metadata,
          engine.segments,
          topic,
          p,
          head,
          input.value as number,
        );
      else {
        const given = exact.get(p) ?? input.value;
        if (given === undefined) throw new InvalidRequestError(`no offset given for partition ${p}`);
        want = given;
      }
      return Math.min(Math.max(want, head.logStartOffset), head.nextOffset);
    }),
  );

  return withRetries(`reset offsets of group ${groupId}`, async () => {
    const { group, offsets } = await engine.groups.load(groupId);
    const now = engine.now();
    if (group && liveMembers(group.state, now).length > 0) throw nonEmpty(groupId);
    const before = new Map(offsets.filter((o) => o.topic === topic.name).map((o) => [o.partition, o.offset]));
    const results = partitions.map((partition, i) => ({
      topic: topic.name,
      partition,
      before: before.get(partition) ?? null,
      after: targets[i] as number,
    }));
    if (input.dryRun) return done(results);
    // Persist the expiry of silent members with the offsets, so that a late heartbeat cannot slip in.
    const state = group ? currentView(group.state, now) : emptyGroup(groupId, now);
    const entries: StoredOffset[] = results.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.after,
      committedAt: now,
    }));
    return (await engine.groups.commitAsAdmin(groupId, state, group, entries, now))
      ? done(results)
      : GROUP_CHANGED;
  });
}

function nonEmpty(groupId: string): NonEmptyGroupError {
  return new NonEmptyGroupError(`group ${groupId} has live members: stop them before resetting its offsets`);
}
