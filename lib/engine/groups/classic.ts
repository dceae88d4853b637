/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's classic
 * coordinator runs it, with the barrier's state in one DynamoDB item (classic-group-store.ts)
 * so that any gateway serves any request of a member:
 *  - JoinGroup registers the member (a conditional write), then long-polls the item, woken by
 *    this process's writes and re-reading it every POLL_MS for other processes'. The first
 *    handler that sees "every known member rejoined, or the deadline passed" moves the group to
 *    CompletingRebalance(generation + 1, leader, members) with a conditional write; every waiter
 *    then answers from that state, the leader with all members' metadata.
 *  - SyncGroup from the leader stores the assignments (Stable); followers long-poll the same way
 *    until they are there, and answer REBALANCE_IN_PROGRESS if a new rebalance starts or the
 *    deadline passes: never an empty assignment in place of the real one.
 * Design and sequence diagram: docs/groups.md.
 */
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine.js';
import {
  CoordinatorNotAvailableError,
  FencedInstanceIdError,
  GroupIdNotFoundError,
  IllegalGenerationError,
  InconsistentGroupProtocolError,
  MemberIdRequiredError,
  RebalanceInProgressError,
  UnknownMemberIdError,
} from '../errors.js';
import type {
  ClassicGroupState,
  ClassicMember,
  ClassicProtocol,
  StoredClassicGroup,
} from '../storage/classic-group-store.js';
import type { StoredGroup, StoredOffset } from '../storage/group-store.js';
import { currentView, emptyGroup } from './reconcile.js';

/** How often a waiting handler re-reads the group item for other gateways' writes. */
export const POLL_MS = 100;
const MAX_ATTEMPTS = 64;
const EMPTY = new Uint8Array(0);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function newState(groupId: string, now: number): ClassicGroupState {
  return { groupId, state: 'Empty', generation: 0, members: {}, pending: {}, createdAt: now };
}

function maxRebalanceTimeout(st: ClassicGroupState): number {
  return Math.max(0, ...Object.values(st.members).map((m) => m.rebalanceTimeoutMs));
}

/** Starts a rebalance: every member must rejoin (JoinGroup) before the deadline. */
function startRebalance(st: ClassicGroupState, now: number, initialDelayMs?: number): void {
  st.state = 'PreparingRebalance';
  for (const m of Object.values(st.members)) m.joined = false;
  st.rebalanceStartedAt = now;
  st.rebalanceDeadline = now + maxRebalanceTimeout(st);
  delete st.syncDeadline;
  delete st.assignments;
  delete st.initialDelayUntil;
  if (initialDelayMs !== undefined) st.initialDelayUntil = now + initialDelayMs;
}

function removeMember(st: ClassicGroupState, memberId: string, now: number): void {
  delete st.members[memberId];
  if (Object.keys(st.members).length === 0) {
    // Kafka moves the group to Empty at a new generation.
    if (st.state !== 'Empty') st.generation += 1;
    st.state = 'Empty';
    delete st.leaderId;
    delete st.protocolName;
    delete st.protocolType;
    delete st.rebalanceDeadline;
    delete st.rebalanceStartedAt;
    delete st.initialDelayUntil;
    delete st.syncDeadline;
    delete st.assignments;
    return;
  }
  if (st.state === 'Stable' || st.state === 'CompletingRebalance') startRebalance(st, now);
}

/** Members whose session passed are removed (a rebalance starts); handed-out ids expire. Mutates; true if it changed anything. */
function expire(st: ClassicGroupState, now: number): boolean {
  let changed = false;
  for (const [id, until] of Object.entries(st.pending)) {
    if (until < now) {
      delete st.pending[id];
      changed = true;
    }
  }
  for (const m of Object.values(st.members)) {
    // A member waiting in JoinGroup is alive until the rebalance completes.
    if (st.state === 'PreparingRebalance' && m.joined) continue;
    if (m.lastSeenAt + m.sessionTimeoutMs < now) {
      removeMember(st, m.memberId, now);
      changed = true;
    }
  }
  return changed;
}

function canComplete(st: ClassicGroupState, now: number): boolean {
  if (st.state !== 'PreparingRebalance') return false;
  if (st.rebalanceDeadline !== undefined && now >= st.rebalanceDeadline) return true;
  if (st.initialDelayUntil !== undefined && now < st.initialDelayUntil) return false;
  return Object.values(st.members).every((m) => m.joined);
}

