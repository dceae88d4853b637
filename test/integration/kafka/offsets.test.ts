/**
 * Simple (group-less) consumers and group admin over the Kafka protocol: FindCoordinator,
 * OffsetCommit, OffsetFetch, ListGroups, DescribeGroups and DeleteGroups on raw frames at every
 * served version, the membership and SASL APIs answered with errors, then the same through
 * kafkajs' admin, confluent-kafka and kafka-python. HTTP groups and Kafka commits share one store.
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import type { Admin as KafkajsAdmin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ServerErrorCode } from '../../../lib/contract/errors.js';
import { decodeAssignment, decodeSubscription } from '../../../lib/kafka/protocol/consumer-protocol.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { runPythonSource } from '../../support/kafka-clients.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { kafkajsClient, withConnected } from '../../support/kafkajs.js';

const ctx = useTestGateway();
const code = (name: ServerErrorCode) => ERRORS[name].kafkaCode;

const K = {
  ApiVersions: APIS.ApiVersions.key,
  FindCoordinator: APIS.FindCoordinator.key,
  OffsetCommit: APIS.OffsetCommit.key,
  OffsetFetch: APIS.OffsetFetch.key,
  ListGroups: APIS.ListGroups.key,
  DescribeGroups: APIS.DescribeGroups.key,
  DeleteGroups: APIS.DeleteGroups.key,
} as const;

let wire: KafkaWire;
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function createTopic(partitions = 2): Promise<string> {
  const name = unique('t');
  const res = await ctx.http.post('/v1/topics', { name, partitions });
  expect(res.status).toBe(201);
  return name;
}

async function produce(topic: string, partition: number, count: number): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition }));
  const res = await ctx.http.post(`/v1/topics/${topic}/records`, { records });
  expect(res.status).toBe(200);
}

interface Entry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** OffsetCommit at `version`: the error code of each partition, as `topic-partition`. */
async function commit(
  version: number,
  groupId: string,
  entries: Entry[],
  member: { generation: number; memberId: string } = { generation: -1, memberId: '' },
): Promise<Record<string, number>> {
  const topics = [...new Set(entries.map((e) => e.topic))].map((name) => ({
    name,
    partitions: entries
      .filter((e) => e.topic === name)
      .map((e) => ({
        partitionIndex: e.partition,
        committedOffset: BigInt(e.offset),
        committedLeaderEpoch: 0,
        committedMetadata: e.metadata === undefined ? null : e.metadata,
      })),
  }));
  const res = await wire.request(K.OffsetCommit, version, {
    groupId,
    generationIdOrMemberEpoch: member.generation,
    memberId: member.memberId,
    topics,
  });
  return Object.fromEntries(
    res.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.errorCode])),
  );
}

interface Fetched {
  errorCode: number;
  offsets: Record<
    string,
    { offset: number; metadata: string | null; leaderEpoch: number; errorCode: number }
  >;
}

/** OffsetFetch at `version` for one group; `topics` null asks for all (v2+). */
async function fetch(
  version: number,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
  member?: { memberId: string; memberEpoch: number },
): Promise<Fetched> {
  const flatten = (
    ts: {
      name: string;
      partitions: {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        metadata: string | null;
        errorCode: number;
      }[];
    }[],
  ) =>
    Object.fromEntries(
      ts.flatMap((t) =>
        t.partitions.map((p) => [
          `${t.name}-${p.partitionIndex}`,
          {
            offset: Number(p.committedOffset),
            metadata: p.metadata,
            leaderEpoch: p.committedLeaderEpoch,
            errorCode: p.errorCode,
          },
        ]),
      ),
    );
  if (version >= 8) {
    const res = await wire.request(K.OffsetFetch, version, {
      groups: [{ groupId, topics, ...(member ?? {}) }],
      requireStable: true,
    });
    const [g] = res.groups;
    if (!g) throw new Error('no group in the answer');
    return { errorCode: g.errorCode, offsets: flatten(g.topics) };
  }
  const res = await wire.request(K.OffsetFetch, version, { groupId, topics, requireStable: true });
  return { errorCode: res.errorCode, offsets: flatten(res.topics) };
}

async function httpOffsets(groupId: string): Promise<{ topic: string; partition: number; offset: string }[]> {
  const res = await ctx.http.get(`/v1/groups/${groupId}/offsets`);
  expect(res.status).toBe(200);
  return res.body.offsets;
}

