import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitOffset,
  fetchCommitted,
  GROUP_KEYS,
  heartbeat,
  joinTogether,
  sync,
} from '../../support/classic-group-wire.js';
import { killStrataAfterAll, startGatewayProcess } from '../../support/gateway-process.js';
import { createTopicHttp, produceHttp, waitFor } from '../../support/kafka-clients.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { kafkajsClient, runGroupConsumer } from '../../support/kafkajs.js';
import { useTestServer } from '../../support/stack.js';

/**
 * One classic group served by two `strata gateway` processes over the same tables: nothing but
 * DynamoDB joins them, so a rebalance barrier, an assignment handed from the leader to a follower
 * and a commit all have to go through the tables. Each process advertises itself as broker 0 at
 * its own address, so a client bootstrapped on A stays on A.
 */
const ctx = useTestServer();
killStrataAfterAll();

let bootstrapA: string;
let bootstrapB: string;
const wires: KafkaWire[] = [];

beforeAll(async () => {
  const env = { STRATA_KAFKA_INITIAL_REBALANCE_DELAY_MS: '200' };
  const [a, b] = await Promise.all([
    startGatewayProcess(ctx.engine.config, env),
    startGatewayProcess(ctx.engine.config, env),
  ]);
  bootstrapA = a.bootstrap;
  bootstrapB = b.bootstrap;
  expect(bootstrapA).not.toBe(bootstrapB);
}, 60_000);
afterAll(() => {
  for (const w of wires) w.close();
});

async function wire(on: 'A' | 'B'): Promise<KafkaWire> {
  const w = await openKafkaWire(on === 'A' ? bootstrapA : bootstrapB);
  wires.push(w);
  return w;
}