/** The protocol every member supports that most members prefer (Kafka's vote). */
function selectProtocol(members: ClassicMember[]): string | undefined {
  const first = members[0];
  if (!first) return undefined;
  const candidates = first.protocols
    .map((p) => p.name)
    .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>();
  for (const m of members) {
    const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
    if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const c of candidates)
    if (best === undefined || (votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
  return best;
}

/** PreparingRebalance -> CompletingRebalance(generation + 1), dropping members that did not rejoin. */
function complete(st: ClassicGroupState, now: number): void {
  for (const m of Object.values(st.members)) if (!m.joined) delete st.members[m.memberId];
  st.generation += 1;
  const members = Object.values(st.members).sort((a, b) => a.joinedAt - b.joinedAt);
  delete st.rebalanceDeadline;
  delete st.rebalanceStartedAt;
  delete st.initialDelayUntil;
  delete st.assignments;
  if (members.length === 0) {
    st.state = 'Empty';
    delete st.leaderId;
    delete st.protocolName;
    delete st.protocolType;
    return;
  }
  st.state = 'CompletingRebalance';
  st.protocolName = selectProtocol(members);
  st.protocolType = members[0]?.protocolType;
  if (!st.leaderId || !st.members[st.leaderId]) st.leaderId = members[0]?.memberId;
  st.syncDeadline = now + maxRebalanceTimeout(st);
  for (const m of members) m.lastSeenAt = now;
}

/** Expiry, then completion of the rebalance if it is due. Mutates; true if anything changed. */
function settle(st: ClassicGroupState, now: number): boolean {
  let changed = expire(st, now);
  if (canComplete(st, now)) {
    complete(st, now);
    changed = true;
  }
  return changed;
}

function sameProtocols(a: ClassicProtocol[], b: ClassicProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata === b[i]?.metadata);
}

function liveKip848Members(group: StoredGroup | undefined, now: number): number {
  return group ? Object.keys(currentView(group.state, now).members).length : 0;
}

/** Live classic members of the group, for the KIP-848 side's checks (simple commits, deletes). */
export async function liveClassicMembers(engine: Engine, groupId: string): Promise<number> {
  const stored = await engine.classicGroups.get(groupId);
  if (!stored) return 0;
  const st = structuredClone(stored.state);
  expire(st, engine.now());
  return Object.keys(st.members).length;
}

/** The group as it stands at `now` (expiry and a due completion applied), without writing it. */
export function viewClassicState(state: ClassicGroupState, now: number): ClassicGroupState {
  const st = structuredClone(state);
  settle(st, now);
  return st;
}

// ---------------------------------------------------------------------------------------------

export interface JoinGroupInput {
  /** '' on a first join. */
  memberId: string;
  instanceId?: string | null;
  clientId: string;
  host: string;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0): the session timeout. */
  rebalanceTimeoutMs: number;
  /** JoinGroup v4+: a first join without an instance id gets MEMBER_ID_REQUIRED with a minted id. */
  requireKnownMemberId: boolean;
  initialRebalanceDelayMs: number;
}

export interface JoinGroupResult {
  generation: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** The leader's only: every member with its metadata for the chosen protocol. */
  members: { memberId: string; instanceId: string | null; metadata: Uint8Array }[];
}

/** Thrown with the id the member must join again with (JoinGroup v4+). */
export class MemberIdRequired extends MemberIdRequiredError {
  constructor(readonly memberId: string) {
    super(`join again with member id ${memberId}`);
  }
}

type Step<T> = { done: T } | { retry: true };
const RETRY = { retry: true } as const;

async function retrying<T>(what: string, step: () => Promise<Step<T>>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    if (i > 0)
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * 2 ** Math.min(i, 5))));
    const out = await step();
    if ('done' in out) return out.done;
  }
  throw new CoordinatorNotAvailableError(`${what}: the group kept changing concurrently; retry`);
}

