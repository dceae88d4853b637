import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { ownedByMember } from '../../lib/engine/groups/reconcile.js';
import { delay, failNext } from '../support/faults.js';
import { api, createTestEngine, type JsonBody, startTestServer, type TestServer } from '../support/stack.js';

let engine: Engine;
let server: TestServer;
let http: ReturnType<typeof api>;
let clock = Date.now();

beforeAll(async () => {
  engine = await createTestEngine();
  // Time moves only when a test says so (session timeouts without sleeping).
  engine.now = () => clock;
  server = await startTestServer(engine);
  http = api(server.url);
});
afterAll(async () => {
  await server?.close();
});

async function createTopic(name: string, partitions: number): Promise<void> {
  await engine.metadata.createTopic({
    name,
    topicId: randomUUID(),
    partitions,
    config: {
      'retention.ms': 604800000,
      'retention.bytes': -1,
      'cleanup.policy': 'delete',
      'max.message.bytes': 1048576,
      'message.timestamp.type': 'CreateTime',
      'delete.retention.ms': 86400000,
      'min.compaction.lag.ms': 0,
      'max.compaction.lag.ms': Number.MAX_SAFE_INTEGER,
      'min.cleanable.dirty.ratio': 0.5,
    },
    createdAt: Date.now(),
  });
}

type Assignment = { topic: string; partitions: number[] }[];

/** An honest KIP-848 member: reports what it holds, holds what the last response gave it. */
class Member {
  memberId?: string;
  epoch = 0;
  holdings: Assignment = [];
  constructor(
    readonly group: string,
    readonly subscription: { topics: string[] } | { topicPattern: string },
    readonly extra: Record<string, unknown> = {},
  ) {}

  async heartbeat(): Promise<JsonBody> {
    const res = await http.post(`/v1/groups/${this.group}/heartbeat`, {
      ...(this.memberId ? { memberId: this.memberId } : {}),
      memberEpoch: this.epoch,
      ...(this.epoch === 0 ? this.subscription : {}),
      ownedPartitions: this.holdings,
      ...this.extra,
    });
    if (res.status !== 200) throw new Error(`heartbeat ${res.status}: ${JSON.stringify(res.body)}`);
    this.memberId = res.body.memberId;
    this.epoch = res.body.memberEpoch;
    this.holdings = res.body.assignment;
    return res.body;
  }

  async leave(): Promise<void> {
    const res = await http.post(`/v1/groups/${this.group}/heartbeat`, {
      memberId: this.memberId,
      memberEpoch: -1,
    });
    expect(res.status).toBe(200);
    this.holdings = [];
  }

  commit(offsets: { topic: string; partition: number; offset: string | number }[], epoch = this.epoch) {
    return http.post(`/v1/groups/${this.group}/offsets`, {
      memberId: this.memberId,
      memberEpoch: epoch,
      offsets,
    });
  }

