/**
 * ACLs as a real client meets them: kafkajs through a gateway with authorization on, acting as a
 * principal granted READ on `orders` and on its group `readers`, and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AclBinding } from '../../../lib/contract/acl.js';
import { createAcls, fetchOffsets } from '../../../lib/engine/index.js';
import { user } from '../../../lib/engine/principal.js';
import { usePrincipalGateway } from '../../support/gateway.js';
import { waitFor } from '../../support/kafka-clients.js';
import { kafkajsClient, kafkajsCluster, withConnected } from '../../support/kafkajs.js';

// kafkajs opens its connections as it needs them: each acts as whoever the test is now.
const { ctx, actAs } = usePrincipalGateway(
  { initialRebalanceDelayMs: 100 },
  { authEnabled: true, superUsers: ['User:admin'], aclCacheMs: 200 },
);

const read = (resourceType: AclBinding['resourceType'], resourceName: string): AclBinding => ({
  principal: 'User:reader',
  host: '*',
  resourceType,
  resourceName,
  patternType: 'LITERAL',
  operation: 'READ',
  permission: 'ALLOW',
});

beforeAll(async () => {
  actAs(user('admin'));
  const admin = kafkajsClient(ctx.bootstrap, 'authz-admin');
  await withConnected(admin.admin(), (a) =>
    a.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 1 },
        { topic: 'payments', numPartitions: 1 },
      ],
    }),
  );
  await withConnected(admin.producer(), (p) =>
    p.send({
      topic: 'orders',
      messages: [
        { key: 'o1', value: 'first' },
        { key: 'o2', value: 'second' },
      ],
    }),
  );
  await createAcls(ctx.engine, [read('TOPIC', 'orders'), read('GROUP', 'readers')]);
  actAs(user('reader'));
});
afterAll(() => {
  actAs(user('admin'));
});

describe('kafkajs as a principal with READ on orders and its group', () => {
  const kafka = () => kafkajsClient(ctx.bootstrap, 'authz-reader', { retry: { retries: 0 } });

  it('consumes orders in its group and commits', async () => {
    const consumer = kafka().consumer({ groupId: 'readers', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const seen: string[] = [];
      await consumer.run({
        autoCommit: true,
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
        },
      });
      await waitFor('the two orders', () => (seen.length >= 2 ? seen : undefined), 30_000);
      expect(seen).toEqual(['first', 'second']);
    } finally {
      await consumer.disconnect();
    }
    // kafkajs commits on its way out (autoCommit); the group's offset is read back from the engine.
    const committed = await fetchOffsets(ctx.engine, 'readers', ['orders']);
    expect(committed.map((o) => [o.topic, o.partition, o.offset])).toEqual([['orders', 0, 2]]);
  });

  it('cannot produce to orders: TOPIC_AUTHORIZATION_FAILED', async () => {
    const producer = kafka().producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'orders', messages: [{ value: 'forged' }] })).rejects.toMatchObject(
        {
          type: 'TOPIC_AUTHORIZATION_FAILED',
        },
      );
    } finally {
      await producer.disconnect();
    }
  });

  it('does not see payments in Metadata', async () => {
    const topics = await withConnected(kafka().admin(), (a) => a.listTopics());
    expect(topics).toContain('orders');
    expect(topics).not.toContain('payments');
  });

  it('cannot commit for a group it has no READ on: GROUP_AUTHORIZATION_FAILED', async () => {
    const cluster = await kafkajsCluster(kafka());
    try {
      const broker = await cluster.findBroker({ nodeId: '0' });
      await expect(broker.findGroupCoordinator({ groupId: 'others' })).rejects.toMatchObject({
        type: 'GROUP_AUTHORIZATION_FAILED',
      });
      await expect(
        broker.offsetCommit({
          groupId: 'others',
          groupGenerationId: -1,
          memberId: '',
          topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] }],
        }),
      ).rejects.toMatchObject({ type: 'GROUP_AUTHORIZATION_FAILED' });
    } finally {
      await cluster.disconnect();
    }
    // A group consumer of `others` crashes before it joins: its FindCoordinator is refused
    // (kafkajs reports that as "failed to find group coordinator"), and nothing is committed.
    const consumer = kafka().consumer({ groupId: 'others' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'orders' });
      const crashed = new Promise<unknown>((resolve) => {
        consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error));
      });
      await consumer.run({ eachMessage: async () => {} }).catch(() => {});
      expect(await crashed).toBeInstanceOf(Error);
    } finally {
      await consumer.disconnect();
    }
    expect(await fetchOffsets(ctx.engine, 'others')).toEqual([]);
  });
});