function joinResult(st: ClassicGroupState, memberId: string): JoinGroupResult {
  const leader = st.leaderId ?? '';
  return {
    generation: st.generation,
    protocolType: st.protocolType ?? null,
    protocolName: st.protocolName ?? null,
    leader,
    memberId,
    members:
      memberId === leader
        ? Object.values(st.members)
            .sort((a, b) => a.joinedAt - b.joinedAt)
            .map((m) => ({
              memberId: m.memberId,
              instanceId: m.instanceId ?? null,
              metadata: unb64(m.protocols.find((p) => p.name === st.protocolName)?.metadata ?? ''),
            }))
        : [],
  };
}

function mintId(clientId: string): string {
  return `${clientId || 'member'}-${randomUUID()}`;
}

/**
 * JoinGroup: registers the member and waits at the barrier until the group completes the
 * rebalance with it (CompletingRebalance at a higher generation), then answers with the
 * generation, the protocol, the leader and (to the leader) every member's metadata.
 */
export async function joinClassicGroup(
  engine: Engine,
  groupId: string,
  input: JoinGroupInput,
): Promise<JoinGroupResult> {
  const rebalanceTimeoutMs = input.rebalanceTimeoutMs < 0 ? input.sessionTimeoutMs : input.rebalanceTimeoutMs;
  const protocols = input.protocols.map((p) => ({ name: p.name, metadata: b64(p.metadata) }));
  const instanceId = input.instanceId ?? undefined;
  if (protocols.length === 0 || input.protocolType === '') {
    throw new InconsistentGroupProtocolError('JoinGroup needs a protocol type and at least one protocol');
  }
  // Phase 1: register.
  const joined = await retrying<{
    memberId: string;
    saved: StoredClassicGroup;
    immediate: boolean;
  }>(`join group ${groupId}`, async () => {
    const [stored, group] = await Promise.all([
      engine.classicGroups.get(groupId),
      engine.groups.get(groupId),
    ]);
    const now = engine.now();
    const st = stored ? structuredClone(stored.state) : newState(groupId, now);
    expire(st, now);
    let memberId = input.memberId;
    let existing = memberId ? st.members[memberId] : undefined;
    if (instanceId !== undefined) {
      const holder = Object.values(st.members).find((m) => m.instanceId === instanceId);
      if (holder && memberId !== '' && holder.memberId !== memberId) {
        throw new FencedInstanceIdError(`instance ${instanceId} is held by another member`);
      }
      if (holder && memberId === '') {
        // A static member restarting: it takes over its entry under a new id.
        memberId = mintId(input.clientId);
        delete st.members[holder.memberId];
        existing = { ...holder, memberId };
        st.members[memberId] = existing;
        if (st.leaderId === holder.memberId) st.leaderId = memberId;
        if (st.assignments?.[holder.memberId] !== undefined) {
          st.assignments[memberId] = st.assignments[holder.memberId] as string;
          delete st.assignments[holder.memberId];
        }
      }
    }
    if (memberId === '') {
      memberId = mintId(input.clientId);
      if (input.requireKnownMemberId && instanceId === undefined) {
        st.pending[memberId] = now + input.sessionTimeoutMs;
        const saved = await engine.classicGroups.save(groupId, st, stored, now, stored?.incarnation ?? '');
        if (!saved) return RETRY;
        throw new MemberIdRequired(memberId);
      }
    } else if (!existing) {
      if (st.pending[memberId] === undefined) {
        throw new UnknownMemberIdError(`unknown member ${memberId} in group ${groupId}`);
      }
    }
    delete st.pending[memberId];
    const isNew = !existing;
    if (isNew && liveKip848Members(group, now) > 0) {
      throw new GroupIdNotFoundError(
        `group ${groupId} is a consumer (KIP-848) group with live members, not a classic group`,
      );
    }
    const live = Object.values(st.members);
    if (live.length > 0 && !(live.length === 1 && existing)) {
      const type = st.protocolType ?? live[0]?.protocolType;
      const others = live.filter((m) => m.memberId !== memberId);
      const shared = protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
      if ((type !== undefined && type !== input.protocolType) || !shared) {
        throw new InconsistentGroupProtocolError(
          `group ${groupId} uses protocol type ${type} with protocols none of which this member offers`,
        );
      }
    }
    const unchanged =
      existing !== undefined &&
      existing.protocolType === input.protocolType &&
      sameProtocols(existing.protocols, protocols);
    const member: ClassicMember = {
      memberId,
      ...(instanceId !== undefined ? { instanceId } : {}),
      clientId: input.clientId,
      host: input.host,
      protocolType: input.protocolType,
      protocols,
      sessionTimeoutMs: input.sessionTimeoutMs,
      rebalanceTimeoutMs,
      lastSeenAt: now,
      joined: true,
      joinedAt: existing?.joinedAt ?? now,
    };
    st.members[memberId] = member;
    let immediate = false;
    if (st.state === 'Empty') {
      startRebalance(st, now, input.initialRebalanceDelayMs);
      member.joined = true;
    } else if (st.state === 'PreparingRebalance') {
      if (isNew && st.initialDelayUntil !== undefined && st.rebalanceStartedAt !== undefined) {
        // Kafka's initial delay: each new member extends it, up to the rebalance timeout.
        st.initialDelayUntil = Math.min(
          now + input.initialRebalanceDelayMs,
          st.rebalanceStartedAt + maxRebalanceTimeout(st),
        );
      }
      st.rebalanceDeadline = Math.max(
        st.rebalanceDeadline ?? now,
        (st.rebalanceStartedAt ?? now) + rebalanceTimeoutMs,
      );
    } else if (unchanged && (st.state === 'CompletingRebalance' || st.leaderId !== memberId)) {
      // A known member rejoining with the same metadata: it gets the current generation at once.
      immediate = true;
    } else {
      startRebalance(st, now);
      member.joined = true;
    }
    if (!immediate) settle(st, now);
    const emptyKip = emptyGroup(groupId, now);
    // A group item deleted meanwhile is created again with a new incarnation: old offsets stay hidden.
    const incarnation = group?.incarnation ?? randomUUID();
    const saved = await engine.classicGroups.save(
      groupId,
      st,
      stored,
      now,
      incarnation,
      isNew ? { group, empty: emptyKip, registryIncarnation: incarnation } : undefined,
    );
    if (!saved) return RETRY;
    return { done: { memberId, saved, immediate } };
  });
  if (joined.immediate) return joinResult(joined.saved.state, joined.memberId);
  return awaitBarrier(engine, groupId, joined.memberId, joined.saved, rebalanceTimeoutMs);
}