  keys(): string[] {
    return this.holdings.flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`));
  }
}

function expectDisjoint(members: Member[]): void {
  const seen = new Map<string, string>();
  for (const m of members) {
    for (const k of m.keys()) {
      expect(seen.get(k), `${k} held by ${seen.get(k)} and ${m.memberId}`).toBeUndefined();
      seen.set(k, m.memberId as string);
    }
  }
}

/** The coordinator's own view, read straight from DynamoDB: no partition counted for two members. */
async function expectServerDisjoint(group: string): Promise<void> {
  const stored = await engine.groups.get(group);
  const seen = new Map<string, string>();
  for (const m of Object.values(stored?.state.members ?? {})) {
    for (const { topic, partitions } of ownedByMember(m)) {
      for (const p of partitions) {
        expect(seen.get(`${topic}-${p}`), `${topic}-${p} owned twice`).toBeUndefined();
        seen.set(`${topic}-${p}`, m.memberId);
      }
    }
  }
}

/** Concurrent rounds of heartbeats until the group is Stable and every member at the group epoch. */
async function untilStable(members: Member[], group: string, maxRounds = 15): Promise<JsonBody> {
  for (let i = 0; i < maxRounds; i++) {
    await rounds(members, 1, group);
    const d = (await http.get(`/v1/groups/${group}`)).body;
    if (d.state === 'Stable' && members.every((m) => m.epoch === d.groupEpoch)) return d;
  }
  throw new Error(`group ${group} did not converge in ${maxRounds} rounds`);
}

/** Every member heartbeats concurrently, `rounds` times; after each response, holdings stay disjoint. */
async function rounds(members: Member[], n: number, group: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await Promise.all(
      members.map(async (m) => {
        await m.heartbeat();
        expectDisjoint(members);
      }),
    );
    await expectServerDisjoint(group);
  }
}

describe('consumer groups over HTTP', () => {
  it('concurrent heartbeats from many members never give a partition two owners', async () => {
    await createTopic('busy', 24);
    const group = 'busy-group';
    // Widen the window between each read and its conditional write, so that writers really collide.
    const slow = delay(engine.clients.dynamodb, 'GetItem', 3, { phase: 'after' });
    try {
      const members = Array.from({ length: 12 }, () => new Member(group, { topics: ['busy'] }));
      await Promise.all(
        members.map(async (m) => {
          await m.heartbeat();
          expectDisjoint(members);
        }),
      );
      // Converged: everyone at the group epoch, 2 partitions each, all 24 covered.
      const d = await untilStable(members, group);
      expect(d.members).toHaveLength(12);
      for (const m of members) {
        expect(m.epoch).toBe(d.groupEpoch);
        expect(m.keys()).toHaveLength(2);
      }
      expect(new Set(members.flatMap((m) => m.keys())).size).toBe(24);

      // Half leave while the rest keep heartbeating, all at once.
      const leaving = members.slice(0, 6);
      const staying = members.slice(6);
      await Promise.all([
        ...leaving.map((m) => m.leave()),
        ...staying.map(async (m) => {
          await m.heartbeat();
          expectDisjoint(staying);
        }),
      ]);
      await untilStable(staying, group);
      expect((await http.get(`/v1/groups/${group}`)).body.members).toHaveLength(6);
      for (const m of staying) expect(m.keys()).toHaveLength(4);
      expect(new Set(staying.flatMap((m) => m.keys())).size).toBe(24);
    } finally {
      slow.remove();
    }
  });

  it('a heartbeat that loses a race (condition failure, transaction conflict) retries and succeeds', async () => {
    await createTopic('racy', 2);
    const m = new Member('racy-group', { topics: ['racy'] });
    await m.heartbeat();
    const put = failNext(
      engine.clients.dynamodb,
      'PutItem',
      () => new ConditionalCheckFailedException({ message: 'injected', $metadata: {} }),
      { times: 2 },
    );
    const tx = failNext(
      engine.clients.dynamodb,
      'TransactWriteItems',
      () =>
        new TransactionCanceledException({
          message: 'injected',
          $metadata: {},
          CancellationReasons: [{ Code: 'TransactionConflict' }],
        }),
      { times: 2 },
    );
    try {
      expect((await m.heartbeat()).memberEpoch).toBe(1);
      expect(put.injected).toBe(2);
      expect((await m.commit([{ topic: 'racy', partition: 0, offset: '5' }])).status).toBe(200);
      expect(tx.injected).toBe(2);
    } finally {
      put.remove();
      tx.remove();
    }
    expect((await http.get('/v1/groups/racy-group/offsets')).body.offsets).toEqual([
      { topic: 'racy', partition: 0, offset: '5' },
    ]);
  });

  it('rejects stale, fenced and unknown-member commits with the KIP-848 codes', async () => {
    await createTopic('fence', 2);
    const group = 'fence-group';
    const a = new Member(group, { topics: ['fence'] });
    await a.heartbeat();
    expect(a.epoch).toBe(1);
    expect(a.keys()).toEqual(['fence-0', 'fence-1']);
    expect((await a.commit([{ topic: 'fence', partition: 0, offset: '10' }])).status).toBe(200);

    const fenced = await a.commit([{ topic: 'fence', partition: 0, offset: '11' }], 7);
    expect(fenced.status).toBe(409);
    expect(fenced.body.error).toMatchObject({ code: 'FENCED_MEMBER_EPOCH', retriable: false });

    const unknown = await http.post(`/v1/groups/${group}/offsets`, {
      memberId: 'nobody',
      memberEpoch: 1,
      offsets: [{ topic: 'fence', partition: 0, offset: '12' }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('UNKNOWN_MEMBER_ID');

    // b joins; a gives up one partition (revoke first), then moves to epoch 2; b gets it.
    const b = new Member(group, { topics: ['fence'] });
    await b.heartbeat();
    await a.heartbeat();
    expect(a.epoch).toBe(1);
    const [given] = ['fence-0', 'fence-1'].filter((k) => !a.keys().includes(k));
    const givenPartition = Number(given?.split('-')[1]);
    // While a still holds it (has not reported releasing it), a may commit it.
    expect((await a.commit([{ topic: 'fence', partition: givenPartition, offset: '20' }], 1)).status).toBe(
      200,
    );
    await a.heartbeat();
    expect(a.epoch).toBe(2);
    await b.heartbeat();
    expect(b.keys()).toEqual([given]);

    // a's commit at its old epoch for the partition it gave away: stale.
    const stale = await a.commit([{ topic: 'fence', partition: givenPartition, offset: '21' }], 1);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STALE_MEMBER_EPOCH');
    // ... and at its current epoch it does not own it either.
    const notOwned = await a.commit([{ topic: 'fence', partition: givenPartition, offset: '21' }]);
    expect(notOwned.body.error.code).toBe('STALE_MEMBER_EPOCH');
    // b owns it since epoch 2: a commit at epoch 1 is stale, at 2 fine.
    expect(
      (await b.commit([{ topic: 'fence', partition: givenPartition, offset: '22' }], 1)).body.error.code,
    ).toBe('STALE_MEMBER_EPOCH');
    expect((await b.commit([{ topic: 'fence', partition: givenPartition, offset: '22' }])).status).toBe(200);
    // a's older epoch still covers the partition it kept throughout.
    const kept = 1 - givenPartition;
    expect((await a.commit([{ topic: 'fence', partition: kept, offset: '30' }], 1)).status).toBe(200);

    // Bad input changes nothing.
    for (const bad of [
      {
        memberId: a.memberId,
        memberEpoch: a.epoch,
        offsets: [{ topic: 'fence', partition: kept, offset: '-1' }],
      },
      {
        memberId: a.memberId,
        memberEpoch: a.epoch,
        offsets: [{ topic: 'fence', partition: kept, offset: 'x' }],
      },
      { memberId: a.memberId, memberEpoch: a.epoch, offsets: [] },
      { memberId: a.memberId, offsets: [{ topic: 'fence', partition: kept, offset: '1' }] },
    ]) {
      const res = await http.post(`/v1/groups/${group}/offsets`, bad);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    const big = await a.commit([
      { topic: 'fence', partition: kept, offset: '1', metadata: 'x'.repeat(4097) } as never,
    ]);
    expect(big.body.error.code).toBe('OFFSET_METADATA_TOO_LARGE');

    const offsets = (await http.get(`/v1/groups/${group}/offsets`)).body.offsets;
    expect(offsets).toEqual([
      { topic: 'fence', partition: 0, offset: givenPartition === 0 ? '22' : '30' },
      { topic: 'fence', partition: 1, offset: givenPartition === 1 ? '22' : '30' },
    ]);
  });

  it('refuses a commit at an epoch older than the one since which the member owns the partition', async () => {
    await createTopic('regained', 2);
    const group = 'regained-group';
    const a = new Member(group, { topics: ['regained'] });
    await a.heartbeat();
    expect(a.epoch).toBe(1);
    // b joins; a gives one partition away (revoke first), and moves to epoch 2.
    const b = new Member(group, { topics: ['regained'] });
    await b.heartbeat();
    await a.heartbeat();
    await a.heartbeat();
    expect(a.epoch).toBe(2);
    const [kept] = a.holdings[0]?.partitions ?? [];
    const given = 1 - (kept as number);
    await b.heartbeat();
    expect(b.keys()).toEqual([`regained-${given}`]);
    expect((await b.commit([{ topic: 'regained', partition: given, offset: '50' }])).status).toBe(200);
    // b leaves: a takes the partition back in the heartbeat that moves it to epoch 3.
    await b.leave();
    await a.heartbeat();
    expect(a.epoch).toBe(3);
    expect(a.keys()).toEqual(['regained-0', 'regained-1']);

    // A commit a sent before it gave the partition away (or while b had it) arrives now: refused,
    // or it would move the group back over what b processed.
    for (const epoch of [1, 2]) {
      const late = await a.commit([{ topic: 'regained', partition: given, offset: '10' }], epoch);
      expect(late.status, `epoch ${epoch}`).toBe(409);
      expect(late.body.error.code, `epoch ${epoch}`).toBe('STALE_MEMBER_EPOCH');
    }
    expect((await http.get(`/v1/groups/${group}/offsets?topic=regained`)).body.offsets).toContainEqual({
      topic: 'regained',
      partition: given,
      offset: '50',
    });
    // The partition it kept throughout is still covered by its first epoch; the other, from epoch 3.
    expect((await a.commit([{ topic: 'regained', partition: kept as number, offset: '7' }], 1)).status).toBe(
      200,
    );
    expect((await a.commit([{ topic: 'regained', partition: given, offset: '60' }], 3)).status).toBe(200);
    expect((await http.get(`/v1/groups/${group}/offsets`)).body.offsets).toEqual([
      { topic: 'regained', partition: 0, offset: given === 0 ? '60' : '7' },
      { topic: 'regained', partition: 1, offset: given === 1 ? '60' : '7' },
    ]);

    // c joins: a must give one partition up, and until it has, still owns it since the same epoch.
    const c = new Member(group, { topics: ['regained'] });
    await c.heartbeat();
    await a.heartbeat();
    expect(a.epoch).toBe(3);
    expect(a.keys()).toHaveLength(1);
    for (const [partition, since] of [
      [kept as number, 1],
      [given, 3],
    ] as const) {
      const late = await a.commit([{ topic: 'regained', partition, offset: '8' }], since - 1);
      expect(late.body.error?.code, `partition ${partition} at ${since - 1}`).toBe('STALE_MEMBER_EPOCH');
      expect((await a.commit([{ topic: 'regained', partition, offset: '9' }], since)).status).toBe(200);
    }
  });

  it('removes a member silent past its session timeout, on the next heartbeat of anyone', async () => {
    await createTopic('sessions', 4);
    const group = 'session-group';
    const a = new Member(group, { topics: ['sessions'] });
    const b = new Member(group, { topics: ['sessions'] });
    await a.heartbeat();
    await b.heartbeat();
    await untilStable([a, b], group);
    expect(a.keys()).toHaveLength(2);

    clock += 30_000;
    await b.heartbeat();
    clock += 15_001; // a: 45.001 s of silence; b: 15 s.
    await b.heartbeat();
    await b.heartbeat();
    expect(b.keys()).toEqual(['sessions-0', 'sessions-1', 'sessions-2', 'sessions-3']);
    const d = (await http.get(`/v1/groups/${group}`)).body;
    expect(d.members.map((m: JsonBody) => m.memberId)).toEqual([b.memberId]);

    const hb = await http.post(`/v1/groups/${group}/heartbeat`, {
      memberId: a.memberId,
      memberEpoch: a.epoch,
    });
    expect(hb.status).toBe(404);
    expect(hb.body.error.code).toBe('UNKNOWN_MEMBER_ID');
    expect((await a.commit([{ topic: 'sessions', partition: 0, offset: '1' }])).body.error.code).toBe(
      'UNKNOWN_MEMBER_ID',
    );

    // With nobody heartbeating, describe still shows the silent member gone.
    clock += 45_001;
    const empty = (await http.get(`/v1/groups/${group}`)).body;
    expect(empty.state).toBe('Empty');
    expect(empty.members).toEqual([]);
    // A session timeout from the heartbeat applies to that member.
    const c = new Member(group, { topics: ['sessions'] }, { sessionTimeoutMs: 5_000 });
    await c.heartbeat();
    clock += 5_001;
    expect((await http.get(`/v1/groups/${group}`)).body.state).toBe('Empty');
  });

  it('describes lag, resets offsets only while the group is empty, and deletes empty groups', async () => {
    await createTopic('lagged', 2);
    const group = 'lag-group';
    const produced = await http.post('/v1/topics/lagged/records', {
      records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
    });
    expect(produced.status).toBe(200);
    const a = new Member(group, { topics: ['lagged'] }, { clientId: 'lag-client' });
    await a.heartbeat();
    expect((await a.commit([{ topic: 'lagged', partition: 0, offset: '3' }])).status).toBe(200);

    const d = (await http.get(`/v1/groups/${group}`)).body;
    expect(d).toMatchObject({
      groupId: group,
      state: 'Stable',
      type: 'consumer',
      protocolType: 'consumer',
      protocolName: 'uniform',
      groupEpoch: 1,
    });
    expect(d.members).toEqual([
      expect.objectContaining({
        memberId: a.memberId,
        memberEpoch: 1,
        clientId: 'lag-client',
        assignment: [{ topic: 'lagged', partitions: [0, 1] }],
      }),
    ]);
    expect(d.offsets).toEqual([
      {
        topic: 'lagged',
        partition: 0,
        committedOffset: '3',
        logEndOffset: '5',
        lag: '2',
        memberId: a.memberId,
      },
      {
        topic: 'lagged',
        partition: 1,
        committedOffset: null,
        logEndOffset: '5',
        lag: null,
        memberId: a.memberId,
      },
    ]);
    expect((await http.get('/v1/groups')).body.groups).toContainEqual({
      groupId: group,
      state: 'Stable',
      type: 'consumer',
      protocolType: 'consumer',
      groupEpoch: 1,
      members: 1,
    });

    // Not while a member is live.
    const busy = await http.post(`/v1/groups/${group}/offsets/reset`, { topic: 'lagged', to: 'earliest' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('NON_EMPTY_GROUP');
    const busyDelete = await http.delete(`/v1/groups/${group}`);
    expect(busyDelete.status).toBe(409);
    expect(busyDelete.body.error.code).toBe('NON_EMPTY_GROUP');

    await a.leave();
    const dry = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'latest',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.offsets).toEqual([
      { topic: 'lagged', partition: 0, before: '3', after: '5' },
      { topic: 'lagged', partition: 1, before: null, after: '5' },
    ]);
    expect((await http.get(`/v1/groups/${group}/offsets`)).body.offsets).toEqual([
      { topic: 'lagged', partition: 0, offset: '3' },
    ]);

    const earliest = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'earliest',
    });
    expect(earliest.body.offsets.map((o: JsonBody) => o.after)).toEqual(['0', '0']);
    // Exact offsets are clamped to the log; per-partition offsets are KafkaJS's setOffsets.
    const exact = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'offset',
      value: '99',
    });
    expect(exact.body.offsets).toEqual([
      { topic: 'lagged', partition: 0, before: '0', after: '5' },
      { topic: 'lagged', partition: 1, before: '0', after: '5' },
    ]);
    const set = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'offset',
      offsets: [{ partition: 1, offset: '2' }],
    });
    expect(set.body.offsets).toEqual([{ topic: 'lagged', partition: 1, before: '5', after: '2' }]);
    // By timestamp: every record is older than now + 1 h, so the log end; and all are newer than 0.
    const future = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'timestamp',
      value: Date.now() + 3_600_000,
    });
    expect(future.body.offsets.map((o: JsonBody) => o.after)).toEqual(['5', '5']);
    const past = await http.post(`/v1/groups/${group}/offsets/reset`, {
      topic: 'lagged',
      to: 'timestamp',
      value: 0,
    });
    expect(past.body.offsets.map((o: JsonBody) => o.after)).toEqual(['0', '0']);

    const lag = (await http.get(`/v1/groups/${group}`)).body;
    expect(lag.state).toBe('Empty');
    expect(lag.offsets.map((o: JsonBody) => o.lag)).toEqual(['5', '5']);

    for (const [body, code] of [
      [{ topic: 'lagged', to: 'timestamp' }, 'INVALID_REQUEST'],
      [
        { topic: 'lagged', to: 'offset', partitions: [0, 1], offsets: [{ partition: 0, offset: '1' }] },
        'INVALID_REQUEST',
      ],
      [{ topic: 'lagged', to: 'latest', offsets: [{ partition: 0, offset: '1' }] }, 'INVALID_REQUEST'],
      [{ topic: 'lagged', to: 'sideways' }, 'INVALID_REQUEST'],
      [{ topic: 'lagged', to: 'earliest', partitions: [7] }, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [{ topic: 'nope', to: 'earliest' }, 'UNKNOWN_TOPIC_OR_PARTITION'],
    ] as const) {
      const res = await http.post(`/v1/groups/${group}/offsets/reset`, body);
      expect(res.body.error?.code, JSON.stringify(body)).toBe(code);
    }

    // A reset creates a group that did not exist, as Kafka does.
    const fresh = await http.post('/v1/groups/new-group/offsets/reset', { topic: 'lagged', to: 'latest' });
    expect(fresh.status).toBe(200);
    expect((await http.get('/v1/groups/new-group')).body.state).toBe('Empty');

    expect((await http.delete(`/v1/groups/${group}`)).status).toBe(204);
    expect((await http.get(`/v1/groups/${group}`)).body.error.code).toBe('GROUP_ID_NOT_FOUND');
    expect((await http.get(`/v1/groups/${group}/offsets`)).body.offsets).toEqual([]);
    expect((await http.delete(`/v1/groups/${group}`)).status).toBe(404);
    const listed = (await http.get('/v1/groups')).body.groups.map((g: JsonBody) => g.groupId);
    expect(listed).not.toContain(group);
    expect(listed).toContain('new-group');

    // Recreated under the same id, the group starts without the old offsets.
    const again = new Member(group, { topics: ['lagged'] });
    await again.heartbeat();
    expect((await http.get(`/v1/groups/${group}/offsets`)).body.offsets).toEqual([]);
  });

  it('static members, pattern subscriptions and new topics', async () => {
    await createTopic('metrics-eu', 2);
    const group = 'pattern-group';
    const a = new Member(group, { topicPattern: '^metrics-' }, { instanceId: 'host-1' });
    await a.heartbeat();
    expect(a.keys()).toEqual(['metrics-eu-0', 'metrics-eu-1']);
    await createTopic('metrics-us', 1);
    await a.heartbeat();
    expect(a.keys()).toEqual(['metrics-eu-0', 'metrics-eu-1', 'metrics-us-0']);

    // A second process with the same instance id while the first is live: refused.
    const dup = await http.post(`/v1/groups/${group}/heartbeat`, {
      memberEpoch: 0,
      topicPattern: '^metrics-',
      instanceId: 'host-1',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('UNRELEASED_INSTANCE_ID');
    // A temporary leave (-2) keeps the partitions for the restarted process.
    const left = await http.post(`/v1/groups/${group}/heartbeat`, {
      memberId: a.memberId,
      memberEpoch: -2,
      instanceId: 'host-1',
    });
    expect(left.body.memberEpoch).toBe(-2);
    const restarted = new Member(group, { topicPattern: '^metrics-' }, { instanceId: 'host-1' });
    await restarted.heartbeat();
    expect(restarted.memberId).not.toBe(a.memberId);
    expect(restarted.epoch).toBe(a.epoch);
    expect(restarted.keys()).toEqual(a.keys());
  });

  it('commits and resets more partitions than one transaction holds', async () => {
    await createTopic('wide', 150);
    const group = 'wide-group';
    const m = new Member(group, { topics: ['wide'] });
    await m.heartbeat();
    const all = Array.from({ length: 150 }, (_, partition) => ({ topic: 'wide', partition, offset: '0' }));
    expect((await m.commit(all)).status).toBe(200);
    expect((await http.get(`/v1/groups/${group}/offsets`)).body.offsets).toHaveLength(150);
    await m.leave();
    const reset = await http.post(`/v1/groups/${group}/offsets/reset`, { topic: 'wide', to: 'latest' });
    expect(reset.status).toBe(200);
    expect(reset.body.offsets).toHaveLength(150);
    const d = (await http.get(`/v1/groups/${group}`)).body;
    expect(d.offsets).toHaveLength(150);
    expect(d.offsets.every((o: JsonBody) => o.committedOffset === '0' && o.lag === '0')).toBe(true);
  });

  it('rejects bad input with typed 4xx errors and creates nothing', async () => {
    const before = (await http.get('/v1/groups')).body.groups;
    const cases: [string, string, unknown, number, string][] = [
      [
        'POST',
        `/v1/groups/${'g'.repeat(250)}/heartbeat`,
        { memberEpoch: 0, topics: ['x'] },
        400,
        'INVALID_GROUP_ID',
      ],
      ['POST', '/v1/groups/bad%20id/heartbeat', { memberEpoch: 0, topics: ['x'] }, 400, 'INVALID_GROUP_ID'],
      ['GET', `/v1/groups/${'g'.repeat(250)}`, undefined, 400, 'INVALID_GROUP_ID'],
      ['POST', '/v1/groups/bad/heartbeat', { memberEpoch: 0, topicPattern: '(' }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', { memberEpoch: 0 }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', { topics: ['x'] }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', { memberEpoch: '0', topics: ['x'] }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', { memberEpoch: -3, topics: ['x'] }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', { memberEpoch: 4, topics: ['x'] }, 400, 'INVALID_REQUEST'],
      ['POST', '/v1/groups/bad/heartbeat', '{"memberEpoch":', 400, 'INVALID_REQUEST'],
      [
        'POST',
        '/v1/groups/bad/heartbeat',
        { memberEpoch: 0, topics: ['x'], sessionTimeoutMs: 1 },
        400,
        'INVALID_REQUEST',
      ],
      ['POST', '/v1/groups/bad/heartbeat', { memberId: 'm', memberEpoch: 3 }, 404, 'UNKNOWN_MEMBER_ID'],
      ['POST', '/v1/groups/bad/offsets/reset', { to: 'earliest' }, 400, 'INVALID_REQUEST'],
      ['DELETE', '/v1/groups/bad', undefined, 404, 'GROUP_ID_NOT_FOUND'],
      ['GET', '/v1/groups/bad', undefined, 404, 'GROUP_ID_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await http.request(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error.code, `${method} ${path}`).toBe(code);
    }
    // A leave from a member that is not there is not an error (a retried leave).
    const leave = await http.post('/v1/groups/bad/heartbeat', { memberId: 'm', memberEpoch: -1 });
    expect(leave.status).toBe(200);
    expect((await http.get('/v1/groups')).body.groups).toEqual(before);
  });
});
