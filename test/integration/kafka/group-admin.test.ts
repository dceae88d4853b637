import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import {
  decodeAssignment,
  encodeAssignment,
  encodeSubscription,
} from '../../../lib/kafka/protocol/consumer-protocol.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { killStrataAfterAll, spawnStrata } from '../../support/gateway-process.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';

/**
 * The admin views of classic groups: DescribeGroups, ListGroups (state and type filters) and the
 * HTTP describe, over a raw-wire classic group walked through its states and a live kafkajs group.
 */
// Long enough that two joins sent together land in one generation on a loaded machine.
const INITIAL_DELAY = 1500;
const ctx = useTestGateway({ initialRebalanceDelayMs: INITIAL_DELAY });
killStrataAfterAll();
const code = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;
const K = {
  JOIN: APIS.JoinGroup.key,
  SYNC: APIS.SyncGroup.key,
  LEAVE: APIS.LeaveGroup.key,
  COMMIT: APIS.OffsetCommit.key,
  DESCRIBE: APIS.DescribeGroups.key,
  OFFSET_DELETE: APIS.OffsetDelete.key,
  API_VERSIONS: APIS.ApiVersions.key,
  LIST: APIS.ListGroups.key,
} as const;

const wires: KafkaWire[] = [];
afterAll(() => {
  for (const w of wires) w.close();
});
async function wire(): Promise<KafkaWire> {
  const w = await openKafkaWire(ctx.bootstrap);
  wires.push(w);
  return w;
}

function join(
  w: KafkaWire,
  group: string,
  memberId: string,
  metadata: Uint8Array,
  protocolType = 'consumer',
) {
  return w.request(K.JOIN, 5, {
    groupId: group,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId: null,
    protocolType,
    protocols: [{ name: 'range', metadata }],
    reason: null,
  });
}

async function describe1(w: KafkaWire, group: string) {
  const res = await w.request(K.DESCRIBE, 5, { groups: [group], includeAuthorizedOperations: false });
  return res.groups[0] as (typeof res.groups)[number];
}

async function listed(w: KafkaWire, statesFilter: string[], typesFilter: string[]) {
  const res = await w.request(K.LIST, 5, { statesFilter, typesFilter });
  expect(res.errorCode).toBe(0);
  return res.groups;
}

