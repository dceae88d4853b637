import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../lib/engine/engine.js';
import type { KafkaGateway } from '../../../lib/kafka/gateway.js';
import {
  commitOffset,
  errorCode,
  GROUP_KEYS,
  heartbeat,
  join,
  joinNew,
  joinTogether,
  meta,
  sync,
} from '../../support/classic-group-wire.js';
import { startTestGateway, useTestGateway } from '../../support/gateway.js';
import {
  kcat,
  killChildrenAfterAll,
  type LineChild,
  PYTHON,
  PYTHON_DIR,
  runOk,
  spawnLines,
  waitFor,
} from '../../support/kafka-clients.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { runGroupConsumer } from '../../support/kafkajs.js';
import { createTestEngine } from '../../support/stack.js';

/**
 * The classic group protocol on the raw wire: the rebalance barrier (JoinGroup on gateway A,
 * SyncGroup on gateway B, two engines over the same tables), MEMBER_ID_REQUIRED, heartbeats
 * during a rebalance, session expiry, stale-generation commits and the refusal to mix protocols.
 */
// Long enough that joins sent together land in one generation on a loaded machine.
const INITIAL_DELAY = 1000;
const ctx = useTestGateway({ initialRebalanceDelayMs: INITIAL_DELAY });
killChildrenAfterAll();
const code = errorCode;
const K = GROUP_KEYS;

let engineB: Engine;
let gatewayB: KafkaGateway;
const wires: KafkaWire[] = [];

beforeAll(async () => {
  const { metaTable, indexTable, bucket } = ctx.engine.config;
  engineB = await createTestEngine({ metaTable, indexTable, bucket });
  gatewayB = await startTestGateway(engineB, { initialRebalanceDelayMs: INITIAL_DELAY });
  expect((await ctx.http.post('/v1/topics', { name: 'cg-topic', partitions: 4 })).status).toBe(201);
});
afterAll(async () => {
  for (const w of wires) w.close();
  await gatewayB?.close();
});

async function wire(on: 'A' | 'B' = 'A'): Promise<KafkaWire> {
  const w = await openKafkaWire(on === 'A' ? ctx.bootstrap : gatewayB.bootstrap);
  wires.push(w);
  return w;
}

/** A commit of cg-topic's partition 0. */
const commit = (w: KafkaWire, group: string, memberId: string, generation: number, offset: number) =>
  commitOffset(w, group, { memberId, generation }, 'cg-topic', 0, offset);