/** Phase 2 of JoinGroup: the long poll at the barrier. */
async function awaitBarrier(
  engine: Engine,
  groupId: string,
  memberId: string,
  first: StoredClassicGroup,
  rebalanceTimeoutMs: number,
): Promise<JoinGroupResult> {
  const giveUpAt = engine.now() + rebalanceTimeoutMs + 5000;
  let stored: StoredClassicGroup | undefined = first;
  for (;;) {
    if (!stored) throw new UnknownMemberIdError(`group ${groupId} is gone`);
    const now = engine.now();
    const st = structuredClone(stored.state);
    let changed = expire(st, now);
    const me = st.members[memberId];
    if (!me) throw new UnknownMemberIdError(`member ${memberId} was removed from group ${groupId}`);
    if (st.state === 'CompletingRebalance' || st.state === 'Stable') return joinResult(st, memberId);
    if (st.state === 'PreparingRebalance') {
      if (!me.joined) {
        // A new rebalance started while this member waited: it is still joining.
        me.joined = true;
        me.lastSeenAt = now;
        changed = true;
      }
      if (canComplete(st, now)) {
        complete(st, now);
        changed = true;
      }
    }
    if (changed) {
      const saved = await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
      if (saved) {
        stored = saved;
        continue;
      }
    } else {
      if (now >= giveUpAt)
        throw new RebalanceInProgressError(`group ${groupId} did not complete its rebalance`);
      const due = [st.rebalanceDeadline, st.initialDelayUntil].filter(
        (t): t is number => t !== undefined && t > now,
      );
      await engine.classicGroups.waitForChange(groupId, Math.min(POLL_MS, ...due.map((t) => t - now + 1)));
    }
    stored = await engine.classicGroups.get(groupId);
  }
}

// ---------------------------------------------------------------------------------------------

interface MemberRef {
  memberId: string;
  generation: number;
  instanceId?: string | null;
}