/** A KIP-848 member over HTTP, joined and settled on its assignment. */
async function httpMember(groupId: string, topic: string, clientId = 'http-client') {
  const join = await ctx.http.post(`/v1/groups/${groupId}/heartbeat`, {
    memberEpoch: 0,
    topics: [topic],
    clientId,
  });
  expect(join.status).toBe(200);
  let { memberId, memberEpoch, assignment } = join.body;
  for (let i = 0; i < 5; i++) {
    const hb = await ctx.http.post(`/v1/groups/${groupId}/heartbeat`, {
      memberId,
      memberEpoch,
      ownedPartitions: assignment,
    });
    expect(hb.status).toBe(200);
    if (
      hb.body.memberEpoch === memberEpoch &&
      JSON.stringify(hb.body.assignment) === JSON.stringify(assignment)
    )
      break;
    ({ memberEpoch, assignment } = hb.body);
  }
  return {
    memberId: memberId as string,
    memberEpoch: memberEpoch as number,
    assignment: assignment as { topic: string; partitions: number[] }[],
    leave: async () => {
      const res = await ctx.http.post(`/v1/groups/${groupId}/heartbeat`, { memberId, memberEpoch: -1 });
      expect(res.status).toBe(200);
    },
  };
}

beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
});
afterAll(() => wire?.close());

describe('advertised', () => {
  it('serves the group admin and offset APIs, and does not advertise membership or SASL', async () => {
    const res = await wire.request(K.ApiVersions, 3, {
      clientSoftwareName: 'strata-test',
      clientSoftwareVersion: '1',
    });
    const ranges = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges[K.FindCoordinator]).toEqual([0, 6]);
    expect(ranges[K.OffsetCommit]).toEqual([2, 9]);
    expect(ranges[K.OffsetFetch]).toEqual([1, 9]);
    expect(ranges[K.ListGroups]).toEqual([0, 5]);
    expect(ranges[K.DescribeGroups]).toEqual([0, 5]);
    expect(ranges[K.DeleteGroups]).toEqual([0, 2]);
    expect(ranges[APIS.InitProducerId.key]).toEqual([0, 5]);
    // Classic membership is served (test/integration/kafka/classic-groups.test.ts).
    expect(ranges[APIS.JoinGroup.key]).toEqual([0, 9]);
    expect(ranges[APIS.SyncGroup.key]).toEqual([0, 5]);
    expect(ranges[APIS.Heartbeat.key]).toEqual([0, 4]);
    expect(ranges[APIS.LeaveGroup.key]).toEqual([0, 5]);
    // Advertised on every listener, as Kafka does (a PLAINTEXT listener answers ILLEGAL_SASL_STATE).
    expect(ranges[APIS.SaslHandshake.key]).toEqual([0, 1]);
    expect(ranges[APIS.SaslAuthenticate.key]).toEqual([0, 2]);
  });
});

