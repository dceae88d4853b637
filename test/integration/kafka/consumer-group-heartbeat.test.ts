/**
 * KIP-848 over the Kafka protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe on raw frames
 * (join, assignment by topic id, reconciliation between two members, leave, static members,
 * fencing and Kafka's error codes), then the test: an HTTP consumer (the project's client)
 * and a @platformatic/kafka consumer with groupProtocol 'consumer' share one group on a
 * 6-partition topic, own disjoint partitions once stable, and consume every record between them.
 */
import { randomUUID } from 'node:crypto';
import { Consumer as KafkaConsumer, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer as StrataConsumer } from '../../../index.js';
import { logLevel, Strata } from '../../../index.js';
import { ERRORS, type ServerErrorCode } from '../../../lib/contract/errors.js';
import { getTopic } from '../../../lib/engine/index.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';

const ctx = useTestGateway();
const code = (name: ServerErrorCode) => ERRORS[name].kafkaCode;
const HB = APIS.ConsumerGroupHeartbeat.key;
const DESCRIBE = APIS.ConsumerGroupDescribe.key;
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let wire: KafkaWire;
beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
});
afterAll(() => wire?.close());

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function createTopic(partitions: number, name = unique('t')): Promise<{ name: string; id: string }> {
  const res = await ctx.http.post('/v1/topics', { name, partitions });
  expect(res.status).toBe(201);
  return { name, id: (await getTopic(ctx.engine, name)).topicId };
}

type Parts = { topicId: string; partitions: number[] }[];

interface Beat {
  version?: number;
  groupId: string;
  memberId?: string;
  memberEpoch: number;
  instanceId?: string | null;
  rebalanceTimeoutMs?: number;
  subscribedTopicNames?: string[] | null;
  subscribedTopicRegex?: string | null;
  serverAssignor?: string | null;
  topicPartitions?: Parts | null;
}

function beat(b: Beat) {
  const version = b.version ?? 1;
  return wire.request(HB, version, {
    groupId: b.groupId,
    memberId: b.memberId ?? '',
    memberEpoch: b.memberEpoch,
    instanceId: b.instanceId ?? null,
    rackId: null,
    rebalanceTimeoutMs: b.rebalanceTimeoutMs ?? -1,
    subscribedTopicNames: b.subscribedTopicNames ?? null,
    ...(version >= 1 ? { subscribedTopicRegex: b.subscribedTopicRegex ?? null } : {}),
    serverAssignor: b.serverAssignor ?? null,
    topicPartitions: b.topicPartitions === undefined ? null : b.topicPartitions,
  });
}

/** A join as the Java client sends it: a full request with an empty owned list. */
function join(groupId: string, memberId: string, more: Partial<Beat> = {}) {
  return beat({
    groupId,
    memberId,
    memberEpoch: 0,
    rebalanceTimeoutMs: 30_000,
    topicPartitions: [],
    ...more,
  });
}

const flat = (parts: Parts | undefined | null) =>
  (parts ?? []).flatMap((t) => t.partitions.map((p) => `${t.topicId}:${p}`)).sort();

/** A member as the tests drive it: heartbeats with what it last was given, as a client does. */
class WireMember {
  epoch = 0;
  owned: Parts = [];
  constructor(
    readonly groupId: string,
    readonly memberId: string,
  ) {}
  async join(more: Partial<Beat>) {
    const res = await join(this.groupId, this.memberId, more);
    expect(res.errorCode, res.errorMessage ?? '').toBe(0);
    this.epoch = res.memberEpoch;
    if (res.assignment) this.owned = res.assignment.topicPartitions;
    return res;
  }
  async heartbeat() {
    const res = await beat({
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      topicPartitions: this.owned,
    });
    expect(res.errorCode, res.errorMessage ?? '').toBe(0);
    this.epoch = res.memberEpoch;
    if (res.assignment) this.owned = res.assignment.topicPartitions;
    return res;
  }
}