describe('classic groups', () => {
  it('advertises JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5', async () => {
    const w = await wire();
    const res = await w.request(K.API_VERSIONS, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const range = (key: number) => res.apiKeys.find((k) => k.apiKey === key);
    expect(range(K.JOIN)).toMatchObject({ minVersion: 0, maxVersion: 9 });
    expect(range(K.SYNC)).toMatchObject({ minVersion: 0, maxVersion: 5 });
    expect(range(K.HEARTBEAT)).toMatchObject({ minVersion: 0, maxVersion: 4 });
    expect(range(K.LEAVE)).toMatchObject({ minVersion: 0, maxVersion: 5 });
  });

  it('JoinGroup v4+ answers MEMBER_ID_REQUIRED with a minted id first; v3 joins at once', async () => {
    const w = await wire();
    const first = await join(w, 'cg-mir', '', { version: 4 });
    expect(first.errorCode).toBe(code('MEMBER_ID_REQUIRED'));
    expect(first.memberId).toMatch(/.+/);
    const joined = await join(w, 'cg-mir', first.memberId, { version: 4 });
    expect(joined).toMatchObject({
      errorCode: 0,
      generationId: 1,
      memberId: first.memberId,
      leader: first.memberId,
    });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
    const unknown = await join(w, 'cg-mir', 'never-minted', { version: 4 });
    expect(unknown.errorCode).toBe(code('UNKNOWN_MEMBER_ID'));
    const old = await join(w, 'cg-mir-v3', '', { version: 3 });
    expect(old.errorCode).toBe(0);
    expect(old.memberId).not.toBe('');
  });

  it('a rebalance barrier across two gateways: JoinGroup on A, SyncGroup on B, each member its own bytes', async () => {
    const group = 'cg-barrier';
    const a1 = await wire('A');
    const a2 = await wire('A');
    const b2 = await wire('B');
    // Member 1 alone: generation 1 after the initial delay.
    const m1 = await joinNew(a1, group, { name: 'm1' });
    const j1 = await m1.response;
    expect(j1).toMatchObject({ errorCode: 0, generationId: 1, leader: m1.memberId, protocolName: 'range' });
    expect(
      (await sync(a1, group, m1.memberId, 1, [{ memberId: m1.memberId, assignment: meta('a1') }])).assignment,
    ).toEqual(meta('a1'));
    expect((await heartbeat(a1, group, m1.memberId, 1)).errorCode).toBe(0);

    // Member 2 joins through gateway B: the group rebalances, and waits for member 1.
    const m2 = await joinNew(b2, group, { name: 'm2' });
    let m2Answered = false;
    const j2p = m2.response.then((r) => {
      m2Answered = true;
      return r;
    });
    // Member 1 learns of the rebalance by heartbeat, then rejoins (through A).
    let hb = await heartbeat(a1, group, m1.memberId, 1);
    for (let i = 0; hb.errorCode === 0 && i < 200; i++) hb = await heartbeat(a1, group, m1.memberId, 1);
    expect(hb.errorCode).toBe(code('REBALANCE_IN_PROGRESS'));
    expect(m2Answered).toBe(false);
    const [j1b, j2] = await Promise.all([join(a1, group, m1.memberId, { name: 'm1' }), j2p]);
    expect(j1b).toMatchObject({ errorCode: 0, generationId: 2, leader: m1.memberId });
    expect(j2).toMatchObject({ errorCode: 0, generationId: 2, leader: m1.memberId, members: [] });
    expect(new Map(j1b.members.map((m) => [m.memberId, m.metadata]))).toEqual(
      new Map([
        [m1.memberId, meta('m1')],
        [m2.memberId, meta('m2')],
      ]),
    );

    // The follower's SyncGroup on B waits for the leader's, which arrives on A.
    let followerAnswered = false;
    const s2 = sync(b2, group, m2.memberId, 2).then((r) => {
      followerAnswered = true;
      return r;
    });
    expect((await heartbeat(a2, group, m1.memberId, 2)).errorCode).toBe(0);
    expect(followerAnswered).toBe(false);
    const s1 = await sync(a1, group, m1.memberId, 2, [
      { memberId: m1.memberId, assignment: meta('for-m1') },
      { memberId: m2.memberId, assignment: meta('for-m2') },
    ]);
    expect(s1).toMatchObject({ errorCode: 0, assignment: meta('for-m1') });
    expect(await s2).toMatchObject({ errorCode: 0, assignment: meta('for-m2') });

    // Stale generation: heartbeats and commits of generation 1 are refused.
    expect((await heartbeat(a1, group, m1.memberId, 1)).errorCode).toBe(code('ILLEGAL_GENERATION'));
    const stale = await commit(a1, group, m1.memberId, 1, 5);
    expect(stale.topics[0]?.partitions[0]?.errorCode).toBe(code('ILLEGAL_GENERATION'));
    const ok = await commit(b2, group, m2.memberId, 2, 7);
    expect(ok.topics[0]?.partitions[0]?.errorCode).toBe(0);
    // A simple commit while the group has live members is refused.
    const simple = await commit(a1, group, '', -1, 9);
    expect(simple.topics[0]?.partitions[0]?.errorCode).toBe(code('UNKNOWN_MEMBER_ID'));

    // Member 2 leaves (v3 batch): member 1 is told to rejoin, and does, alone.
    const left = await b2.request(K.LEAVE, 3, {
      groupId: group,
      memberId: '',
      members: [
        { memberId: m2.memberId, groupInstanceId: null, reason: null },
        { memberId: 'nobody', groupInstanceId: null, reason: null },
      ],
    });
    expect(left.errorCode).toBe(0);
    expect(left.members.map((m) => m.errorCode)).toEqual([0, code('UNKNOWN_MEMBER_ID')]);
    expect((await heartbeat(a1, group, m1.memberId, 2)).errorCode).toBe(code('REBALANCE_IN_PROGRESS'));
    const j1c = await join(a1, group, m1.memberId, { name: 'm1' });
    expect(j1c).toMatchObject({ errorCode: 0, generationId: 3, leader: m1.memberId });
    expect(j1c.members).toHaveLength(1);
    // A commit from the departed member: UNKNOWN_MEMBER_ID.
    const gone = await commit(b2, group, m2.memberId, 2, 8);
    expect(gone.topics[0]?.partitions[0]?.errorCode).toBe(code('UNKNOWN_MEMBER_ID'));
  });

  it('a member that stops heartbeating is removed after its session and the group rebalances without it', async () => {
    const group = 'cg-session';
    const a = await wire('A');
    const b = await wire('B');
    const [m1, m2] = await joinTogether(group, [
      { w: a, opts: { name: 'm1', sessionTimeoutMs: 10_000 } },
      { w: b, opts: { name: 'm2', sessionTimeoutMs: 3_000 } },
    ]);
    const [j1, j2] = await Promise.all([m1.response, m2.response]);
    expect(j1.generationId).toBe(1);
    expect(j2.generationId).toBe(1);
    const leader = j1.leader === m1.memberId ? a : b;
    const leaderId = j1.leader;
    const followerId = leaderId === m1.memberId ? m2.memberId : m1.memberId;
    const follower = leader === a ? b : a;
    const [s1, s2] = await Promise.all([
      sync(leader, group, leaderId, 1, [
        { memberId: m1.memberId, assignment: meta('p0') },
        { memberId: m2.memberId, assignment: meta('p1') },
      ]),
      sync(follower, group, followerId, 1),
    ]);
    expect([s1.errorCode, s2.errorCode]).toEqual([0, 0]);
    // m2 goes silent; m1 keeps heartbeating until it is told to rejoin.
    let hb = await heartbeat(a, group, m1.memberId, 1);
    const deadline = Date.now() + 20_000;
    while (hb.errorCode === 0 && Date.now() < deadline) hb = await heartbeat(a, group, m1.memberId, 1);
    expect(hb.errorCode).toBe(code('REBALANCE_IN_PROGRESS'));
    const rejoined = await join(a, group, m1.memberId, { name: 'm1' });
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 2, leader: m1.memberId });
    expect(rejoined.members.map((m) => m.memberId)).toEqual([m1.memberId]);
    expect((await heartbeat(b, group, m2.memberId, 1)).errorCode).toBe(code('UNKNOWN_MEMBER_ID'));
  });

  it('a follower whose leader never syncs gets REBALANCE_IN_PROGRESS, never an empty assignment', async () => {
    const group = 'cg-no-leader-sync';
    const a = await wire('A');
    const b = await wire('B');
    const [m1, m2] = await joinTogether(group, [
      { w: a, opts: { name: 'm1', rebalanceTimeoutMs: 800 } },
      { w: b, opts: { name: 'm2', rebalanceTimeoutMs: 800 } },
    ]);
    const [j1, j2] = await Promise.all([m1.response, m2.response]);
    const followerId = j1.leader === m1.memberId ? m2.memberId : m1.memberId;
    const follower = followerId === m1.memberId ? a : b;
    expect(j2.generationId).toBe(1);
    const s = await sync(follower, group, followerId, 1);
    expect(s.errorCode).toBe(code('REBALANCE_IN_PROGRESS'));
    expect(Buffer.from(s.assignment)).toEqual(Buffer.alloc(0));
  });

  it('static members rejoin under their instance id and take their entry over', async () => {
    const group = 'cg-static';
    const a = await wire();
    const j = await join(a, group, '', { version: 5, instance: 'inst-1', name: 's' });
    expect(j.errorCode).toBe(0);
    expect(j.generationId).toBe(1);
    await sync(a, group, j.memberId, 1, [{ memberId: j.memberId, assignment: meta('s') }]);
    // A restart with the same instance id (unknown member id): a new id, same generation's assignment.
    const again = await join(a, group, '', { version: 5, instance: 'inst-1', name: 's' });
    expect(again.errorCode).toBe(0);
    expect(again.memberId).not.toBe(j.memberId);
    const fenced = await a.request(K.HEARTBEAT, 3, {
      groupId: group,
      generationId: again.generationId,
      memberId: j.memberId,
      groupInstanceId: 'inst-1',
    });
    expect(fenced.errorCode).toBe(code('FENCED_INSTANCE_ID'));
  });

  it("any protocol type works: a 'connect' group's opaque bytes travel unchanged; another type is INCONSISTENT_GROUP_PROTOCOL", async () => {
    const group = 'cg-connect';
    const a = await wire('A');
    const b = await wire('B');
    const [m1, m2] = await joinTogether(group, [
      { w: a, opts: { name: 'w1', protocolType: 'connect' } },
      { w: b, opts: { name: 'w2', protocolType: 'connect' } },
    ]);
    const [j1, j2] = await Promise.all([m1.response, m2.response]);
    expect([j1.errorCode, j2.errorCode]).toEqual([0, 0]);
    expect(j1.protocolType ?? 'connect').toBe('connect');
    const leaderWire = j1.leader === m1.memberId ? a : b;
    const followerWire = leaderWire === a ? b : a;
    const followerId = j1.leader === m1.memberId ? m2.memberId : m1.memberId;
    const blob = Buffer.from([0, 1, 255, 0, 42]);
    const [ls, fs] = await Promise.all([
      sync(leaderWire, group, j1.leader, 1, [
        { memberId: j1.leader, assignment: Buffer.from('leader-task') },
        { memberId: followerId, assignment: blob },
      ]),
      sync(followerWire, group, followerId, 1),
    ]);
    expect(Buffer.from(ls.assignment)).toEqual(Buffer.from('leader-task'));
    expect(Buffer.from(fs.assignment)).toEqual(blob);
    const other = await join(a, group, '', { version: 3, protocolType: 'consumer' });
    expect(other.errorCode).toBe(code('INCONSISTENT_GROUP_PROTOCOL'));
  });

  it('refuses to mix classic and KIP-848 members in one group (GROUP_ID_NOT_FOUND, as Kafka)', async () => {
    const hb = await ctx.http.post('/v1/groups/cg-mixed-kip/heartbeat', {
      memberEpoch: 0,
      topics: ['cg-topic'],
    });
    expect(hb.status).toBe(200);
    const w = await wire();
    const refused = await join(w, 'cg-mixed-kip', '', { version: 3 });
    expect(refused.errorCode).toBe(code('GROUP_ID_NOT_FOUND'));

    const joined = await join(w, 'cg-mixed-classic', '', { version: 3 });
    expect(joined.errorCode).toBe(0);
    const kip = await ctx.http.post('/v1/groups/cg-mixed-classic/heartbeat', {
      memberEpoch: 0,
      topics: ['cg-topic'],
    });
    expect(kip.status).toBe(404);
    expect((kip.body as { code?: string }).code ?? JSON.stringify(kip.body)).toContain('GROUP_ID_NOT_FOUND');
    const del = await ctx.http.delete?.('/v1/groups/cg-mixed-classic');
    if (del) expect(del.status).toBe(409);
  });
});