describe('FindCoordinator', () => {
  it('v0-3: node 0 at the advertised address for a group', async () => {
    const [host, port] = ctx.bootstrap.split(':');
    for (let v = 0; v <= 3; v++) {
      const res = await wire.request(K.FindCoordinator, v, { key: 'my-group', keyType: 0 });
      expect(res, `v${v}`).toMatchObject({ errorCode: 0, nodeId: 0, host, port: Number(port) });
    }
  });

  it('v1-3: a transaction key gets COORDINATOR_NOT_AVAILABLE, an invalid group INVALID_GROUP_ID', async () => {
    const txn = await wire.request(K.FindCoordinator, 3, { key: 'txn-1', keyType: 1 });
    expect(txn).toMatchObject({ errorCode: code('COORDINATOR_NOT_AVAILABLE'), nodeId: -1 });
    expect(txn.errorMessage).toMatch(/transactions/);
    const bad = await wire.request(K.FindCoordinator, 1, { key: '', keyType: 0 });
    expect(bad.errorCode).toBe(code('INVALID_GROUP_ID'));
  });

  it('v4-6: one answer per key, each with its own error', async () => {
    for (let v = 4; v <= 6; v++) {
      const groups = await wire.request(K.FindCoordinator, v, {
        keyType: 0,
        coordinatorKeys: ['a', 'b.c', 'not a valid id'],
      });
      expect(groups.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([
        ['a', 0, 0],
        ['b.c', 0, 0],
        ['not a valid id', code('INVALID_GROUP_ID'), -1],
      ]);
      const txns = await wire.request(K.FindCoordinator, v, { keyType: 1, coordinatorKeys: ['x'] });
      expect(txns.coordinators[0]?.errorCode).toBe(code('COORDINATOR_NOT_AVAILABLE'));
    }
  });
});

describe('OffsetCommit and OffsetFetch for simple consumers', () => {
  it('every commit version 2-9 is read back by every fetch version 1-9, metadata kept', async () => {
    const topic = await createTopic();
    for (let cv = 2; cv <= 9; cv++) {
      const group = unique('g');
      const codes = await commit(cv, group, [
        { topic, partition: 0, offset: 100 + cv, metadata: `meta-${cv}` },
        { topic, partition: 1, offset: 200 + cv, metadata: null },
      ]);
      expect(codes, `commit v${cv}`).toEqual({ [`${topic}-0`]: 0, [`${topic}-1`]: 0 });
      for (let fv = 1; fv <= 9; fv++) {
        const got = await fetch(fv, group, [{ name: topic, partitionIndexes: [0, 1] }]);
        expect(got.errorCode).toBe(0);
        expect(got.offsets, `commit v${cv}, fetch v${fv}`).toEqual({
          [`${topic}-0`]: { offset: 100 + cv, metadata: `meta-${cv}`, leaderEpoch: -1, errorCode: 0 },
          [`${topic}-1`]: { offset: 200 + cv, metadata: '', leaderEpoch: -1, errorCode: 0 },
        });
      }
    }
  });

  it('a later commit replaces the offset; null topics (v2+) fetch all of the group, -1 where none', async () => {
    const [a, b] = [await createTopic(), await createTopic(3)];
    const group = unique('g');
    expect(await commit(5, group, [{ topic: a, partition: 1, offset: 4 }])).toEqual({ [`${a}-1`]: 0 });
    expect(
      await commit(8, group, [
        { topic: a, partition: 1, offset: 9, metadata: 'again' },
        { topic: b, partition: 2, offset: 1 },
      ]),
    ).toEqual({ [`${a}-1`]: 0, [`${b}-2`]: 0 });
    for (const v of [2, 7, 8, 9]) {
      const all = await fetch(v, group, null);
      expect(all.offsets, `v${v}`).toEqual({
        [`${a}-1`]: { offset: 9, metadata: 'again', leaderEpoch: -1, errorCode: 0 },
        [`${b}-2`]: { offset: 1, metadata: '', leaderEpoch: -1, errorCode: 0 },
      });
    }
    const some = await fetch(6, group, [{ name: b, partitionIndexes: [0, 2] }]);
    expect(some.offsets).toEqual({
      [`${b}-0`]: { offset: -1, metadata: '', leaderEpoch: -1, errorCode: 0 },
      [`${b}-2`]: { offset: 1, metadata: '', leaderEpoch: -1, errorCode: 0 },
    });
    // An unknown group has no offsets, and is no error.
    const none = await fetch(1, unique('nobody'), [{ name: a, partitionIndexes: [0] }]);
    expect(none.offsets[`${a}-0`]).toMatchObject({ offset: -1, errorCode: 0 });
    expect((await fetch(9, unique('nobody'), null)).offsets).toEqual({});
  });

  it('answers per partition: unknown topics and partitions, oversized metadata; the rest is committed', async () => {
    const topic = await createTopic(2);
    const group = unique('g');
    const ghost = unique('ghost');
    const codes = await commit(7, group, [
      { topic, partition: 0, offset: 3, metadata: 'ok' },
      { topic, partition: 2, offset: 3 },
      { topic: ghost, partition: 0, offset: 3 },
      { topic, partition: 1, offset: 3, metadata: 'x'.repeat(4097) },
    ]);
    expect(codes).toEqual({
      [`${topic}-0`]: 0,
      [`${topic}-2`]: code('UNKNOWN_TOPIC_OR_PARTITION'),
      [`${ghost}-0`]: code('UNKNOWN_TOPIC_OR_PARTITION'),
      [`${topic}-1`]: code('OFFSET_METADATA_TOO_LARGE'),
    });
    expect((await fetch(7, group, null)).offsets).toEqual({
      [`${topic}-0`]: { offset: 3, metadata: 'ok', leaderEpoch: -1, errorCode: 0 },
    });
    // Metadata of exactly the limit is kept whole.
    expect(await commit(9, group, [{ topic, partition: 1, offset: 5, metadata: 'y'.repeat(4096) }])).toEqual({
      [`${topic}-1`]: 0,
    });
    expect(
      (await fetch(9, group, [{ name: topic, partitionIndexes: [1] }])).offsets[`${topic}-1`]?.metadata,
    ).toBe('y'.repeat(4096));
  });

  it('an invalid group id fails the whole request with INVALID_GROUP_ID', async () => {
    const topic = await createTopic(1);
    expect(await commit(2, 'no spaces', [{ topic, partition: 0, offset: 1 }])).toEqual({
      [`${topic}-0`]: code('INVALID_GROUP_ID'),
    });
    expect((await fetch(3, 'no spaces', null)).errorCode).toBe(code('INVALID_GROUP_ID'));
    // v1 has no top-level error code: it goes on the partitions.
    const v1 = await fetch(1, 'no spaces', [{ name: topic, partitionIndexes: [0] }]);
    expect(v1.offsets[`${topic}-0`]?.errorCode).toBe(code('INVALID_GROUP_ID'));
  });

  it('versions below the served ranges (OffsetCommit v0-1, OffsetFetch v0) get UNSUPPORTED_VERSION per partition', async () => {
    const topic = await createTopic(1);
    const group = unique('old');
    for (const v of [0, 1]) {
      expect(await commit(v, group, [{ topic, partition: 0, offset: 1 }]), `v${v}`).toEqual({
        [`${topic}-0`]: code('UNSUPPORTED_VERSION'),
      });
    }
    const v0 = await wire.request(K.OffsetFetch, 0, {
      groupId: group,
      topics: [{ name: topic, partitionIndexes: [0] }],
    });
    expect(v0.topics[0]?.partitions[0]).toMatchObject({
      committedOffset: -1n,
      errorCode: code('UNSUPPORTED_VERSION'),
    });
    expect(await httpOffsets(group)).toEqual([]);
    expect(wire.isClosed()).toBe(false);
  });

  it('v8+ fetches several groups in one request, each with its own answer', async () => {
    const topic = await createTopic(1);
    const [g1, g2] = [unique('g'), unique('g')];
    await commit(8, g1, [{ topic, partition: 0, offset: 11 }]);
    const res = await wire.request(K.OffsetFetch, 8, {
      groups: [
        { groupId: g1, topics: null },
        { groupId: g2, topics: [{ name: topic, partitionIndexes: [0] }] },
        { groupId: '', topics: null },
      ],
      requireStable: false,
    });
    expect(
      res.groups.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) => t.partitions.map((p) => Number(p.committedOffset))),
      ]),
    ).toEqual([
      [g1, 0, [11]],
      [g2, 0, [-1]],
      ['', code('INVALID_GROUP_ID'), []],
    ]);
  });
});

