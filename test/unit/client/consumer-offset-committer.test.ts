/**
 * The consumer's offset committer on its own (lib/client/consumer-offset-committer.ts): which
 * member identity a commit carries, what a stale or fenced epoch does, when auto-commit commits,
 * and where a newly assigned partition starts.
 */
import { describe, expect, it } from 'vitest';
import type { StrataApi } from '../../../lib/client/api.js';
import { CONSUMER_EVENTS } from '../../../lib/client/consumer-events.js';
import { type CommittingMember, OffsetCommitter } from '../../../lib/client/consumer-offset-committer.js';
import {
  type ConsumerContext,
  PartitionState,
  type PartitionTable,
} from '../../../lib/client/consumer-state.js';
import { Subscriptions } from '../../../lib/client/consumer-subscription.js';
import { StrataClientError } from '../../../lib/client/errors.js';
import { Emitter } from '../../../lib/client/events.js';
import { createLogger, logLevel } from '../../../lib/client/logger.js';
import { DEFAULT_RETRY } from '../../../lib/client/retry.js';

interface Sent {
  memberId: string;
  memberEpoch: number;
  offsets: { topic: string; partition: number; offset: string }[];
}

function setup(answers: (StrataClientError | undefined)[] = []) {
  const sent: Sent[] = [];
  const listed: string[] = [];
  const api = {
    commitOffsets: async (_group: string, body: Sent) => {
      sent.push(structuredClone(body));
      const answer = answers.shift();
      if (answer) throw answer;
      return {};
    },
    fetchGroupOffsets: async () => ({ offsets: [{ topic: 't', partition: 0, offset: '7' }] }),
    listOffset: async (_topic: string, partition: number, at: string) => {
      listed.push(`${partition}:${at}`);
      return { offset: at === 'earliest' ? '2' : '40' };
    },
  } as unknown as StrataApi;
  const emitter = new Emitter(Object.values(CONSUMER_EVENTS));
  const commits: unknown[] = [];
  emitter.on(CONSUMER_EVENTS.COMMIT_OFFSETS, (e) => commits.push(e.payload));
  const subscriptions = new Subscriptions();
  const ctx: ConsumerContext = {
    api,
    config: { groupId: 'g' },
    groupId: 'g',
    clientId: undefined,
    retry: { ...DEFAULT_RETRY, retries: 0 },
    log: createLogger(logLevel.NOTHING),
    emitter,
    subscriptions,
    isRunning: () => true,
    endRun: () => {},
    stop: async () => {},
  };
  const events: string[] = [];
  const member: CommittingMember & { memberId: string | undefined; memberEpoch: number } = {
    memberId: 'm1',
    memberEpoch: 3,
    heartbeatNow: async () => {
      events.push('heartbeat');
      member.memberEpoch = 4;
    },
    fenced: () => {
      events.push('fenced');
      member.memberId = undefined;
      member.memberEpoch = 0;
    },
  };
  const partitions: PartitionTable = new Map();
  const own = (partition: number, resolved: bigint) => {
    const ps = new PartitionState('t', partition);
    ps.phase = 'running';
    ps.resolvedOffset = resolved;
    partitions.set(ps.key, ps);
    return ps;
  };
  const committer = new OffsetCommitter(ctx, partitions, member);
  return { committer, sent, listed, commits, events, member, own, subscriptions };
}

const stale = () => new StrataClientError('stale', { code: 'STALE_MEMBER_EPOCH', retriable: false });
const fenced = () => new StrataClientError('fenced', { code: 'FENCED_MEMBER_EPOCH', retriable: false });

describe('offset committer', () => {
  it('commits the processed position with the member id and epoch, then records it as committed', async () => {
    const t = setup();
    const ps = t.own(0, 5n);
    t.committer.resolveOffset(ps, '9');
    expect(ps.uncommitted).toBe(5);
    await t.committer.commitPending([ps]);
    expect(t.sent).toEqual([
      { memberId: 'm1', memberEpoch: 3, offsets: [{ topic: 't', partition: 0, offset: '10' }] },
    ]);
    expect(ps.committedOffset).toBe(10n);
    expect(ps.uncommitted).toBe(0);
    expect(t.commits).toEqual([
      {
        groupId: 'g',
        memberId: 'm1',
        groupGenerationId: 3,
        topics: [{ topic: 't', partitions: [{ partition: '0', offset: '10' }] }],
      },
    ]);
    // Nothing moved since: nothing is sent.
    await t.committer.commitPending([ps]);
    expect(t.sent).toHaveLength(1);
  });

  it('a stale epoch: one heartbeat, then the same offsets once more with the new epoch', async () => {
    const t = setup([stale(), stale()]);
    const ps = t.own(0, 5n);
    await expect(t.committer.commitPending([ps])).rejects.toMatchObject({ code: 'STALE_MEMBER_EPOCH' });
    expect(t.events).toEqual(['heartbeat']);
    expect(t.sent.map((s) => s.memberEpoch)).toEqual([3, 4]);
    expect(ps.committedOffset).toBe(-1n);
  });

  it('a fenced member: the membership hears it, nothing is recorded as committed, and no member commits next', async () => {
    const t = setup([fenced()]);
    const ps = t.own(0, 5n);
    await expect(t.committer.commitPending([ps])).rejects.toMatchObject({ code: 'FENCED_MEMBER_EPOCH' });
    expect(t.events).toEqual(['fenced']);
    expect(ps.committedOffset).toBe(-1n);
    await expect(
      t.committer.commitOffsets([{ topic: 't', partition: 0, offset: '6' }]),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_MEMBER_ID',
    });
    expect(t.sent).toHaveLength(1);
  });

  it('auto-commit by threshold: nothing below it, everything running at it', async () => {
    const t = setup();
    t.committer.configure({ autoCommit: true, autoCommitInterval: null, autoCommitThreshold: 3 });
    const ps = t.own(0, 0n);
    t.committer.resolveOffset(ps, '1');
    await t.committer.commitOffsetsIfNecessary();
    expect(t.sent).toHaveLength(0);
    t.committer.resolveOffset(ps, '2');
    await t.committer.commitOffsetsIfNecessary();
    expect(t.sent.map((s) => s.offsets)).toEqual([[{ topic: 't', partition: 0, offset: '3' }]]);
    t.committer.configure({ autoCommit: false, autoCommitThreshold: 1 });
    t.committer.resolveOffset(ps, '9');
    await t.committer.commitOffsetsIfNecessary();
    expect(t.sent).toHaveLength(1);
  });

  it('start offsets: a pending seek, else the committed offset, else the subscription says earliest or latest', async () => {
    const t = setup();
    t.subscriptions.add(['t'], true);
    const states = [0, 1, 2].map((p) => new PartitionState('t', p));
    const seeks = new Map([[states[2]?.key as string, 11n]]);
    await t.committer.resolveStartOffsets(states, (key) => seeks.get(key));
    expect(states.map((ps) => [ps.fetchOffset, ps.resolvedOffset, ps.committedOffset])).toEqual([
      [7n, 7n, 7n],
      [2n, 2n, -1n],
      [11n, 11n, -1n],
    ]);
    expect(t.listed).toEqual(['1:earliest']);
  });
});