describe('a kafkajs group (consumer.run)', () => {
  const kafkajsLogLevel = 0; // logLevel.NOTHING
  it('grows from 1 to 3 members on a 6-partition topic and shrinks back, consuming every record, ownership disjoint once stable', async () => {
    const { Kafka } = await import('kafkajs');
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const topic = 'cg-kafkajs';
    const group = 'cg-kafkajs-group';
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 6 })).status).toBe(201);
    const kafka = new Kafka({ clientId: 'cg-js', brokers: [ctx.bootstrap], logLevel: kafkajsLogLevel });
    const producer = kafka.producer();
    await producer.connect();
    let sent = 0;
    const produce = async (n: number) => {
      const messages = Array.from({ length: n }, () => {
        const i = sent++;
        return { key: `k${i}`, value: `v${i}`, partition: i % 6 };
      });
      await producer.send({ topic, messages });
    };
    const seen = new Set<string>();
    const assignments = new Map<string, number[]>();
    const consumers: import('kafkajs').Consumer[] = [];
    const start = async (name: string) => {
      const c = await runGroupConsumer(kafka, {
        group,
        topic,
        name,
        assignments,
        eachMessage: async ({ message }) => {
          seen.add(String(message.value));
        },
      });
      consumers.push(c);
      return c;
    };
    const until = async (what: string, cond: () => boolean, ms = 40_000) => {
      const deadline = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const allSeen = () => seen.size === sent;
    const stable = (names: string[]) => () => {
      const parts = names.flatMap((n) => assignments.get(n) ?? []);
      return (
        parts.length === 6 &&
        new Set(parts).size === 6 &&
        names.every((n) => (assignments.get(n) ?? []).length > 0)
      );
    };
    try {
      await produce(60);
      const c1 = await start('c1');
      await until('c1 to own all partitions', stable(['c1']));
      await until('c1 to consume phase 1', allSeen);
      const c2 = await start('c2');
      const c3 = await start('c3');
      await until('three members to share the partitions', stable(['c1', 'c2', 'c3']));
      await produce(60);
      await until('phase 2 consumed', allSeen);
      expect(stable(['c1', 'c2', 'c3'])()).toBe(true);
      await c3.disconnect();
      assignments.delete('c3');
      await c2.disconnect();
      assignments.delete('c2');
      await until('c1 to own all partitions again', () => (assignments.get('c1') ?? []).length === 6);
      await produce(60);
      await until('phase 3 consumed', allSeen);
      expect(seen.size).toBe(180);
      await c1.disconnect();
    } finally {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
    }
  }, 120_000);

  it('the committed offsets resume after a restart: a new consumer of the group (fromBeginning) gets only the records after its commits', async () => {
    const { Kafka } = await import('kafkajs');
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const topic = 'cg-kafkajs-resume';
    const group = 'cg-kafkajs-resume-group';
    const partitions = 3;
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions })).status).toBe(201);
    const client = (id: string) =>
      new Kafka({ clientId: id, brokers: [ctx.bootstrap], logLevel: kafkajsLogLevel });
    const producer = client('cg-resume-producer').producer();
    await producer.connect();
    let sent = 0;
    const produce = async (n: number) => {
      const values = Array.from({ length: n }, () => `r${sent++}`);
      await producer.send({
        topic,
        messages: values.map((value, i) => ({ value, partition: i % partitions })),
      });
      return values;
    };
    /** One consumer.run of the group on a fresh client, from the beginning unless committed, until `values` came. */
    const consumeUntil = async (name: string, values: string[]) => {
      const got: string[] = [];
      const c = client(name).consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 200,
      });
      try {
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({
          autoCommit: true,
          eachMessage: async ({ message }) => {
            got.push(String(message.value));
          },
        });
        // Each partition is read in order, and every partition has some of `values`: once they all
        // came, whatever the consumer would have read before them (an older record) came first.
        await waitFor(`${name} to receive ${values.length} records`, () =>
          values.every((v) => got.includes(v)) ? true : undefined,
        );
      } finally {
        await c.disconnect();
      }
      return got;
    };
    try {
      const first = await produce(30);
      expect(new Set(await consumeUntil('cg-resume-1', first))).toEqual(new Set(first));
      // The disconnect committed: every partition's offset is its end (10 records each).
      const offsets = await ctx.http.get(`/v1/groups/${group}/offsets`);
      expect(offsets.status).toBe(200);
      expect(
        (offsets.body.offsets as { topic: string; partition: number; offset: string }[])
          .filter((o) => o.topic === topic)
          .map((o) => [o.partition, o.offset])
          .sort(),
      ).toEqual([
        [0, '10'],
        [1, '10'],
        [2, '10'],
      ]);

      const second = await produce(9);
      const resumed = await consumeUntil('cg-resume-2', second);
      expect(resumed.filter((v) => first.includes(v))).toEqual([]);
      expect(resumed.sort()).toEqual([...second].sort());
    } finally {
      await producer.disconnect();
    }
  }, 90_000);
});