describe('Kafka commits and HTTP groups share one store', () => {
  it('a commit over Kafka is read over HTTP, and an HTTP reset over Kafka', async () => {
    const topic = await createTopic(1);
    await produce(topic, 0, 10);
    const group = unique('g');
    expect(await commit(7, group, [{ topic, partition: 0, offset: 7, metadata: 'from kafka' }])).toEqual({
      [`${topic}-0`]: 0,
    });
    expect(await httpOffsets(group)).toEqual([{ topic, partition: 0, offset: '7', metadata: 'from kafka' }]);

    const reset = await ctx.http.post(`/v1/groups/${group}/offsets/reset`, { topic, to: 'offset', value: 3 });
    expect(reset.status).toBe(200);
    expect(
      (await fetch(4, group, [{ name: topic, partitionIndexes: [0] }])).offsets[`${topic}-0`],
    ).toMatchObject({
      offset: 3,
      errorCode: 0,
    });
  });

  it('a group with a live HTTP member refuses a simple commit (UNKNOWN_MEMBER_ID), takes it once empty', async () => {
    const topic = await createTopic(1);
    const group = unique('g');
    const member = await httpMember(group, topic);
    expect(member.assignment).toEqual([{ topic, partitions: [0] }]);
    for (const v of [2, 7, 9]) {
      expect(await commit(v, group, [{ topic, partition: 0, offset: 5 }]), `v${v}`).toEqual({
        [`${topic}-0`]: code('UNKNOWN_MEMBER_ID'),
      });
    }
    expect(await httpOffsets(group)).toEqual([]);

    // The member itself may commit over Kafka, with its member id and epoch (v9's member epoch).
    expect(
      await commit(9, group, [{ topic, partition: 0, offset: 6 }], {
        generation: member.memberEpoch,
        memberId: member.memberId,
      }),
    ).toEqual({ [`${topic}-0`]: 0 });
    // ...but not from a stale epoch, or as somebody else.
    expect(
      await commit(9, group, [{ topic, partition: 0, offset: 6 }], {
        generation: member.memberEpoch + 1,
        memberId: member.memberId,
      }),
    ).toEqual({ [`${topic}-0`]: code('FENCED_MEMBER_EPOCH') });
    expect(
      await commit(9, group, [{ topic, partition: 0, offset: 6 }], { generation: 1, memberId: 'stranger' }),
    ).toEqual({ [`${topic}-0`]: code('UNKNOWN_MEMBER_ID') });

    // OffsetFetch v9 checks a member that names itself; anonymous fetches are always answered.
    const own = await fetch(9, group, null, { memberId: member.memberId, memberEpoch: member.memberEpoch });
    expect(own.offsets[`${topic}-0`]?.offset).toBe(6);
    const stale = await fetch(9, group, null, {
      memberId: member.memberId,
      memberEpoch: member.memberEpoch - 1,
    });
    expect(stale.errorCode).toBe(code('STALE_MEMBER_EPOCH'));
    expect((await fetch(9, group, null, { memberId: 'stranger', memberEpoch: 3 })).errorCode).toBe(
      code('UNKNOWN_MEMBER_ID'),
    );

    await member.leave();
    expect(await commit(2, group, [{ topic, partition: 0, offset: 8 }])).toEqual({ [`${topic}-0`]: 0 });
    expect(await httpOffsets(group)).toEqual([{ topic, partition: 0, offset: '8' }]);
  });
});