function checkMember(st: ClassicGroupState, ref: MemberRef, groupId: string): ClassicMember {
  const m = st.members[ref.memberId];
  if (ref.instanceId != null) {
    const holder = Object.values(st.members).find((x) => x.instanceId === ref.instanceId);
    if (holder && holder.memberId !== ref.memberId) {
      throw new FencedInstanceIdError(`instance ${ref.instanceId} is held by another member`);
    }
  }
  if (!m) throw new UnknownMemberIdError(`unknown member ${ref.memberId} in group ${groupId}`);
  if (ref.generation !== st.generation) {
    throw new IllegalGenerationError(
      `member ${ref.memberId} is at generation ${ref.generation}, group ${groupId} at ${st.generation}`,
    );
  }
  return m;
}

export interface SyncGroupInput extends MemberRef {
  protocolType?: string | null;
  protocolName?: string | null;
  /** The leader's: memberId -> assignment bytes. */
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface SyncGroupResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

/**
 * SyncGroup: the leader's assignments are stored and the group becomes Stable; a follower waits
 * for them (REBALANCE_IN_PROGRESS if a new rebalance starts or the deadline passes).
 */
export async function syncClassicGroup(
  engine: Engine,
  groupId: string,
  input: SyncGroupInput,
): Promise<SyncGroupResult> {
  let stored = await engine.classicGroups.get(groupId);
  for (let attempt = 0; ; attempt++) {
    if (attempt > 10_000) throw new CoordinatorNotAvailableError(`sync group ${groupId}: retry`);
    if (!stored) throw new UnknownMemberIdError(`unknown member ${input.memberId}: no group ${groupId}`);
    const now = engine.now();
    const st = structuredClone(stored.state);
    const changed = expire(st, now);
    const saveAndRetry = async () => {
      const saved = await engine.classicGroups.save(groupId, st, stored, now, stored?.incarnation ?? '');
      stored = saved || (await engine.classicGroups.get(groupId));
    };
    if (changed) {
      await saveAndRetry();
      continue;
    }
    const me = checkMember(st, input, groupId);
    if (
      (input.protocolType != null &&
        st.protocolType !== undefined &&
        input.protocolType !== st.protocolType) ||
      (input.protocolName != null && st.protocolName !== undefined && input.protocolName !== st.protocolName)
    ) {
      throw new InconsistentGroupProtocolError(`group ${groupId} uses ${st.protocolType}/${st.protocolName}`);
    }
    const result = (bytes: string | undefined): SyncGroupResult => ({
      protocolType: st.protocolType ?? null,
      protocolName: st.protocolName ?? null,
      assignment: bytes === undefined ? EMPTY : unb64(bytes),
    });
    if (st.state === 'PreparingRebalance' || st.state === 'Empty') {
      throw new RebalanceInProgressError(`group ${groupId} is rebalancing: rejoin`);
    }
    if (st.state === 'Stable') return result(st.assignments?.[me.memberId]);
    // CompletingRebalance.
    if (me.memberId === st.leaderId) {
      const assignments: Record<string, string> = {};
      for (const a of input.assignments)
        if (st.members[a.memberId]) assignments[a.memberId] = b64(a.assignment);
      for (const id of Object.keys(st.members)) assignments[id] ??= '';
      st.assignments = assignments;
      st.state = 'Stable';
      delete st.syncDeadline;
      me.lastSeenAt = now;
      const saved = await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
      if (saved) return result(assignments[me.memberId]);
      stored = await engine.classicGroups.get(groupId);
      continue;
    }
    if (st.syncDeadline !== undefined && now >= st.syncDeadline) {
      // The leader never sent the assignment: start over.
      startRebalance(st, now);
      await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
      throw new RebalanceInProgressError(`group ${groupId}: the leader sent no assignment in time; rejoin`);
    }
    await engine.classicGroups.waitForChange(
      groupId,
      Math.min(POLL_MS, (st.syncDeadline ?? now + POLL_MS) - now + 1),
    );
    stored = await engine.classicGroups.get(groupId);
  }
}

/** Heartbeat: keeps the session; REBALANCE_IN_PROGRESS while a rebalance is under way. */
export async function heartbeatClassicGroup(engine: Engine, groupId: string, ref: MemberRef): Promise<void> {
  const rebalancing = await retrying<boolean>(`heartbeat to group ${groupId}`, async () => {
    const stored = await engine.classicGroups.get(groupId);
    if (!stored) throw new UnknownMemberIdError(`unknown member ${ref.memberId}: no group ${groupId}`);
    const now = engine.now();
    const st = structuredClone(stored.state);
    const changed = settle(st, now);
    let me: ClassicMember;
    try {
      me = checkMember(st, ref, groupId);
    } catch (err) {
      if (changed) await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
      throw err;
    }
    me.lastSeenAt = now;
    const saved = await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
    if (!saved) return RETRY;
    return { done: st.state === 'PreparingRebalance' };
  });
  if (rebalancing) throw new RebalanceInProgressError(`group ${groupId} is rebalancing: rejoin`);
}

export interface LeaveResult {
  memberId: string;
  instanceId: string | null;
  error?: Error;
}

/** LeaveGroup: removes the members (by id, or by instance id for static members) and starts a rebalance. */
export async function leaveClassicGroup(
  engine: Engine,
  groupId: string,
  leaving: { memberId: string; instanceId?: string | null }[],
): Promise<LeaveResult[]> {
  return retrying<LeaveResult[]>(`leave group ${groupId}`, async () => {
    const stored = await engine.classicGroups.get(groupId);
    const now = engine.now();
    const st = stored ? structuredClone(stored.state) : newState(groupId, now);
    let changed = expire(st, now);
    const results = leaving.map((l): LeaveResult => {
      const base = { memberId: l.memberId, instanceId: l.instanceId ?? null };
      let id = l.memberId;
      if (l.instanceId != null) {
        const holder = Object.values(st.members).find((m) => m.instanceId === l.instanceId);
        if (!holder) return { ...base, error: new UnknownMemberIdError(`unknown instance ${l.instanceId}`) };
        if (id !== '' && holder.memberId !== id) {
          return {
            ...base,
            error: new FencedInstanceIdError(`instance ${l.instanceId} is held by another member`),
          };
        }
        id = holder.memberId;
      }
      if (!st.members[id])
        return { ...base, error: new UnknownMemberIdError(`unknown member ${id} in ${groupId}`) };
      removeMember(st, id, now);
      if (st.state === 'PreparingRebalance') settle(st, now);
      changed = true;
      return { ...base, memberId: id };
    });
    if (!changed || !stored) return { done: results };
    const saved = await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
    return saved ? { done: results } : RETRY;
  });
}

// ---------------------------------------------------------------------------------------------

/** Is `memberId` a member of the classic group (so its commit is checked by generation)? */
export async function isClassicMember(engine: Engine, groupId: string, memberId: string): Promise<boolean> {
  if (memberId === '') return false;
  const stored = await engine.classicGroups.get(groupId);
  return stored?.state.members[memberId] !== undefined;
}

/**
 * Commits offsets of a classic member: it must be in the group at the group's generation
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS while the group waits for the
 * leader's assignment, as Kafka does), checked again by the write's condition.
 */
export async function commitClassicOffsets(
  engine: Engine,
  groupId: string,
  ref: MemberRef,
  offsets: { topic: string; partition: number; offset: number; metadata?: string | null }[],
): Promise<void> {
  let pending = offsets;
  await retrying<undefined>(`offset commit to group ${groupId}`, async () => {
    const stored = await engine.classicGroups.get(groupId);
    if (!stored) throw new UnknownMemberIdError(`unknown member ${ref.memberId}: no group ${groupId}`);
    const now = engine.now();
    const st = structuredClone(stored.state);
    if (expire(st, now)) {
      await engine.classicGroups.save(groupId, st, stored, now, stored.incarnation);
      return RETRY;
    }
    checkMember(st, ref, groupId);
    if (st.state === 'CompletingRebalance') {
      throw new RebalanceInProgressError(`group ${groupId} is completing a rebalance`);
    }
    const entries: StoredOffset[] = pending.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      ...(o.metadata ? { metadata: o.metadata } : {}),
      committedAt: now,
      memberId: ref.memberId,
      memberEpoch: ref.generation,
    }));
    pending = pending.slice(
      await engine.classicGroups.commitAsMember(groupId, stored, ref.memberId, ref.generation, entries),
    );
    return pending.length === 0 ? { done: undefined } : RETRY;
  });
}
