/**
 * The consumer group state machine of KIP-848, as pure functions over a plain, JSON-serialisable
 * group state. The coordinator (coordinator.ts) reads the state from DynamoDB, calls these, and
 * writes the result back conditionally; nothing here does I/O or reads the clock.
 *
 * Ownership: a member owns the partitions in `assigned` and in `revoking`. A partition enters a
 * member's `assigned` only when no member owns it, and leaves `revoking` only when the member's
 * heartbeat no longer lists it (or the member is removed). Because every change is computed on the
 * whole group state and written only if the state did not change meanwhile, no partition ever has
 * two owners.
 */
import {
  FencedInstanceIdError,
  FencedMemberEpochError,
  InvalidRequestError,
  StaleMemberEpochError,
  UnknownMemberIdError,
  UnreleasedInstanceIdError,
} from '../errors.js';
import type {
  AssignorName,
  GroupState,
  MemberState,
  OwnedPartitions,
  TopicPartitionMap,
  TopicSnapshot,
} from '../storage/group-store.js';
import { ASSIGNORS } from './assignors.js';

export type {
  GroupState,
  MemberState,
  MemberStatus,
  OwnedPartitions,
  TopicSnapshot,
} from '../storage/group-store.js';

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
}

export interface TopicAssignment {
  topic: string;
  partitions: number[];
}

export interface MemberHeartbeat {
  /** Required except on join (epoch 0); the coordinator mints one when a joining member has none. */
  memberId: string;
  /** 0 joins, -1 leaves, -2 leaves temporarily (static members), > 0 heartbeats. */
  memberEpoch: number;
  instanceId?: string;
  clientId?: string;
  host?: string;
  subscribedTopics?: string[];
  topicPattern?: string;
  /** What the member holds now. Absent: nothing released since the last heartbeat. */
  ownedPartitions?: TopicAssignment[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: AssignorName;
}

export interface MemberHeartbeatResult {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicAssignment[];
}

export interface GroupDefaults {
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** While the member reconciles, it heartbeats at most this far apart. */
  reconcilingHeartbeatIntervalMs: number;
  assignor: AssignorName;
}

export const GROUP_DEFAULTS: GroupDefaults = {
  sessionTimeoutMs: 45_000,
  rebalanceTimeoutMs: 300_000,
  heartbeatIntervalMs: 3_000,
  reconcilingHeartbeatIntervalMs: 500,
  assignor: 'uniform',
};

export interface ReconcileContext {
  now: number;
  /** Every existing topic: subscriptions are resolved against it. */
  topics: readonly TopicInfo[];
  defaults?: Partial<GroupDefaults>;
}

export interface ReconcileResult {
  state: GroupState;
  response: MemberHeartbeatResult;
  /** False when nothing needs writing (a leave from a member that is already gone). */
  persist: boolean;
}

export type GroupStateName = 'Empty' | 'Stable' | 'Reconciling';

export function emptyGroup(groupId: string, now: number, assignor: AssignorName = 'uniform'): GroupState {
  return {
    groupId,
    groupEpoch: 0,
    targetEpoch: 0,
    target: {},
    topics: {},
    assignor,
    members: {},
    revCounter: 0,
    createdAt: now,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers over partition maps.

const SEP = '\u0000';
const tpKey = (topic: string, p: number | string) => `${topic}${SEP}${p}`;

function* entries(owned: OwnedPartitions): Generator<[string, number, number]> {
  for (const topic of Object.keys(owned)) {
    const parts = owned[topic] ?? {};
    for (const p of Object.keys(parts)) yield [topic, Number(p), parts[p] as number];
  }
}

function isEmpty(owned: OwnedPartitions): boolean {
  return entries(owned).next().done === true;
}

function put(owned: OwnedPartitions, topic: string, p: number, since: number): void {
  const parts = owned[topic] ?? {};
  parts[String(p)] = since;
  owned[topic] = parts;
}

function sinceOf(owned: OwnedPartitions, topic: string, p: number): number | undefined {
  return owned[topic]?.[String(p)];
}

/** Sorted `[{topic, partitions}]`, the wire shape. */
export function toList(map: OwnedPartitions | TopicPartitionMap): TopicAssignment[] {
  return Object.keys(map)
    .sort()
    .map((topic) => {
      const v = (map as Record<string, unknown>)[topic];
      const partitions = Array.isArray(v) ? [...(v as number[])] : Object.keys(v as object).map(Number);
      return { topic, partitions: partitions.sort((a, b) => a - b) };
    })
    .filter((e) => e.partitions.length > 0);
}

/** Partitions the member owns, as the server sees it: kept plus not yet released. */
export function ownedByMember(m: MemberState): TopicAssignment[] {
  const all: OwnedPartitions = structuredClone(m.assigned);
  for (const [t, p, since] of entries(m.revoking)) put(all, t, p, since);
  return toList(all);
}

/** partition key -> owning member id, over the whole group. */
export function ownerMap(state: GroupState): Map<string, string> {
  const owners = new Map<string, string>();
  for (const m of Object.values(state.members)) {
    for (const [t, p] of entries(m.assigned)) owners.set(tpKey(t, p), m.memberId);
    for (const [t, p] of entries(m.revoking)) owners.set(tpKey(t, p), m.memberId);
  }
  return owners;
}

export function ownerOf(state: GroupState, topic: string, partition: number): string | undefined {
  return ownerMap(state).get(tpKey(topic, partition));
}

// ---------------------------------------------------------------------------------------------
// Subscriptions.

/** Subscription patterns use JavaScript RegExp `test` semantics (unanchored), as KafkaJS does. */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new InvalidRequestError(`invalid topicPattern: ${(err as Error).message}`, { cause: err });
  }
}

function resolveSubscriptions(
  state: GroupState,
  topics: readonly TopicInfo[],
): { perMember: Map<string, string[]>; snapshot: Record<string, TopicSnapshot> } {
  const byName = new Map(topics.map((t) => [t.name, t]));
  const patterns = new Map<string, string[]>();
  const perMember = new Map<string, string[]>();
  const snapshot: Record<string, TopicSnapshot> = {};
  for (const id of Object.keys(state.members).sort()) {
    const m = state.members[id] as MemberState;
    let resolved: string[];
    if (m.topicPattern !== undefined) {
      let hit = patterns.get(m.topicPattern);
      if (!hit) {
        const re = compilePattern(m.topicPattern);
        hit = topics
          .map((t) => t.name)
          .filter((name) => re.test(name))
          .sort();
        patterns.set(m.topicPattern, hit);
      }
      resolved = hit;
    } else {
      resolved = (m.subscribedTopics ?? []).filter((t) => byName.has(t));
    }
    perMember.set(id, resolved);
    for (const name of resolved) {
      const t = byName.get(name) as TopicInfo;
      snapshot[name] = { topicId: t.topicId, partitions: t.partitions };
    }
  }
  return { perMember, snapshot };
}

function sameSnapshot(a: Record<string, TopicSnapshot>, b: Record<string, TopicSnapshot>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k]?.topicId === a[k]?.topicId && b[k]?.partitions === a[k]?.partitions);
}