describe('ListGroups, DescribeGroups, DeleteGroups', () => {
  let topic: string;
  let empty: string;
  let live: string;
  let member: Awaited<ReturnType<typeof httpMember>>;

  beforeAll(async () => {
    topic = await createTopic(2);
    empty = unique('empty');
    live = unique('live');
    expect(await commit(5, empty, [{ topic, partition: 0, offset: 1 }])).toEqual({ [`${topic}-0`]: 0 });
    member = await httpMember(live, topic, 'describe-me');
  });

  it('ListGroups v0-5 lists both; states (v4+) and types (v5) filter, case-insensitively', async () => {
    for (let v = 0; v <= 5; v++) {
      const res = await wire.request(K.ListGroups, v, {});
      expect(res.errorCode).toBe(0);
      const mine = res.groups.filter((g) => g.groupId === empty || g.groupId === live);
      expect(mine.map((g) => g.groupId).sort(), `v${v}`).toEqual([empty, live].sort());
      for (const g of mine) expect(g.protocolType).toBe('consumer');
      if (v >= 4) {
        expect(mine.find((g) => g.groupId === empty)?.groupState).toBe('Empty');
        expect(mine.find((g) => g.groupId === live)?.groupState).toBe('Stable');
      }
      if (v >= 5) for (const g of mine) expect(g.groupType).toBe('consumer');
    }
    const ids = async (v: number, body: { statesFilter?: string[]; typesFilter?: string[] }) =>
      (await wire.request(K.ListGroups, v, body)).groups
        .map((g) => g.groupId)
        .filter((id) => id === empty || id === live);
    expect(await ids(4, { statesFilter: ['empty'] })).toEqual([empty]);
    expect(await ids(4, { statesFilter: ['STABLE', 'Dead'] })).toEqual([live]);
    expect(await ids(5, { typesFilter: ['classic'] })).toEqual([]);
    expect((await ids(5, { typesFilter: ['Consumer'] })).sort()).toEqual([empty, live].sort());
  });

  it('DescribeGroups v0-5: state, protocol type, members with client id and assignment; Dead when unknown', async () => {
    const ghost = unique('ghost');
    for (let v = 0; v <= 5; v++) {
      const res = await wire.request(K.DescribeGroups, v, {
        groups: [live, empty, ghost, 'bad id'],
        includeAuthorizedOperations: true,
      });
      const [l, e, g, bad] = res.groups;
      expect(l).toMatchObject({
        errorCode: 0,
        groupId: live,
        groupState: 'Stable',
        protocolType: 'consumer',
      });
      expect(l?.protocolData).toBe('uniform');
      expect(l?.members).toHaveLength(1);
      const m = l?.members[0];
      expect(m).toMatchObject({ memberId: member.memberId, clientId: 'describe-me' });
      expect(decodeSubscription(m?.memberMetadata as Uint8Array).value.topics).toEqual([topic]);
      expect(decodeAssignment(m?.memberAssignment as Uint8Array).value.assignedPartitions).toEqual([
        { topic, partitions: [0, 1] },
      ]);
      expect(e).toMatchObject({ errorCode: 0, groupId: empty, groupState: 'Empty', members: [] });
      expect(g).toMatchObject({
        errorCode: 0,
        groupId: ghost,
        groupState: 'Dead',
        protocolType: '',
        members: [],
      });
      expect(bad).toMatchObject({ errorCode: code('INVALID_GROUP_ID'), groupId: 'bad id' });
      if (v >= 3) expect(l?.authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8));
    }
  });

  it('DeleteGroups v0-2: NON_EMPTY_GROUP with a live member, GROUP_ID_NOT_FOUND, else gone with its offsets', async () => {
    const ghost = unique('ghost');
    const res = await wire.request(K.DeleteGroups, 0, { groupsNames: [live, ghost, 'bad id'] });
    expect(res.results.map((r) => [r.groupId, r.errorCode])).toEqual([
      [live, code('NON_EMPTY_GROUP')],
      [ghost, code('GROUP_ID_NOT_FOUND')],
      ['bad id', code('INVALID_GROUP_ID')],
    ]);
    for (const v of [1, 2]) {
      const g = unique('g');
      await commit(6, g, [{ topic, partition: 1, offset: 2 }]);
      const deleted = await wire.request(K.DeleteGroups, v, { groupsNames: [g] });
      expect(deleted.results).toEqual([expect.objectContaining({ groupId: g, errorCode: 0 })]);
      expect((await fetch(6, g, null)).offsets).toEqual({});
      const after = await wire.request(K.DescribeGroups, 5, { groups: [g] });
      expect(after.groups[0]?.groupState).toBe('Dead');
    }
    await member.leave();
    const now = await wire.request(K.DeleteGroups, 2, { groupsNames: [live] });
    expect(now.results[0]?.errorCode).toBe(0);
    expect((await ctx.http.get(`/v1/groups/${live}`)).status).toBe(404);
  });
});