describe('two gateway processes, one group', () => {
  it('JoinGroup and SyncGroup on different gateways: one generation, the leader’s bytes to each follower, heartbeats and commits on either', async () => {
    const group = 'xg-wire';
    const topic = 'xg-wire-topic';
    await createTopicHttp(ctx.http, topic, 2);
    // Member 1 joins on A, member 2 on B.
    const [joinA1, joinB2, syncB1, syncA2] = [
      await wire('A'),
      await wire('B'),
      await wire('B'),
      await wire('A'),
    ];
    const [m1, m2] = await joinTogether(group, [
      { w: joinA1, opts: { name: 'm1' } },
      { w: joinB2, opts: { name: 'm2' } },
    ]);
    const [j1, j2] = await Promise.all([m1.response, m2.response]);
    expect(j1).toMatchObject({ errorCode: 0, generationId: 1, memberId: m1.memberId });
    expect(j2).toMatchObject({ errorCode: 0, generationId: 1, memberId: m2.memberId, leader: j1.leader });
    expect([m1.memberId, m2.memberId]).toContain(j1.leader);
    const leaderJoin = j1.leader === m1.memberId ? j1 : j2;
    expect(leaderJoin.members.map((m) => m.memberId).sort()).toEqual([m1.memberId, m2.memberId].sort());

    // Each member syncs through the OTHER process; the leader hands out opaque bytes (not UTF-8).
    const bytesFor = (memberId: string) => Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(memberId)]);
    const assignments = [m1.memberId, m2.memberId].map((memberId) => ({
      memberId,
      assignment: bytesFor(memberId),
    }));
    const [s1, s2] = await Promise.all([
      sync(syncB1, group, m1.memberId, 1, j1.leader === m1.memberId ? assignments : []),
      sync(syncA2, group, m2.memberId, 1, j1.leader === m2.memberId ? assignments : []),
    ]);
    expect(s1.errorCode).toBe(0);
    expect(s2.errorCode).toBe(0);
    expect(Buffer.from(s1.assignment)).toEqual(bytesFor(m1.memberId));
    expect(Buffer.from(s2.assignment)).toEqual(bytesFor(m2.memberId));

    // Heartbeats of both members succeed on both processes.
    for (const w of [joinA1, joinB2]) {
      expect((await heartbeat(w, group, m1.memberId, 1)).errorCode).toBe(0);
      expect((await heartbeat(w, group, m2.memberId, 1)).errorCode).toBe(0);
    }
    // Both processes describe the same stable group.
    for (const w of [joinA1, joinB2]) {
      const described = await w.request(GROUP_KEYS.DESCRIBE, 5, {
        groups: [group],
        includeAuthorizedOperations: false,
      });
      expect(described.groups[0]).toMatchObject({
        errorCode: 0,
        groupState: 'Stable',
        protocolData: 'range',
      });
      expect(described.groups[0]?.members.map((m) => m.memberId).sort()).toEqual(
        [m1.memberId, m2.memberId].sort(),
      );
    }

    // A commit with the generation through one process is what the other one fetches.
    expect(await fetchCommitted(joinB2, group, topic, 0)).toEqual({ errorCode: 0, offset: -1 });
    const c1 = await commitOffset(syncA2, group, { memberId: m1.memberId, generation: 1 }, topic, 0, 17);
    expect(c1.topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(await fetchCommitted(joinB2, group, topic, 0)).toEqual({ errorCode: 0, offset: 17 });
    const c2 = await commitOffset(syncB1, group, { memberId: m2.memberId, generation: 1 }, topic, 1, 5);
    expect(c2.topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(await fetchCommitted(joinA1, group, topic, 1)).toEqual({ errorCode: 0, offset: 5 });
    // And a commit of a generation that never was is refused on either.
    const stale = await commitOffset(joinB2, group, { memberId: m1.memberId, generation: 2 }, topic, 0, 99);
    expect(stale.topics[0]?.partitions[0]?.errorCode).not.toBe(0);
    expect(await fetchCommitted(joinA1, group, topic, 0)).toEqual({ errorCode: 0, offset: 17 });
  }, 60_000);

  it('a kafkajs consumer on each process: they share a 4-partition topic and together consume every record', async () => {
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const topic = 'xg-kafkajs';
    const group = 'xg-kafkajs-group';
    await createTopicHttp(ctx.http, topic, 4);
    let sent = 0;
    const produce = async (n: number) => {
      const records = Array.from({ length: n }, () => {
        const i = sent++;
        return { key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [], partition: i % 4 };
      });
      await produceHttp(ctx.http, topic, records);
    };
    /** Who consumed each value, and from which partition. */
    const seen = new Map<string, { by: string; partition: number }[]>();
    const assignments = new Map<string, number[]>();
    const consumers: Consumer[] = [];
    const start = async (name: string, bootstrap: string) => {
      const c = await runGroupConsumer(kafkajsClient(bootstrap, `xg-${name}`), {
        group,
        topic,
        name,
        assignments,
        eachMessage: async ({ message, partition }) => {
          const value = String(message.value);
          seen.set(value, [...(seen.get(value) ?? []), { by: name, partition }]);
        },
      });
      consumers.push(c);
    };
    const shared = () => {
      const a = assignments.get('a') ?? [];
      const b = assignments.get('b') ?? [];
      const all = [...a, ...b];
      return a.length > 0 && b.length > 0 && all.length === 4 && new Set(all).size === 4
        ? { a, b }
        : undefined;
    };
    try {
      await produce(40);
      await start('a', bootstrapA);
      await start('b', bootstrapB);
      const owners = await waitFor('the two consumers to share the 4 partitions', shared, 60_000);
      await waitFor('the first 40 records', () => (seen.size === 40 ? true : undefined), 30_000);
      // Records produced once the group is stable go to their partition's owner, on its process.
      await produce(40);
      await waitFor('all 80 records', () => (seen.size === 80 ? true : undefined), 30_000);
      expect(shared()).toEqual(owners);
      const ownerOf = (p: number) => (owners.a.includes(p) ? 'a' : 'b');
      for (let i = 0; i < 80; i++) expect(seen.get(`v${i}`)?.length, `v${i}`).toBeGreaterThan(0);
      for (let i = 40; i < 80; i++)
        expect(seen.get(`v${i}`)).toEqual([{ by: ownerOf(i % 4), partition: i % 4 }]);
      expect(new Set([...seen.values()].flat().map((s) => s.by))).toEqual(new Set(['a', 'b']));
    } finally {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
    }
  }, 120_000);
});