describe('ConsumerGroupHeartbeat on the wire', () => {
  it('is advertised at v0-1 with ConsumerGroupDescribe v0-1', async () => {
    const res = await wire.request(APIS.ApiVersions.key, 3, {
      clientSoftwareName: 'strata-test',
      clientSoftwareVersion: '1',
    });
    const ranges = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges[HB]).toEqual([0, 1]);
    expect(ranges[DESCRIBE]).toEqual([0, 1]);
  });

  it('v0: the server mints the member id; the assignment names topics by id and comes back only when it changed', async () => {
    const topic = await createTopic(3);
    const groupId = unique('g');
    const joined = await join(groupId, '', { version: 0, subscribedTopicNames: [topic.name] });
    expect(joined).toMatchObject({ errorCode: 0, errorMessage: null });
    expect(joined.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(joined.memberEpoch).toBeGreaterThan(0);
    expect(joined.heartbeatIntervalMs).toBeGreaterThan(0);
    expect(joined.assignment?.topicPartitions).toEqual([{ topicId: topic.id, partitions: [0, 1, 2] }]);

    const steady = await beat({
      version: 0,
      groupId,
      memberId: joined.memberId as string,
      memberEpoch: joined.memberEpoch,
    });
    expect(steady).toMatchObject({ errorCode: 0, memberEpoch: joined.memberEpoch, assignment: null });
    // A full request (rebalance timeout, subscription and owned partitions) gets the assignment again.
    const full = await beat({
      version: 0,
      groupId,
      memberId: joined.memberId as string,
      memberEpoch: joined.memberEpoch,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: [topic.name],
      topicPartitions: joined.assignment?.topicPartitions ?? [],
    });
    expect(full.assignment?.topicPartitions).toEqual([{ topicId: topic.id, partitions: [0, 1, 2] }]);
    // v0 with no member id other than on a join is refused.
    const noId = await beat({ version: 0, groupId, memberEpoch: 1 });
    expect(noId).toMatchObject({ errorCode: code('INVALID_REQUEST'), memberId: null, memberEpoch: -1 });
  });

  it('v1: the client generates the member id (KIP-1082); an empty one is INVALID_REQUEST', async () => {
    const topic = await createTopic(2);
    const groupId = unique('g');
    const empty = await join(groupId, '', { subscribedTopicNames: [topic.name] });
    expect(empty.errorCode).toBe(code('INVALID_REQUEST'));
    expect(empty.errorMessage).toMatch(/MemberId can't be empty/);
    const id = randomUUID();
    const res = await join(groupId, id, { subscribedTopicNames: [topic.name] });
    expect(res).toMatchObject({ errorCode: 0, memberId: id });
    expect(flat(res.assignment?.topicPartitions)).toEqual([`${topic.id}:0`, `${topic.id}:1`]);
  });

  it('two members reconcile revoke-first to disjoint halves; a leave frees the partitions at once', async () => {
    const topic = await createTopic(4);
    const groupId = unique('g');
    const a = new WireMember(groupId, randomUUID());
    const b = new WireMember(groupId, randomUUID());
    await a.join({ subscribedTopicNames: [topic.name] });
    expect(flat(a.owned)).toHaveLength(4);
    await b.join({ subscribedTopicNames: [topic.name] });
    // b may not take anything a still owns.
    expect(flat(b.owned)).toEqual([]);
    const all = Array.from({ length: 4 }, (_, p) => `${topic.id}:${p}`);
    await waitFor('a stable split', async () => {
      await a.heartbeat();
      await b.heartbeat();
      const owned = [...flat(a.owned), ...flat(b.owned)];
      // Never two owners at any point.
      expect(new Set(owned).size).toBe(owned.length);
      return flat(a.owned).length === 2 && flat(b.owned).length === 2 && a.epoch === b.epoch;
    });
    expect([...flat(a.owned), ...flat(b.owned)].sort()).toEqual(all);

    const left = await beat({ groupId, memberId: b.memberId, memberEpoch: -1, topicPartitions: [] });
    expect(left).toMatchObject({ errorCode: 0, memberId: b.memberId, memberEpoch: -1, assignment: null });
    await waitFor('a owns everything again', async () => {
      await a.heartbeat();
      return flat(a.owned).length === 4;
    });
    // A second leave of the same member is answered as done (a retry after a lost response).
    const again = await beat({ groupId, memberId: b.memberId, memberEpoch: -1 });
    expect(again.errorCode).toBe(0);
  });

  it("answers Kafka's codes: FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, GROUP_ID_NOT_FOUND, malformed joins", async () => {
    const topic = await createTopic(1);
    const groupId = unique('g');
    const m = new WireMember(groupId, randomUUID());
    await m.join({ subscribedTopicNames: [topic.name] });
    const fenced = await beat({ groupId, memberId: m.memberId, memberEpoch: m.epoch + 5 });
    expect(fenced).toMatchObject({
      errorCode: code('FENCED_MEMBER_EPOCH'),
      memberEpoch: -1,
      assignment: null,
    });
    const unknown = await beat({ groupId, memberId: randomUUID(), memberEpoch: 1 });
    expect(unknown.errorCode).toBe(code('UNKNOWN_MEMBER_ID'));
    const noGroup = await beat({ groupId: unique('none'), memberId: randomUUID(), memberEpoch: 3 });
    expect(noGroup.errorCode).toBe(code('GROUP_ID_NOT_FOUND'));
    // Fenced, the member rejoins with epoch 0 under the same id and gets its partition back.
    const rejoined = await join(groupId, m.memberId, { subscribedTopicNames: [topic.name] });
    expect(rejoined.errorCode).toBe(0);
    expect(rejoined.memberEpoch).toBeGreaterThan(m.epoch);
    expect(flat(rejoined.assignment?.topicPartitions)).toEqual([`${topic.id}:0`]);

    const other = randomUUID();
    const cases: [Partial<Beat>, ServerErrorCode, RegExp][] = [
      [{ rebalanceTimeoutMs: -1 }, 'INVALID_REQUEST', /RebalanceTimeoutMs must be provided/],
      [{ topicPartitions: null }, 'INVALID_REQUEST', /TopicPartitions must be empty/],
      [
        { topicPartitions: [{ topicId: topic.id, partitions: [0] }] },
        'INVALID_REQUEST',
        /TopicPartitions must be empty/,
      ],
      [{ subscribedTopicNames: null }, 'INVALID_REQUEST', /SubscribedTopicNames or SubscribedTopicRegex/],
      [{ subscribedTopicRegex: 't.*' }, 'INVALID_REQUEST', /together are not supported/],
      [{ subscribedTopicNames: null, subscribedTopicRegex: '(' }, 'INVALID_REGULAR_EXPRESSION', /not valid/],
      [{ serverAssignor: 'sticky' }, 'UNSUPPORTED_ASSIGNOR', /Supported assignors: range, uniform/],
      [{ memberEpoch: -3 }, 'INVALID_REQUEST', /MemberEpoch is invalid/],
    ];
    for (const [more, expected, message] of cases) {
      const res = await join(groupId, other, { subscribedTopicNames: [topic.name], ...more });
      expect(res.errorCode, JSON.stringify(more)).toBe(code(expected));
      expect(res.errorMessage).toMatch(message);
    }
    const staticLeave = await beat({ groupId, memberId: m.memberId, memberEpoch: -2 });
    expect(staticLeave.errorMessage).toMatch(/InstanceId can't be null/);
  });

  it('static members: UNRELEASED_INSTANCE_ID while held; after a -2 leave a new process takes over the partitions', async () => {
    const topic = await createTopic(2);
    const groupId = unique('g');
    const first = new WireMember(groupId, randomUUID());
    await first.join({ subscribedTopicNames: [topic.name], instanceId: 'worker-1' });
    expect(flat(first.owned)).toHaveLength(2);
    const clash = await join(groupId, randomUUID(), {
      subscribedTopicNames: [topic.name],
      instanceId: 'worker-1',
    });
    expect(clash.errorCode).toBe(code('UNRELEASED_INSTANCE_ID'));
    const leave = await beat({
      groupId,
      memberId: first.memberId,
      memberEpoch: -2,
      instanceId: 'worker-1',
    });
    expect(leave).toMatchObject({ errorCode: 0, memberEpoch: -2, assignment: null });
    const restarted = await join(groupId, randomUUID(), {
      subscribedTopicNames: [topic.name],
      instanceId: 'worker-1',
    });
    expect(restarted.errorCode).toBe(0);
    expect(restarted.memberEpoch).toBe(first.epoch);
    expect(flat(restarted.assignment?.topicPartitions)).toEqual(flat(first.owned));
  });

  it('a regex subscription matches whole topic names, and picks up a topic created later', async () => {
    const prefix = unique('rx');
    const one = await createTopic(1, `${prefix}-a`);
    await createTopic(1, `x${prefix}-b`);
    const groupId = unique('g');
    const m = new WireMember(groupId, randomUUID());
    await m.join({ subscribedTopicRegex: `${prefix}-.*` });
    expect(flat(m.owned)).toEqual([`${one.id}:0`]);
    const later = await createTopic(2, `${prefix}-c`);
    await waitFor('the new topic assigned', async () => {
      await m.heartbeat();
      return flat(m.owned).length === 3;
    });
    expect(flat(m.owned)).toEqual([`${one.id}:0`, `${later.id}:0`, `${later.id}:1`].sort());
    const d = await wire.request(DESCRIBE, 1, { groupIds: [groupId], includeAuthorizedOperations: false });
    expect(d.groups[0]?.members[0]).toMatchObject({
      subscribedTopicRegex: `${prefix}-.*`,
      subscribedTopicNames: [],
    });
  });

  it('member epochs fence OffsetCommit v9: owned partitions commit, others are STALE_MEMBER_EPOCH', async () => {
    const topic = await createTopic(2);
    const groupId = unique('g');
    const m = new WireMember(groupId, randomUUID());
    await m.join({ subscribedTopicNames: [topic.name] });
    const commit = (epoch: number, partition: number) =>
      wire.request(APIS.OffsetCommit.key, 9, {
        groupId,
        generationIdOrMemberEpoch: epoch,
        memberId: m.memberId,
        topics: [
          {
            name: topic.name,
            partitions: [
              {
                partitionIndex: partition,
                committedOffset: 0n,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              },
            ],
          },
        ],
      });
    const ok = await commit(m.epoch, 0);
    expect(ok.topics[0]?.partitions[0]?.errorCode).toBe(0);
    const ahead = await commit(m.epoch + 1, 0);
    expect(ahead.topics[0]?.partitions[0]?.errorCode).toBe(code('FENCED_MEMBER_EPOCH'));
    // A second member takes a partition; the first, once it released it, may no longer commit it.
    const b = new WireMember(groupId, randomUUID());
    await b.join({ subscribedTopicNames: [topic.name] });
    await waitFor('a split', async () => {
      await m.heartbeat();
      await b.heartbeat();
      return flat(m.owned).length === 1 && flat(b.owned).length === 1;
    });
    const lost = Number((flat(b.owned)[0] as string).split(':')[1]);
    const stale = await commit(m.epoch, lost);
    expect(stale.topics[0]?.partitions[0]?.errorCode).toBe(code('STALE_MEMBER_EPOCH'));
  });
});

describe('ConsumerGroupDescribe on the wire', () => {
  it('unknown and invalid groups get per-group errors; a group shows its members and assignments by id and name', async () => {
    const topic = await createTopic(2);
    const groupId = unique('g');
    const m = new WireMember(groupId, randomUUID());
    await m.join({ subscribedTopicNames: [topic.name], instanceId: 'i-1' });
    for (const version of [0, 1]) {
      const res = await wire.request(
        DESCRIBE,
        version,
        { groupIds: [groupId, unique('nope'), 'bad/id'], includeAuthorizedOperations: true },
        'describe-client',
      );
      expect(res.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
        [groupId, 0],
        [expect.stringMatching(/^nope-/), code('GROUP_ID_NOT_FOUND')],
        ['bad/id', code('INVALID_GROUP_ID')],
      ]);
      const g = res.groups[0];
      expect(g).toMatchObject({
        groupState: 'Stable',
        assignorName: 'uniform',
        groupEpoch: m.epoch,
        assignmentEpoch: m.epoch,
      });
      expect(g?.authorizedOperations).toBeGreaterThan(0);
      expect(g?.members).toEqual([
        expect.objectContaining({
          memberId: m.memberId,
          instanceId: 'i-1',
          memberEpoch: m.epoch,
          clientId: 'strata-test',
          clientHost: expect.stringContaining('127.0.0.1'),
          subscribedTopicNames: [topic.name],
          subscribedTopicRegex: null,
          assignment: { topicPartitions: [{ topicId: topic.id, topicName: topic.name, partitions: [0, 1] }] },
          targetAssignment: {
            topicPartitions: [{ topicId: topic.id, topicName: topic.name, partitions: [0, 1] }],
          },
          ...(version >= 1 ? { memberType: 1 } : {}),
        }),
      ]);
    }
  });
});

describe('an HTTP consumer and a Kafka KIP-848 consumer in one group', () => {
  const PARTITIONS = 6;
  let strata: StrataConsumer | undefined;
  let kafka: KafkaConsumer<string, string, string, string> | undefined;
  afterAll(async () => {
    await Promise.allSettled([strata?.disconnect(), kafka?.close(true)]);
  });

  it('share a 6-partition topic: disjoint ownership once stable, every record consumed', async () => {
    const topic = await createTopic(PARTITIONS);
    const groupId = unique('mixed');
    const produce = async (from: number, count: number) => {
      const records = Array.from({ length: count }, (_, i) => ({
        value: `r${from + i}`,
        partition: (from + i) % PARTITIONS,
      }));
      const res = await ctx.http.post(`/v1/topics/${topic.name}/records`, { records });
      expect(res.status).toBe(200);
    };
    const expected = new Set(Array.from({ length: 120 }, (_, i) => `r${i}`));
    await produce(0, 60);

    const seen = new Map<string, Set<string>>([
      ['kafka', new Set()],
      ['http', new Set()],
    ]);
    kafka = new KafkaConsumer({
      clientId: 'kip848-platformatic',
      groupId,
      bootstrapBrokers: [ctx.bootstrap],
      groupProtocol: 'consumer',
      deserializers: stringDeserializers,
      retries: 5,
      maxWaitTime: 500,
    });
    const stream = await kafka.consume({
      topics: [topic.name],
      mode: 'committed',
      fallbackMode: 'earliest',
    });
    stream.on('data', (message) => seen.get('kafka')?.add(String(message.value)));
    stream.on('error', () => {});
    // The Kafka consumer alone owns all six.
    await waitFor('the Kafka consumer to own every partition', () =>
      kafka?.assignments?.reduce((n, a) => n + a.partitions.length, 0) === PARTITIONS ? true : undefined,
    );

    const client = new Strata({
      endpoint: ctx.server.url,
      clientId: 'kip848-http',
      logLevel: logLevel.NOTHING,
    });
    strata = client.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 500 });
    await strata.subscribe({ topics: [topic.name], fromBeginning: true });
    await strata.run({
      eachMessage: async ({ message }) => {
        seen.get('http')?.add(String(message.value?.toString()));
      },
    });

    // Stable: the group says so, and each client holds exactly what the coordinator gave it.
    const stable = await waitFor(
      'a stable group of two',
      async () => {
        const res = await ctx.http.get(`/v1/groups/${groupId}`);
        const d = res.body as {
          state: string;
          members: { memberId: string; assignment: { topic: string; partitions: number[] }[] }[];
        };
        if (d.state !== 'Stable' || d.members.length !== 2) return undefined;
        const kafkaHeld = (kafka?.assignments ?? []).flatMap((a) => a.partitions.map((p) => p)).sort();
        const httpHeld = (strata?.assignment() ?? []).map((a) => a.partition).sort();
        if (kafkaHeld.length + httpHeld.length !== PARTITIONS) return undefined;
        return { d, kafkaHeld, httpHeld };
      },
      60_000,
    );
    const owned = stable.d.members.flatMap((m) => m.assignment.flatMap((a) => a.partitions));
    expect(owned.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set([...stable.kafkaHeld, ...stable.httpHeld]).size).toBe(PARTITIONS);
    expect(stable.kafkaHeld.length).toBe(3);
    expect(stable.httpHeld.length).toBe(3);
    const kafkaMember = stable.d.members.find((m) => m.memberId === kafka?.memberId);
    expect(kafkaMember?.assignment.flatMap((a) => a.partitions).sort()).toEqual(stable.kafkaHeld);

    // ConsumerGroupDescribe shows both members, whichever protocol they joined with.
    const described = await wire.request(DESCRIBE, 1, {
      groupIds: [groupId],
      includeAuthorizedOperations: false,
    });
    const members = described.groups[0]?.members ?? [];
    expect(members.map((m) => m.memberId).sort()).toEqual([kafka.memberId, strata.currentMemberId].sort());
    expect(members.find((m) => m.memberId === kafka?.memberId)?.clientId).toBe('kip848-platformatic');
    expect(
      members.every((m) => m.memberType === 1 && m.assignment.topicPartitions[0]?.partitions.length === 3),
    ).toBe(true);

    await produce(60, 60);
    await waitFor(
      'every record consumed',
      () => {
        const union = new Set([...(seen.get('kafka') ?? []), ...(seen.get('http') ?? [])]);
        return [...expected].every((v) => union.has(v)) ? true : undefined;
      },
      60_000,
    );
    // Both took part, and the records after the split went to the owner of their partition.
    expect(seen.get('kafka')?.size).toBeGreaterThan(0);
    expect(seen.get('http')?.size).toBeGreaterThan(0);
    for (let i = 60; i < 120; i++) {
      const byKafka = stable.kafkaHeld.includes(i % PARTITIONS);
      expect(seen.get(byKafka ? 'kafka' : 'http')?.has(`r${i}`), `r${i}`).toBe(true);
    }
    // The Kafka consumer's commits (OffsetCommit v9 at its member epoch) land for its partitions.
    await waitFor(
      "the Kafka consumer's commits",
      async () => {
        const res = await ctx.http.get(`/v1/groups/${groupId}`);
        const offsets = (
          res.body as {
            offsets: { partition: number; committedOffset: string | null; logEndOffset: string | null }[];
          }
        ).offsets;
        const mine = offsets.filter((o) => stable.kafkaHeld.includes(o.partition));
        // Every partition it owns has a commit of its own. Not "at the log end": the consumer's
        // last commit can be refused as stale if its epoch moves under load, and it does not retry
        // a commit once nothing new arrives.
        return mine.length === 3 &&
          mine.every((o) => o.committedOffset !== null && Number(o.committedOffset) > 0)
          ? true
          : undefined;
      },
      60_000,
    );
  }, 120_000);
});