describe('SASL on a PLAINTEXT listener: answered ILLEGAL_SASL_STATE on an open connection', () => {
  it.each([
    ['SaslHandshake', 0],
    ['SaslHandshake', 1],
    ['SaslAuthenticate', 0],
    ['SaslAuthenticate', 2],
  ] as const)('%s v%i', async (api, version) => {
    const unsupported = code('UNSUPPORTED_VERSION');
    const key = APIS[api].key;
    switch (api) {
      case 'SaslHandshake': {
        const res = await wire.request(APIS.SaslHandshake.key, version, { mechanism: 'PLAIN' });
        expect(res).toEqual({ errorCode: code('ILLEGAL_SASL_STATE'), mechanisms: [] });
        break;
      }
      case 'SaslAuthenticate': {
        const res = await wire.request(APIS.SaslAuthenticate.key, version, {
          authBytes: new Uint8Array([0]),
        });
        expect(res.errorCode).toBe(code('ILLEGAL_SASL_STATE'));
        break;
      }
    }
    expect(key).toBeGreaterThanOrEqual(0);
    // The connection is still in service.
    const after = await wire.request(K.FindCoordinator, 0, { key: 'still-here' });
    expect(after.errorCode).toBe(0);
    expect(wire.isClosed()).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Real clients.

describe('kafkajs admin', () => {
  /** A kafkajs admin, connected for `fn`. */
  const withAdmin = (fn: (admin: KafkajsAdmin) => Promise<void>) =>
    withConnected(kafkajsClient(ctx.bootstrap, 'strata-kafkajs', { retry: { retries: 2 } }).admin(), fn);

  it('fetchOffsets, listGroups, describeGroups, deleteGroups', async () => {
    const topic = await createTopic(2);
    const group = unique('kjs');
    await commit(4, group, [
      { topic, partition: 0, offset: 12, metadata: 'kafkajs reads this' },
      { topic, partition: 1, offset: 3 },
    ]);
    await withAdmin(async (admin) => {
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(offsets).toEqual([
        {
          topic,
          partitions: [
            { partition: 0, offset: '12', metadata: 'kafkajs reads this' },
            { partition: 1, offset: '3', metadata: null },
          ],
        },
      ]);
      const { groups } = await admin.listGroups();
      expect(groups).toContainEqual({ groupId: group, protocolType: 'consumer' });
      const described = await admin.describeGroups([group, unique('ghost')]);
      expect(described.groups.map((g) => [g.groupId === group, g.state, g.members.length])).toEqual([
        [true, 'Empty', 0],
        [false, 'Dead', 0],
      ]);
      await admin.deleteGroups([group]);
      expect(await httpOffsets(group)).toEqual([]);
      await expect(admin.deleteGroups([group])).rejects.toThrow();
    });
  });

  it('sees offsets an HTTP member committed', async () => {
    const topic = await createTopic(1);
    await produce(topic, 0, 5);
    const group = unique('kjs');
    const member = await httpMember(group, topic);
    const res = await ctx.http.post(`/v1/groups/${group}/offsets`, {
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      offsets: [{ topic, partition: 0, offset: 4, metadata: 'http' }],
    });
    expect(res.status).toBe(200);
    try {
      await withAdmin(async (admin) => {
        expect(await admin.fetchOffsets({ groupId: group, topics: [topic] })).toEqual([
          { topic, partitions: [{ partition: 0, offset: '4', metadata: 'http' }] },
        ]);
        const described = await admin.describeGroups([group]);
        expect(described.groups[0]).toMatchObject({
          groupId: group,
          state: 'Stable',
          protocolType: 'consumer',
        });
        expect(described.groups[0]?.members.map((m) => m.memberId)).toEqual([member.memberId]);
      });
    } finally {
      await member.leave();
    }
  });
});

const CONFLUENT_SIMPLE_CONSUMER = `
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, group, topic = sys.argv[1:4]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
              'api.version.request': True})
c.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
before = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=20)
c.commit(offsets=[TopicPartition(topic, 0, 5), TopicPartition(topic, 1, 9)], asynchronous=False)
after = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=20)
c.close()
print(json.dumps({'before': [p.offset for p in before], 'after': [p.offset for p in after],
                  'errors': [str(p.error) for p in after if p.error]}))
`;

const KAFKA_PYTHON_SIMPLE_CONSUMER = `
import json, sys
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
bootstrap, group, topic = sys.argv[1:4]
c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
tp = TopicPartition(topic, 0)
c.assign([tp])
before = c.committed(tp)
c.commit({tp: OffsetAndMetadata(6, 'from kafka-python')})
after = c.committed(tp)
c.close()
print(json.dumps({'before': before, 'after': after}))
`;

const CONFLUENT_REFUSED = `
import json, sys
from confluent_kafka import Consumer, TopicPartition, KafkaException
bootstrap, group, topic = sys.argv[1:4]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
c.assign([TopicPartition(topic, 0, 0)])
try:
    c.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
    out = {'error': None}
except KafkaException as e:
    out = {'error': e.args[0].name()}
c.close()
print(json.dumps(out))
`;

describe('simple consumers of real clients: assign, commit, committed', () => {
  it('confluent-kafka (librdkafka): OffsetCommit and OffsetFetch, read back over HTTP', async () => {
    const topic = await createTopic(2);
    const group = unique('ck');
    const out = await runPythonSource(CONFLUENT_SIMPLE_CONSUMER, [ctx.bootstrap, group, topic]);
    expect(out).toEqual({ before: [-1001, -1001], after: [5, 9], errors: [] });
    expect(await httpOffsets(group)).toEqual([
      { topic, partition: 0, offset: '5' },
      { topic, partition: 1, offset: '9' },
    ]);
  });

  it('confluent-kafka: a group with a live HTTP member refuses the commit', async () => {
    const topic = await createTopic(1);
    const group = unique('ck');
    const member = await httpMember(group, topic);
    try {
      expect(await runPythonSource(CONFLUENT_REFUSED, [ctx.bootstrap, group, topic])).toEqual({
        error: 'UNKNOWN_MEMBER_ID',
      });
    } finally {
      await member.leave();
    }
    expect(await httpOffsets(group)).toEqual([]);
  });

  it('kafka-python (OffsetCommit v2, OffsetFetch v1): metadata kept, read back over HTTP', async () => {
    const topic = await createTopic(1);
    const group = unique('kp');
    const out = await runPythonSource(KAFKA_PYTHON_SIMPLE_CONSUMER, [ctx.bootstrap, group, topic]);
    expect(out).toEqual({ before: null, after: 6 });
    expect(await httpOffsets(group)).toEqual([
      { topic, partition: 0, offset: '6', metadata: 'from kafka-python' },
    ]);
  });
});

const KAFKA_PYTHON_ADMIN = `
import json, sys
from kafka import KafkaAdminClient
bootstrap, group = sys.argv[1:3]
a = KafkaAdminClient(bootstrap_servers=bootstrap)
listed = [list(g) for g in a.list_consumer_groups() if g[0] == group]
[d] = a.describe_consumer_groups([group])
a.close()
print(json.dumps({'listed': listed, 'state': d.state, 'protocol_type': d.protocol_type,
  'members': [{'member_id': m.member_id, 'client_id': m.client_id,
               'subscription': list(m.member_metadata.subscription),
               'assignment': [[t, list(ps)] for t, ps in m.member_assignment.assignment]}
              for m in d.members]}))
`;

const CONFLUENT_LIST_GROUPS = `
import json, sys
from confluent_kafka.admin import AdminClient
bootstrap, group = sys.argv[1:3]
[g] = AdminClient({'bootstrap.servers': bootstrap}).list_groups(group=group, timeout=20)
print(json.dumps({'id': g.id, 'state': g.state, 'protocol_type': g.protocol_type, 'protocol': g.protocol,
  'error': None if g.error is None else str(g.error),
  'members': [{'id': m.id, 'client_id': m.client_id, 'assignment': m.assignment.hex()} for m in g.members]}))
`;

describe('group admin of real clients: a group of HTTP members as Kafka tools see it', () => {
  let topic: string;
  let group: string;
  let member: Awaited<ReturnType<typeof httpMember>>;
  beforeAll(async () => {
    topic = await createTopic(2);
    group = unique('admin');
    member = await httpMember(group, topic, 'seen-by-tools');
  });
  afterAll(async () => {
    await member?.leave();
  });

  it('kafka-python KafkaAdminClient: list, then describe with the consumer-protocol blobs decoded', async () => {
    expect(await runPythonSource(KAFKA_PYTHON_ADMIN, [ctx.bootstrap, group])).toEqual({
      listed: [[group, 'consumer']],
      state: 'Stable',
      protocol_type: 'consumer',
      members: [
        {
          member_id: member.memberId,
          client_id: 'seen-by-tools',
          subscription: [topic],
          assignment: [[topic, [0, 1]]],
        },
      ],
    });
  });

  it('confluent-kafka AdminClient.list_groups (librdkafka ListGroups and DescribeGroups)', async () => {
    const out = await runPythonSource(CONFLUENT_LIST_GROUPS, [ctx.bootstrap, group]);
    expect(out).toMatchObject({
      id: group,
      state: 'Stable',
      protocol_type: 'consumer',
      protocol: 'uniform',
      error: null,
      members: [{ id: member.memberId, client_id: 'seen-by-tools' }],
    });
    const [m] = (out as { members: { assignment: string }[] }).members;
    const assignment = decodeAssignment(Buffer.from(m?.assignment ?? '', 'hex'));
    expect(assignment.value.assignedPartitions).toEqual([{ topic, partitions: [0, 1] }]);
  });
});

describe('@platformatic/kafka admin (flexible versions: OffsetCommit and OffsetFetch v9, ListGroups and DescribeGroups v5)', () => {
  it('alters offsets as a simple commit, lists them, lists, describes and deletes the group', async () => {
    const topic = await createTopic(2);
    const group = unique('plt');
    const admin = new Admin({
      clientId: 'strata-platformatic',
      bootstrapBrokers: [ctx.bootstrap],
      retries: 1,
    });
    try {
      await admin.alterConsumerGroupOffsets({
        groupId: group,
        topics: [{ name: topic, partitionOffsets: [{ partition: 1, offset: 21n }] }],
      });
      expect(await httpOffsets(group)).toEqual([{ topic, partition: 1, offset: '21' }]);
      const listed = await admin.listConsumerGroupOffsets({ groups: [group], requireStable: true });
      expect(listed).toEqual([
        {
          groupId: group,
          topics: [
            {
              name: topic,
              partitions: [
                { partitionIndex: 1, committedOffset: 21n, committedLeaderEpoch: -1, metadata: '' },
              ],
            },
          ],
        },
      ]);
      const groups = await admin.listGroups({ types: ['consumer'] });
      expect(groups.get(group)).toMatchObject({
        id: group,
        state: 'EMPTY',
        groupType: 'consumer',
        protocolType: 'consumer',
      });
      const described = await admin.describeGroups({ groups: [group] });
      expect(described.get(group)).toMatchObject({ id: group, state: 'EMPTY', protocolType: 'consumer' });
      await admin.deleteGroups({ groups: [group] });
      expect(await httpOffsets(group)).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