/** The assignor most members ask for (ties broken by name), else the default. */
function chooseAssignor(state: GroupState, fallback: AssignorName): AssignorName {
  const votes = new Map<AssignorName, number>();
  for (const m of Object.values(state.members))
    if (m.assignor) votes.set(m.assignor, (votes.get(m.assignor) ?? 0) + 1);
  let best: AssignorName | undefined;
  for (const [name, n] of [...votes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (best === undefined || n > (votes.get(best) ?? 0)) best = name;
  }
  return best ?? fallback;
}

/**
 * Brings the target up to date: a changed topic set or assignor bumps the group epoch, and a
 * group epoch ahead of the target epoch recomputes the target with the group's assignor.
 */
export function refreshTarget(
  state: GroupState,
  topics: readonly TopicInfo[],
  defaults: GroupDefaults,
  /** The group epoch before this change: however many things changed, the epoch moves by one. */
  base: number,
): void {
  const { perMember, snapshot } = resolveSubscriptions(state, topics);
  if (!sameSnapshot(snapshot, state.topics)) {
    state.topics = snapshot;
    state.groupEpoch++;
  }
  const assignor = chooseAssignor(state, defaults.assignor);
  if (assignor !== state.assignor) {
    state.assignor = assignor;
    state.groupEpoch++;
  }
  if (state.groupEpoch > base + 1) state.groupEpoch = base + 1;
  if (state.groupEpoch === state.targetEpoch) return;
  const partitionCounts = Object.fromEntries(Object.entries(snapshot).map(([n, t]) => [n, t.partitions]));
  state.target = ASSIGNORS[state.assignor]({
    members: [...perMember].map(([memberId, topicNames]) => ({ memberId, topics: topicNames })),
    partitionCounts,
    current: state.target,
  });
  state.targetEpoch = state.groupEpoch;
}

// ---------------------------------------------------------------------------------------------
// Membership.

export function isExpired(m: MemberState, now: number): boolean {
  if (now - m.lastHeartbeatAt > m.sessionTimeoutMs) return true;
  // A member that keeps heartbeating but never releases what it must give up is fenced too.
  return (
    m.status === 'unrevoked' && m.revokingSince !== undefined && now - m.revokingSince > m.rebalanceTimeoutMs
  );
}

function removeMember(state: GroupState, memberId: string): void {
  delete state.members[memberId];
  delete state.target[memberId];
  state.groupEpoch++;
}

/** Removes members whose session (or rebalance) timed out. Their partitions become free at once. */
export function expireMembers(state: GroupState, now: number): string[] {
  const gone = Object.values(state.members)
    .filter((m) => isExpired(m, now))
    .map((m) => m.memberId);
  for (const id of gone) removeMember(state, id);
  return gone;
}

function bumpRev(state: GroupState, m: MemberState): void {
  state.revCounter++;
  m.rev = state.revCounter;
}

function sameSubscription(m: MemberState, hb: MemberHeartbeat): boolean {
  if (hb.topicPattern !== undefined) return m.topicPattern === hb.topicPattern;
  if (hb.subscribedTopics !== undefined) {
    return (
      m.topicPattern === undefined && sameList(m.subscribedTopics ?? [], normalizeTopics(hb.subscribedTopics))
    );
  }
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function normalizeTopics(topics: readonly string[]): string[] {
  return [...new Set(topics)].sort();
}

function applySubscription(state: GroupState, m: MemberState, hb: MemberHeartbeat): void {
  if (hb.topicPattern === undefined && hb.subscribedTopics === undefined) return;
  if (sameSubscription(m, hb)) return;
  if (hb.topicPattern !== undefined) {
    m.topicPattern = hb.topicPattern;
    delete m.subscribedTopics;
  } else {
    m.subscribedTopics = normalizeTopics(hb.subscribedTopics ?? []);
    delete m.topicPattern;
  }
  state.groupEpoch++;
}

function applySettings(m: MemberState, hb: MemberHeartbeat): void {
  if (hb.sessionTimeoutMs !== undefined) m.sessionTimeoutMs = hb.sessionTimeoutMs;
  if (hb.rebalanceTimeoutMs !== undefined) m.rebalanceTimeoutMs = hb.rebalanceTimeoutMs;
  if (hb.assignor !== undefined) m.assignor = hb.assignor;
  if (hb.clientId !== undefined) m.clientId = hb.clientId;
  if (hb.host !== undefined) m.host = hb.host;
}

/** Drops from `revoking` every partition the member's heartbeat no longer lists. */
function applyOwned(state: GroupState, m: MemberState, owned: TopicAssignment[] | undefined): void {
  if (owned === undefined || isEmpty(m.revoking)) return;
  const held = new Set(owned.flatMap((e) => e.partitions.map((p) => tpKey(e.topic, p))));
  let released = false;
  const still: OwnedPartitions = {};
  for (const [t, p, since] of entries(m.revoking)) {
    if (held.has(tpKey(t, p))) put(still, t, p, since);
    else released = true;
  }
  if (!released) return;
  m.revoking = still;
  bumpRev(state, m);
}

/**
 * One reconciliation step for a member (KIP-848's CurrentAssignmentBuilder): revoke first, keeping
 * the member epoch; once nothing is left to revoke, move to the target epoch and take the target
 * partitions nobody owns; the others follow on later heartbeats as their owners release them.
 */
function reconcileMember(state: GroupState, m: MemberState, now: number): void {
  if (m.status === 'unrevoked' && !isEmpty(m.revoking)) return;
  if (m.status === 'stable' && m.memberEpoch === state.targetEpoch) return;
  const target = state.target[m.memberId] ?? {};
  const targetKeys = new Set(toList(target).flatMap((e) => e.partitions.map((p) => tpKey(e.topic, p))));
  const keep: OwnedPartitions = {};
  const revoke: OwnedPartitions = {};
  for (const [t, p, since] of entries(m.assigned))
    put(targetKeys.has(tpKey(t, p)) ? keep : revoke, t, p, since);
  if (!isEmpty(revoke)) {
    m.assigned = keep;
    m.revoking = revoke;
    m.status = 'unrevoked';
    m.revokingSince = now;
    bumpRev(state, m);
    return;
  }
  const owners = ownerMap(state);
  let unreleased = false;
  let changed = false;
  for (const { topic, partitions } of toList(target)) {
    for (const p of partitions) {
      if (sinceOf(m.assigned, topic, p) !== undefined) continue;
      if (owners.has(tpKey(topic, p))) {
        unreleased = true;
        continue;
      }
      put(m.assigned, topic, p, state.targetEpoch);
      changed = true;
    }
  }
  if (m.memberEpoch !== state.targetEpoch) {
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = state.targetEpoch;
    changed = true;
  }
  m.status = unreleased ? 'unreleased' : 'stable';
  delete m.revokingSince;
  if (changed) bumpRev(state, m);
}

function heartbeatInterval(m: MemberState, defaults: GroupDefaults): number {
  const base = Math.max(1, Math.min(defaults.heartbeatIntervalMs, Math.floor(m.sessionTimeoutMs / 3)));
  return m.status === 'stable' ? base : Math.min(base, defaults.reconcilingHeartbeatIntervalMs);
}

function response(m: MemberState, defaults: GroupDefaults): MemberHeartbeatResult {
  return {
    memberId: m.memberId,
    memberEpoch: m.memberEpoch,
    heartbeatIntervalMs: heartbeatInterval(m, defaults),
    assignment: toList(m.assigned),
  };
}

function leaveResponse(memberId: string, memberEpoch: number): MemberHeartbeatResult {
  return { memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: [] };
}

function validateSubscription(hb: MemberHeartbeat, joining: boolean): void {
  if (hb.topicPattern !== undefined && hb.subscribedTopics !== undefined) {
    throw new InvalidRequestError('give either topics or topicPattern, not both');
  }
  if (joining && hb.topicPattern === undefined && hb.subscribedTopics === undefined) {
    throw new InvalidRequestError('a member joining (memberEpoch 0) must give topics or topicPattern');
  }
  if (hb.topicPattern !== undefined) compilePattern(hb.topicPattern);
}

function newMember(hb: MemberHeartbeat, now: number, defaults: GroupDefaults): MemberState {
  return {
    memberId: hb.memberId,
    ...(hb.instanceId !== undefined ? { instanceId: hb.instanceId } : {}),
    memberEpoch: 0,
    previousMemberEpoch: -1,
    status: 'stable',
    assigned: {},
    revoking: {},
    sessionTimeoutMs: hb.sessionTimeoutMs ?? defaults.sessionTimeoutMs,
    rebalanceTimeoutMs: hb.rebalanceTimeoutMs ?? defaults.rebalanceTimeoutMs,
    lastHeartbeatAt: now,
    joinedAt: now,
    rev: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// The heartbeat: a dispatcher and one function per epoch case.

/**
 * One heartbeat in progress: the working copy of the state (the input is never modified) and what
 * every case needs to finish it.
 */
interface Step {
  state: GroupState;
  now: number;
  topics: readonly TopicInfo[];
  defaults: GroupDefaults;
  /** The group epoch before this heartbeat: however many things change, it moves by one. */
  base: number;
}

/**
 * Handles one heartbeat: join (epoch 0), leave (-1), temporary leave of a static member (-2), or a
 * regular heartbeat (> 0). Expires silent members first, then hands the heartbeat to its case.
 * Returns the new state (the input is not modified) and the response; throws a StrataError
 * (nothing to write) when the heartbeat is rejected.
 */
export function reconcile(current: GroupState, hb: MemberHeartbeat, ctx: ReconcileContext): ReconcileResult {
  const step: Step = {
    state: structuredClone(current),
    now: ctx.now,
    topics: ctx.topics,
    defaults: { ...GROUP_DEFAULTS, ...ctx.defaults },
    base: current.groupEpoch,
  };
  expireMembers(step.state, step.now);
  if (hb.memberEpoch === -1) return leave(step, hb);
  if (hb.memberEpoch === -2) return temporaryLeave(step, hb);
  if (!Number.isInteger(hb.memberEpoch) || hb.memberEpoch < 0) {
    throw new InvalidRequestError(`invalid memberEpoch ${hb.memberEpoch}`);
  }
  const member = hb.memberEpoch === 0 ? join(step, hb) : memberHeartbeat(step, hb);
  return settle(step, member, hb);
}

/** Epoch -1: the member is removed and its partitions are free at once. A repeated leave writes nothing. */
function leave(step: Step, hb: MemberHeartbeat): ReconcileResult {
  const { state } = step;
  const existing = state.members[hb.memberId];
  if (!existing) return { state, response: leaveResponse(hb.memberId, -1), persist: false };
  if (hb.instanceId !== undefined && existing.instanceId !== hb.instanceId) {
    throw new FencedInstanceIdError(`member ${hb.memberId} does not hold instance id ${hb.instanceId}`);
  }
  removeMember(state, hb.memberId);
  refreshTarget(state, step.topics, step.defaults, step.base);
  return { state, response: leaveResponse(hb.memberId, -1), persist: true };
}

/** Epoch -2, static members only: the member stays, with its partitions, until its session times out. */
function temporaryLeave(step: Step, hb: MemberHeartbeat): ReconcileResult {
  const { state } = step;
  if (hb.instanceId === undefined) {
    throw new InvalidRequestError('memberEpoch -2 (temporary leave) is for static members: give instanceId');
  }
  const existing = state.members[hb.memberId];
  if (!existing) throw new UnknownMemberIdError(`unknown member ${hb.memberId} in group ${state.groupId}`);
  if (existing.instanceId !== hb.instanceId) {
    throw new FencedInstanceIdError(`member ${hb.memberId} does not hold instance id ${hb.instanceId}`);
  }
  // It keeps its partitions: a static member coming back within its session gets them back as they were.
  existing.leftAt = step.now;
  existing.lastHeartbeatAt = step.now;
  // Members expired before this step changed the group: the target follows, as after any change.
  refreshTarget(state, step.topics, step.defaults, step.base);
  return { state, response: leaveResponse(hb.memberId, -2), persist: true };
}

/**
 * Epoch 0: a static member returning under a new member id, a known member rejoining (after being
 * fenced), or a new member. Returns the member, holding nothing yet unless it took over a static
 * member's partitions.
 */
function join(step: Step, hb: MemberHeartbeat): MemberState {
  const { state } = step;
  validateSubscription(hb, true);
  const existing = state.members[hb.memberId];
  const holder =
    hb.instanceId === undefined
      ? undefined
      : Object.values(state.members).find(
          (m) => m.instanceId === hb.instanceId && m.memberId !== hb.memberId,
        );
  let member: MemberState;
  if (holder) member = returnStaticMember(step, hb, holder, existing);
  else if (existing) member = rejoin(state, hb, existing);
  else {
    member = newMember(hb, step.now, step.defaults);
    state.members[member.memberId] = member;
    state.groupEpoch++;
    bumpRev(state, member);
  }
  applyOwned(state, member, hb.ownedPartitions ?? []);
  return member;
}

/**
 * A static member returning: the new member id takes over the old one's epoch and partitions,
 * without a rebalance, if the old one left temporarily (-2). UNRELEASED_INSTANCE_ID while it is live.
 */
function returnStaticMember(
  { state, now }: Step,
  hb: MemberHeartbeat,
  holder: MemberState,
  existing: MemberState | undefined,
): MemberState {
  if (holder.leftAt === undefined) {
    throw new UnreleasedInstanceIdError(
      `instance id ${hb.instanceId} is still held by member ${holder.memberId}`,
    );
  }
  // The joining process holds nothing yet, so whatever was being revoked is released now.
  if (existing) removeMember(state, existing.memberId);
  const member: MemberState = { ...structuredClone(holder), memberId: hb.memberId, lastHeartbeatAt: now };
  delete member.leftAt;
  delete state.members[holder.memberId];
  state.members[member.memberId] = member;
  const target = state.target[holder.memberId];
  delete state.target[holder.memberId];
  if (target) state.target[member.memberId] = target;
  bumpRev(state, member);
  return member;
}

/**
 * A known member joining again with epoch 0 (after being fenced): it has dropped everything it
 * held. The group epoch moves on so that its new member epoch is above anything its old self
 * committed with.
 */
function rejoin(state: GroupState, hb: MemberHeartbeat, member: MemberState): MemberState {
  if (member.instanceId !== hb.instanceId) {
    throw new FencedInstanceIdError(
      `member ${hb.memberId} does not hold instance id ${hb.instanceId ?? '(none)'}`,
    );
  }
  state.groupEpoch++;
  member.assigned = {};
  member.revoking = {};
  member.status = 'stable';
  member.previousMemberEpoch = member.memberEpoch;
  member.memberEpoch = 0;
  delete member.revokingSince;
  delete member.leftAt;
  bumpRev(state, member);
  return member;
}

/**
 * Epoch > 0: a member heartbeating at its epoch, or at its previous one when it missed the last
 * response (accepted only if it holds nothing it was not given). FENCED_MEMBER_EPOCH otherwise.
 */
function memberHeartbeat(step: Step, hb: MemberHeartbeat): MemberState {
  const { state } = step;
  validateSubscription(hb, false);
  const member = state.members[hb.memberId];
  if (!member) throw new UnknownMemberIdError(`unknown member ${hb.memberId} in group ${state.groupId}`);
  if (hb.instanceId !== undefined && member.instanceId !== hb.instanceId) {
    throw new FencedInstanceIdError(`member ${hb.memberId} does not hold instance id ${hb.instanceId}`);
  }
  if (hb.memberEpoch !== member.memberEpoch) {
    const lostResponse =
      hb.memberEpoch === member.previousMemberEpoch &&
      hb.ownedPartitions !== undefined &&
      hb.ownedPartitions.every((e) =>
        e.partitions.every((p) => sinceOf(member.assigned, e.topic, p) !== undefined),
      );
    if (!lostResponse) {
      throw new FencedMemberEpochError(
        `member ${hb.memberId} sent epoch ${hb.memberEpoch}, its epoch is ${member.memberEpoch}: rejoin with epoch 0`,
      );
    }
  }
  delete member.leftAt;
  applyOwned(state, member, hb.ownedPartitions);
  return member;
}

/** What every join and heartbeat ends with: the member's settings, the target, and one reconciliation step. */
function settle(step: Step, member: MemberState, hb: MemberHeartbeat): ReconcileResult {
  const { state } = step;
  member.lastHeartbeatAt = step.now;
  applySettings(member, hb);
  applySubscription(state, member, hb);
  refreshTarget(state, step.topics, step.defaults, step.base);
  reconcileMember(state, member, step.now);
  return { state, response: response(member, step.defaults), persist: true };
}

// ---------------------------------------------------------------------------------------------
// Views and offset commit validation.

/** The state as anyone reading it now should see it: silent members gone, target up to date. */
export function currentView(
  current: GroupState,
  now: number,
  topics?: readonly TopicInfo[],
  defaults?: Partial<GroupDefaults>,
): GroupState {
  const state = structuredClone(current);
  expireMembers(state, now);
  if (topics) refreshTarget(state, topics, { ...GROUP_DEFAULTS, ...defaults }, current.groupEpoch);
  return state;
}

export function groupStateName(state: GroupState): GroupStateName {
  const members = Object.values(state.members);
  if (members.length === 0) return 'Empty';
  const settled =
    state.groupEpoch === state.targetEpoch &&
    members.every((m) => m.status === 'stable' && m.memberEpoch === state.targetEpoch);
  return settled ? 'Stable' : 'Reconciling';
}

export interface CommitClaim {
  memberId: string;
  memberEpoch: number;
  partitions: { topic: string; partition: number }[];
}

/**
 * Decides whether a member may commit offsets for these partitions, and returns the member's `rev`
 * (the commit is then written on condition that it is unchanged).
 *  - unknown or expired member: UNKNOWN_MEMBER_ID;
 *  - epoch ahead of the member's: FENCED_MEMBER_EPOCH;
 *  - a partition the member does not own, or owns only since a later epoch than the commit's:
 *    STALE_MEMBER_EPOCH. So a commit at an older epoch is accepted for partitions the member has
 *    owned without a break since that epoch (including ones it is being asked to revoke).
 */
export function validateCommit(state: GroupState, claim: CommitClaim, now: number): number {
  const m = state.members[claim.memberId];
  if (!m || isExpired(m, now)) {
    throw new UnknownMemberIdError(`unknown member ${claim.memberId} in group ${state.groupId}`);
  }
  if (claim.memberEpoch > m.memberEpoch) {
    throw new FencedMemberEpochError(
      `member ${claim.memberId} committed at epoch ${claim.memberEpoch}, its epoch is ${m.memberEpoch}`,
    );
  }
  for (const { topic, partition } of claim.partitions) {
    const since = sinceOf(m.assigned, topic, partition) ?? sinceOf(m.revoking, topic, partition);
    if (since === undefined) {
      throw new StaleMemberEpochError(
        `member ${claim.memberId} does not own ${topic}-${partition} (epoch ${m.memberEpoch}); heartbeat to refresh the assignment`,
      );
    }
    if (claim.memberEpoch < since) {
      throw new StaleMemberEpochError(
        `member ${claim.memberId} committed ${topic}-${partition} at epoch ${claim.memberEpoch}, but owns it only since epoch ${since}`,
      );
    }
  }
  return m.rev;
}