describe('librdkafka and kafka-python group consumers', () => {
  const records = (topic: string, from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `${topic}-v${from + i}`);
  async function produce(topic: string, values: string[]) {
    await kcat(ctx.bootstrap, ['-P', '-t', topic], `${values.join('\n')}\n`);
  }
  async function groupConsume(
    client: 'confluent' | 'kafka-python',
    group: string,
    topic: string,
    count: number,
    strategy?: string,
  ) {
    const out = await runOk(PYTHON, [`${PYTHON_DIR}group_consumer.py`], {
      input: JSON.stringify({
        bootstrap: ctx.bootstrap,
        client,
        group,
        topic,
        count,
        ...(strategy ? { strategy } : {}),
      }),
      timeoutMs: 60_000,
    });
    const text = out.toString().trim();
    return JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as { values: string[]; partitions: number[] };
  }

  for (const strategy of ['range', 'cooperative-sticky']) {
    it(`kcat -G (${strategy}) consumes every record, and a second run resumes from its commits`, async () => {
      const topic = `cg-kcat-${strategy}`;
      expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 3 })).status).toBe(201);
      const first = records(topic, 0, 30);
      await produce(topic, first);
      const args = (n: number) => [
        '-G',
        `${topic}-group`,
        topic,
        '-c',
        String(n),
        '-f',
        '%s\n',
        '-q',
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        `partition.assignment.strategy=${strategy}`,
      ];
      const got = (await kcat(ctx.bootstrap, args(30))).toString().trim().split('\n');
      expect(new Set(got)).toEqual(new Set(first));
      const second = records(topic, 30, 6);
      await produce(topic, second);
      const next = (await kcat(ctx.bootstrap, args(6))).toString().trim().split('\n');
      expect(new Set(next)).toEqual(new Set(second));
    }, 90_000);

    it(`confluent-kafka (group.protocol=classic, ${strategy}) consumes every record and resumes from its commits`, async () => {
      const topic = `cg-confluent-${strategy}`;
      expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 3 })).status).toBe(201);
      const first = records(topic, 0, 30);
      await produce(topic, first);
      const r1 = await groupConsume('confluent', `${topic}-group`, topic, 30, strategy);
      expect(new Set(r1.values)).toEqual(new Set(first));
      const second = records(topic, 30, 6);
      await produce(topic, second);
      const r2 = await groupConsume('confluent', `${topic}-group`, topic, 6, strategy);
      expect(new Set(r2.values)).toEqual(new Set(second));
    }, 90_000);
  }

  it('kafka-python (JoinGroup v2) consumes every record and resumes from its commits', async () => {
    const topic = 'cg-kafka-python';
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 3 })).status).toBe(201);
    const first = records(topic, 0, 30);
    await produce(topic, first);
    const r1 = await groupConsume('kafka-python', `${topic}-group`, topic, 30);
    expect(new Set(r1.values)).toEqual(new Set(first));
    const second = records(topic, 30, 6);
    await produce(topic, second);
    const r2 = await groupConsume('kafka-python', `${topic}-group`, topic, 6);
    expect(new Set(r2.values)).toEqual(new Set(second));
  }, 90_000);
});

