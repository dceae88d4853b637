/**
 * Server-side assignors (KIP-848): pure functions from the group's members, their subscriptions
 * and the topics' partition counts to a target assignment. Deterministic: the same input, in any
 * member order, gives the same output, because every choice is tie-broken by member id, topic
 * name and partition number.
 */

import type { AssignorName, GroupAssignment, TopicPartitionMap } from '../storage/group-store.js';

// The assignment is part of the stored group state, so its types are declared with it.
export type { AssignorName, GroupAssignment, TopicPartitionMap } from '../storage/group-store.js';

export interface AssignorMember {
  memberId: string;
  /** Topic names the member subscribes to (already resolved from a pattern); unknown topics are ignored. */
  topics: readonly string[];
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Existing topics and their partition counts. */
  partitionCounts: Readonly<Record<string, number>>;
  /** The previous target assignment: the sticky assignor keeps what it can of it. */
  current?: GroupAssignment;
}

export const ASSIGNOR_NAMES: readonly AssignorName[] = ['uniform', 'range'];
export type Assignor = (input: AssignorInput) => GroupAssignment;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Prepared {
  memberIds: string[];
  subs: Map<string, Set<string>>;
  /** topic -> subscribed member ids, sorted. Only existing topics with at least one subscriber. */
  eligible: Map<string, string[]>;
  counts: Record<string, number>;
}

function prepare(input: AssignorInput): Prepared {
  const counts = input.partitionCounts;
  const memberIds = [...new Set(input.members.map((m) => m.memberId))].sort(byString);
  const subs = new Map<string, Set<string>>();
  for (const m of input.members) {
    const set = subs.get(m.memberId) ?? new Set<string>();
    for (const t of m.topics) if ((counts[t] ?? 0) > 0) set.add(t);
    subs.set(m.memberId, set);
  }
  const eligible = new Map<string, string[]>();
  for (const id of memberIds) {
    for (const t of subs.get(id) ?? []) {
      const list = eligible.get(t) ?? [];
      list.push(id);
      eligible.set(t, list);
    }
  }
  return { memberIds, subs, eligible, counts };
}

function finish(memberIds: string[], owned: Map<string, Map<string, Set<number>>>): GroupAssignment {
  const out: GroupAssignment = {};
  for (const id of memberIds) {
    const map: TopicPartitionMap = {};
    const topics = owned.get(id) ?? new Map<string, Set<number>>();
    for (const t of [...topics.keys()].sort(byString)) {
      const parts = [...(topics.get(t) ?? [])].sort((a, b) => a - b);
      if (parts.length > 0) map[t] = parts;
    }
    out[id] = map;
  }
  return out;
}

/**
 * Sticky and uniform: every member keeps the partitions it had in the previous target while they
 * remain valid; the rest go, one by one, to the eligible member with the fewest; then partitions
 * move from the most loaded member to an eligible least loaded one until no move narrows the gap.
 * With equal subscriptions the result is balanced within one partition, and a member that keeps
 * its subscription only loses partitions when balance requires it.
 */
export const uniformAssign: Assignor = (input) => {
  const { memberIds, subs, eligible, counts } = prepare(input);
  const owned = new Map<string, Map<string, Set<number>>>(memberIds.map((id) => [id, new Map()]));
  const load = new Map<string, number>(memberIds.map((id) => [id, 0]));
  const taken = new Set<string>();
  const give = (id: string, topic: string, p: number) => {
    const topics = owned.get(id) as Map<string, Set<number>>;
    const set = topics.get(topic) ?? new Set<number>();
    set.add(p);
    topics.set(topic, set);
    load.set(id, (load.get(id) ?? 0) + 1);
    taken.add(`${topic}\u0000${p}`);
  };
  const take = (id: string, topic: string, p: number) => {
    owned.get(id)?.get(topic)?.delete(p);
    load.set(id, (load.get(id) ?? 0) - 1);
  };

  // 1. Stickiness: keep what is still valid from the previous target.
  for (const id of memberIds) {
    const prev = input.current?.[id] ?? {};
    const mySubs = subs.get(id) as Set<string>;
    for (const topic of Object.keys(prev).sort(byString)) {
      if (!mySubs.has(topic)) continue;
      const count = counts[topic] ?? 0;
      for (const p of [...(prev[topic] ?? [])].sort((a, b) => a - b)) {
        if (!Number.isInteger(p) || p < 0 || p >= count || taken.has(`${topic}\u0000${p}`)) continue;
        give(id, topic, p);
      }
    }
  }

  // 2. The rest: topics with the fewest eligible members first, each partition to the least loaded.
  const topics = [...eligible.keys()].sort(
    (a, b) => (eligible.get(a)?.length ?? 0) - (eligible.get(b)?.length ?? 0) || byString(a, b),
  );
  for (const topic of topics) {
    const candidates = eligible.get(topic) as string[];
    for (let p = 0; p < (counts[topic] ?? 0); p++) {
      if (taken.has(`${topic}\u0000${p}`)) continue;
      let best = candidates[0] as string;
      for (const id of candidates) if ((load.get(id) ?? 0) < (load.get(best) ?? 0)) best = id;
      give(best, topic, p);
    }
  }

  // 3. Balance: move from the most loaded to a least loaded eligible member while that narrows the gap.
  // Each move lowers the sum of squared loads, so this terminates.
  for (;;) {
    const order = [...memberIds].sort((a, b) => (load.get(b) ?? 0) - (load.get(a) ?? 0) || byString(a, b));
    let moved = false;
    for (const donor of order) {
      const donorLoad = load.get(donor) ?? 0;
      const receivers = [...order]
        .reverse()
        .filter((id) => (load.get(id) ?? 0) + 1 < donorLoad)
        .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || byString(a, b));
      for (const receiver of receivers) {
        const recvSubs = subs.get(receiver) as Set<string>;
        const donorTopics = owned.get(donor) as Map<string, Set<number>>;
        // Give away the highest partition of the last topic the receiver can take: keeps low partitions put.
        const topic = [...donorTopics.keys()]
          .filter((t) => recvSubs.has(t) && (donorTopics.get(t)?.size ?? 0) > 0)
          .sort(byString)
          .pop();
        if (topic === undefined) continue;
        const p = Math.max(...(donorTopics.get(topic) as Set<number>));
        take(donor, topic, p);
        give(receiver, topic, p);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) break;
  }
  return finish(memberIds, owned);
};

/**
 * Kafka's range assignor, per topic: the subscribed members in member id order each get a
 * contiguous range; the first `partitions % members` get one more.
 */
export const rangeAssign: Assignor = (input) => {
  const { memberIds, eligible, counts } = prepare(input);
  const owned = new Map<string, Map<string, Set<number>>>(memberIds.map((id) => [id, new Map()]));
  for (const [topic, members] of eligible) {
    const count = counts[topic] ?? 0;
    const per = Math.floor(count / members.length);
    const extra = count % members.length;
    members.forEach((id, i) => {
      const start = i * per + Math.min(i, extra);
      const len = per + (i < extra ? 1 : 0);
      if (len === 0) return;
      owned.get(id)?.set(topic, new Set(Array.from({ length: len }, (_, k) => start + k)));
    });
  }
  return finish(memberIds, owned);
};

export const ASSIGNORS: Record<AssignorName, Assignor> = { uniform: uniformAssign, range: rangeAssign };