describe('classic groups in the admin views', () => {
  it('DescribeGroups, ListGroups, GET /v1/groups/{g} and `strata group describe` follow a classic group through CompletingRebalance, Stable and Empty', async () => {
    const topic = 'ga-topic';
    const group = 'ga-classic';
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 2 })).status).toBe(201);
    const [a, b] = [await wire(), await wire()];
    const metadata = Buffer.from(encodeSubscription({ topics: [topic], userData: null }));
    const ids: string[] = [];
    for (const w of [a, b]) {
      const first = await join(w, group, '', metadata);
      expect(first.errorCode).toBe(code('MEMBER_ID_REQUIRED'));
      ids.push(first.memberId);
    }
    const joins = await Promise.all([
      join(a, group, ids[0] as string, metadata),
      join(b, group, ids[1] as string, metadata),
    ]);
    for (const r of joins) expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    const leader = joins[0]?.leader as string;

    // Joined, not yet synced: CompletingRebalance, no protocol data yet, no assignment bytes.
    const completing = await describe1(a, group);
    expect(completing).toMatchObject({
      errorCode: 0,
      groupState: 'CompletingRebalance',
      protocolType: 'consumer',
      protocolData: '',
    });
    expect(completing.members.map((m) => m.memberId).sort()).toEqual([...ids].sort());
    for (const m of completing.members) {
      expect(Buffer.from(m.memberMetadata)).toEqual(metadata);
      expect(m.memberAssignment.length).toBe(0);
      expect(m.clientHost).not.toBe('');
    }
    expect((await listed(a, ['CompletingRebalance'], ['classic'])).map((g) => g.groupId)).toContain(group);

    // The leader assigns partition 0 to itself and 1 to the other.
    const assignmentOf = (memberId: string) =>
      Buffer.from(
        encodeAssignment({
          assignedPartitions: [{ topic, partitions: [memberId === leader ? 0 : 1] }],
          userData: null,
        }),
      );
    const syncs = await Promise.all(
      [a, b].map((w, i) =>
        w.request(K.SYNC, 3, {
          groupId: group,
          generationId: 1,
          memberId: ids[i] as string,
          groupInstanceId: null,
          assignments:
            ids[i] === leader
              ? ids.map((memberId) => ({ memberId, assignment: assignmentOf(memberId) }))
              : [],
        }),
      ),
    );
    for (const s of syncs) expect(s.errorCode).toBe(0);

    const stable = await describe1(b, group);
    expect(stable).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    for (const m of stable.members) {
      expect(Buffer.from(m.memberAssignment)).toEqual(assignmentOf(m.memberId));
      expect(decodeAssignment(m.memberAssignment).value.assignedPartitions).toEqual([
        { topic, partitions: [m.memberId === leader ? 0 : 1] },
      ]);
    }

    // ListGroups v5: the group is 'classic', found by its state and type, not by 'consumer'.
    const classic = await listed(a, [], ['classic']);
    expect(classic.find((g) => g.groupId === group)).toMatchObject({
      groupState: 'Stable',
      groupType: 'classic',
      protocolType: 'consumer',
    });
    expect((await listed(a, ['stable'], ['CLASSIC'])).map((g) => g.groupId)).toContain(group);
    expect((await listed(a, ['Empty'], [])).map((g) => g.groupId)).not.toContain(group);
    expect((await listed(a, [], ['consumer'])).map((g) => g.groupId)).not.toContain(group);

    // A commit by the leader, then the HTTP describe: members, ownership and lag.
    expect(
      (
        await ctx.http.post(`/v1/topics/${topic}/records`, {
          records: [
            { value: 'a', partition: 0 },
            { value: 'b', partition: 0 },
          ],
        })
      ).status,
    ).toBe(200);
    const committed = await a.request(K.COMMIT, 5, {
      groupId: group,
      generationIdOrMemberEpoch: 1,
      memberId: leader,
      groupInstanceId: null,
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
      ],
    } as never);
    expect(committed.topics[0]?.partitions[0]?.errorCode).toBe(0);
    const http = await ctx.http.get<Record<string, unknown>>(`/v1/groups/${group}`);
    expect(http.status).toBe(200);
    expect(http.body).toMatchObject({
      groupId: group,
      state: 'Stable',
      type: 'classic',
      protocolType: 'consumer',
      protocolName: 'range',
      groupEpoch: 1,
    });
    const members = http.body.members as {
      memberId: string;
      subscribedTopics: string[];
      assignment: unknown;
    }[];
    expect(members).toHaveLength(2);
    for (const m of members) {
      expect(m.subscribedTopics).toEqual([topic]);
      expect(m.assignment).toEqual([{ topic, partitions: [m.memberId === leader ? 0 : 1] }]);
    }
    const other = ids.find((id) => id !== leader);
    expect(http.body.offsets).toEqual([
      expect.objectContaining({ topic, partition: 0, committedOffset: '1', memberId: leader }),
      expect.objectContaining({ topic, partition: 1, committedOffset: null, memberId: other }),
    ]);
    const lag = (http.body.offsets as { partition: number; logEndOffset: string; lag: string }[])[0];
    expect(Number(lag?.lag)).toBe(Number(lag?.logEndOffset) - 1);
    // The CLI reads the same describe: one row per partition, with the lag and the owner.
    const cli = spawnStrata(['group', 'describe', group, '--json'], { STRATA_ENDPOINT: ctx.server.url });
    const cliExit = once(cli.child, 'exit');
    const cliRow = async (p: number) =>
      JSON.parse((await cli.lineMatching(new RegExp(`"partition":${p}[,}]`))).input as string);
    expect(await cliRow(0)).toEqual({
      group,
      topic,
      partition: 0,
      currentOffset: '1',
      logEndOffset: '2',
      lag: '1',
      consumerId: leader,
    });
    expect(await cliRow(1)).toMatchObject({
      partition: 1,
      currentOffset: null,
      lag: null,
      consumerId: other,
    });
    expect((await cliExit)[0], cli.stderr()).toBe(0);
    const httpList = await ctx.http.get<{ groups: { groupId: string }[] }>('/v1/groups');
    expect(httpList.body.groups.find((g) => g.groupId === group)).toMatchObject({
      type: 'classic',
      state: 'Stable',
      members: 2,
    });

    // OffsetDelete while Stable: the subscribed topic's offset stays (GROUP_SUBSCRIBED_TO_TOPIC),
    // another topic's goes, a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION.
    expect((await ctx.http.post('/v1/topics', { name: 'ga-other', partitions: 1 })).status).toBe(201);
    const otherCommit = await a.request(K.COMMIT, 5, {
      groupId: group,
      generationIdOrMemberEpoch: 1,
      memberId: leader,
      groupInstanceId: null,
      topics: [
        {
          name: 'ga-other',
          partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: null }],
        },
      ],
    } as never);
    expect(otherCommit.topics[0]?.partitions[0]?.errorCode).toBe(0);
    const offsetsNow = async () =>
      (
        await ctx.http.get<{ offsets: { topic: string; partition: number }[] }>(`/v1/groups/${group}/offsets`)
      ).body.offsets
        .map((o) => `${o.topic}/${o.partition}`)
        .sort();
    expect(await offsetsNow()).toEqual(['ga-other/0', `${topic}/0`]);
    const delWhileStable = await a.request(K.OFFSET_DELETE, 0, {
      groupId: group,
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0 }] },
        { name: 'ga-other', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] },
      ],
    });
    expect(delWhileStable).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0, errorCode: code('GROUP_SUBSCRIBED_TO_TOPIC') }] },
        {
          name: 'ga-other',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 5, errorCode: code('UNKNOWN_TOPIC_OR_PARTITION') },
          ],
        },
      ],
    });
    expect(await offsetsNow()).toEqual([`${topic}/0`]);

    // Both leave: Empty, no members, still a classic group.
    for (const [i, w] of [a, b].entries()) {
      const left = await w.request(K.LEAVE, 3, {
        groupId: group,
        members: [{ memberId: ids[i] as string, groupInstanceId: null }],
      } as never);
      expect(left.errorCode).toBe(0);
    }
    const empty = await describe1(a, group);
    expect(empty).toMatchObject({ groupState: 'Empty', protocolType: '', protocolData: '', members: [] });
    expect((await listed(a, ['Empty'], ['classic'])).map((g) => g.groupId)).toContain(group);

    // Empty: OffsetDelete removes the subscribed topic's offset too.
    const delWhenEmpty = await a.request(K.OFFSET_DELETE, 0, {
      groupId: group,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }],
    });
    expect(delWhenEmpty).toMatchObject({
      errorCode: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
    });
    expect(await offsetsNow()).toEqual([]);
  }, 30_000);

  it('OffsetDelete is advertised (v0); an unknown group is GROUP_ID_NOT_FOUND, a live KIP-848 subscriber GROUP_SUBSCRIBED_TO_TOPIC', async () => {
    const w = await wire();
    const versions = await w.request(K.API_VERSIONS, 3, {
      clientSoftwareName: 't',
      clientSoftwareVersion: '1',
    });
    expect(versions.apiKeys).toContainEqual(
      expect.objectContaining({ apiKey: 47, minVersion: 0, maxVersion: 0 }),
    );
    expect(
      await w.request(K.OFFSET_DELETE, 0, {
        groupId: 'ga-nobody',
        topics: [{ name: 'ga-topic', partitions: [{ partitionIndex: 0 }] }],
      }),
    ).toEqual({ errorCode: code('GROUP_ID_NOT_FOUND'), throttleTimeMs: 0, topics: [] });

    const group = 'ga-848-del';
    expect((await ctx.http.post('/v1/topics', { name: 'ga-848-del', partitions: 1 })).status).toBe(201);
    const hb = await ctx.http.post<{ memberId: string; memberEpoch: number }>(
      `/v1/groups/${group}/heartbeat`,
      {
        memberEpoch: 0,
        topics: ['ga-848-del'],
      },
    );
    expect(hb.status).toBe(200);
    const del = await w.request(K.OFFSET_DELETE, 0, {
      groupId: group,
      topics: [{ name: 'ga-848-del', partitions: [{ partitionIndex: 0 }] }],
    });
    expect(del.topics[0]?.partitions[0]?.errorCode).toBe(code('GROUP_SUBSCRIBED_TO_TOPIC'));
  });

  it("a live classic group of another protocol type ('connect': opaque subscriptions) is NON_EMPTY_GROUP; described with its own type", async () => {
    const w = await wire();
    const group = 'ga-connect';
    const first = await join(w, group, '', Buffer.from('opaque'), 'connect');
    expect(first.errorCode).toBe(code('MEMBER_ID_REQUIRED'));
    expect((await join(w, group, first.memberId, Buffer.from('opaque'), 'connect')).errorCode).toBe(0);
    expect(await describe1(w, group)).toMatchObject({
      groupState: 'CompletingRebalance',
      protocolType: 'connect',
    });
    expect((await listed(w, [], ['classic'])).find((g) => g.groupId === group)).toMatchObject({
      protocolType: 'connect',
    });
    const del = await w.request(K.OFFSET_DELETE, 0, {
      groupId: group,
      topics: [{ name: 'ga-topic', partitions: [{ partitionIndex: 0 }] }],
    });
    expect(del).toEqual({ errorCode: code('NON_EMPTY_GROUP'), throttleTimeMs: 0, topics: [] });
  });

  it('a KIP-848 group stays type consumer, and an unknown group is Dead', async () => {
    const w = await wire();
    const group = 'ga-kip848';
    expect((await ctx.http.post('/v1/topics', { name: 'ga-848', partitions: 1 })).status).toBe(201);
    const hb = await ctx.http.post(`/v1/groups/${group}/heartbeat`, { memberEpoch: 0, topics: ['ga-848'] });
    expect(hb.status).toBe(200);
    expect((await listed(w, [], ['consumer'])).find((g) => g.groupId === group)).toMatchObject({
      groupType: 'consumer',
    });
    expect((await listed(w, [], ['classic'])).map((g) => g.groupId)).not.toContain(group);
    expect(await describe1(w, group)).toMatchObject({ protocolType: 'consumer' });
    expect((await ctx.http.get(`/v1/groups/${group}`)).body).toMatchObject({
      type: 'consumer',
      protocolType: 'consumer',
    });
    expect(await describe1(w, 'ga-nobody')).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });
});