describe("a custom protocol type (kafka-python's own group coordinator)", () => {
  it("a custom protocol type completes a rebalance: two members, the leader's opaque bytes to each, described as custom", async () => {
    const group = 'cg-custom';
    const member = (name: string) =>
      spawnLines(
        PYTHON,
        [`${PYTHON_DIR}custom_group_member.py`],
        JSON.stringify({ bootstrap: ctx.bootstrap, group, name }),
      );
    /** What custom_group_member.py prints: a line each rebalance it completes, and as leader. */
    type MemberEvent =
      | {
          event: 'joined';
          name: string;
          generation: number;
          member_id: string;
          protocol: string;
          assignment: string;
        }
      | { event: 'assigned'; generation: number; leader: string; members: Record<string, string> }
      | { event: 'left'; name: string };
    type Joined = Extract<MemberEvent, { event: 'joined' }>;
    const events = (m: LineChild) =>
      m.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as MemberEvent);
    const joins = (m: LineChild) => events(m).filter((e): e is Joined => e.event === 'joined');
    const members = [member('alice'), member('bob')] as const;
    try {
      // Both members complete the same generation (the later one's join rebalances the first).
      const [alice, bob] = await waitFor(
        'both members to complete one generation',
        () => {
          const [a, b] = members.map((m) => joins(m).at(-1));
          return a && b && a.generation === b.generation ? ([a, b] as const) : undefined;
        },
        40_000,
      );
      expect(alice.member_id).not.toBe(bob.member_id);
      for (const [j, name] of [
        [alice, 'alice'],
        [bob, 'bob'],
      ] as const) {
        expect(j.protocol).toBe('my-assignor');
        expect(Buffer.from(j.assignment, 'base64').toString()).toBe(
          `assigned-to-${j.member_id}|metadata-of-${name}`,
        );
      }
      // The leader saw both members' metadata for that generation.
      const assigned = members
        .flatMap((m) => events(m))
        .filter(
          (e): e is Extract<MemberEvent, { event: 'assigned' }> =>
            e.event === 'assigned' && e.generation === alice.generation,
        );
      expect(assigned).toHaveLength(1);
      const seen = assigned[0]?.members ?? {};
      expect(
        Object.fromEntries(Object.entries(seen).map(([id, m]) => [id, Buffer.from(m, 'base64').toString()])),
      ).toEqual({
        [alice.member_id]: 'metadata-of-alice',
        [bob.member_id]: 'metadata-of-bob',
      });

      const w = await wire();
      const described = await w.request(K.DESCRIBE, 5, {
        groups: [group],
        includeAuthorizedOperations: false,
      });
      expect(described.groups[0]).toMatchObject({
        errorCode: 0,
        groupState: 'Stable',
        protocolType: 'custom',
        protocolData: 'my-assignor',
      });
      expect(described.groups[0]?.members.map((m) => m.memberId).sort()).toEqual(
        [alice.member_id, bob.member_id].sort(),
      );
      const http = await ctx.http.get(`/v1/groups/${group}`);
      expect(http.status).toBe(200);
      expect(http.body).toMatchObject({
        groupId: group,
        type: 'classic',
        protocolType: 'custom',
        protocolName: 'my-assignor',
      });
      expect(http.body.members).toHaveLength(2);

      // Stopped, each leaves the group (LeaveGroup): it ends Empty.
      for (const m of members) m.child.kill('SIGTERM');
      for (const m of members) {
        expect(await m.exited()).toBe(0);
        expect(events(m).at(-1)).toMatchObject({ event: 'left' });
      }
      const after = await w.request(K.DESCRIBE, 5, { groups: [group], includeAuthorizedOperations: false });
      expect(after.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Empty', members: [] });
    } finally {
      for (const m of members) m.child.kill('SIGKILL');
    }
  }, 90_000);
});