describe('a live kafkajs classic group', () => {
  it('admin.describeGroups and admin.listGroups show it Stable with its members, client id and assignment', async () => {
    const { Kafka, AssignerProtocol } = await import('kafkajs');
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const topic = 'ga-kafkajs';
    const group = 'ga-kafkajs-group';
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 3 })).status).toBe(201);
    const kafka = new Kafka({ clientId: 'ga-js', brokers: [ctx.bootstrap], logLevel: 0 });
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 200,
    });
    const admin = kafka.admin();
    let joined: () => void = () => {};
    const joinedP = new Promise<void>((r) => {
      joined = r;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await joinedP;
      await admin.connect();
      const { groups } = await admin.describeGroups([group]);
      const g = groups[0];
      expect(g).toMatchObject({ groupId: group, state: 'Stable', protocolType: 'consumer', errorCode: 0 });
      expect(g?.protocol).toBe('RoundRobinAssigner');
      expect(g?.members).toHaveLength(1);
      const m = g?.members[0];
      expect(m?.clientId).toBe('ga-js');
      expect(m?.clientHost).not.toBe('');
      const assignment = AssignerProtocol.MemberAssignment.decode(m?.memberAssignment as Buffer);
      expect(assignment?.assignment[topic]?.sort()).toEqual([0, 1, 2]);
      const metadata = AssignerProtocol.MemberMetadata.decode(m?.memberMetadata as Buffer);
      expect(metadata?.topics).toEqual([topic]);
      const list = await admin.listGroups();
      expect(list.groups).toContainEqual({ groupId: group, protocolType: 'consumer' });
    } finally {
      await admin.disconnect();
      await consumer.disconnect();
    }
  }, 60_000);
});
