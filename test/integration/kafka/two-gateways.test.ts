import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../lib/engine/engine.js';
import type { KafkaGateway } from '../../../lib/kafka/gateway.js';
import { startTestGateway, useTestGateway } from '../../support/gateway.js';
import {
  createTopicHttp,
  kcat,
  kcatConsumeJson,
  kcatJsonLines,
  killChildrenAfterAll,
  readHttp,
} from '../../support/kafka-clients.js';
import { openKafkaWire } from '../../support/kafka-wire.js';
import { kafkajsClient } from '../../support/kafkajs.js';
import { createTestEngine } from '../../support/stack.js';

/**
 * Two gateways, each over its own engine (as two processes would be), on the same tables and
 * bucket: clients producing through both at once build one log, and either gateway serves it the
 * same, with no gap and no duplicate.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ctx = useTestGateway();
killChildrenAfterAll();

let engineB: Engine;
let gatewayB: KafkaGateway;
const producers: Producer[] = [];

beforeAll(async () => {
  const { metaTable, indexTable, bucket } = ctx.engine.config;
  engineB = await createTestEngine({ metaTable, indexTable, bucket });
  gatewayB = await startTestGateway(engineB);
});

afterAll(async () => {
  await Promise.allSettled(producers.map((p) => p.disconnect()));
  await gatewayB?.close();
});

async function producerOn(bootstrap: string, clientId: string): Promise<Producer> {
  const p = kafkajsClient(bootstrap, clientId).producer();
  await p.connect();
  producers.push(p);
  return p;
}

/** Every record of a partition through `bootstrap`, as kcat -J prints it. */
async function readAll(bootstrap: string, topic: string, partition: number, count: number) {
  return (await kcatConsumeJson(bootstrap, topic, partition, 0, count)).map((j) => ({
    offset: j.offset,
    ts: j.ts,
    key: j.key,
    payload: j.payload,
  }));
}

describe('two gateways on the same tables and bucket', () => {
  it('both serve a topic created over HTTP, with the same topic id', async () => {
    await createTopicHttp(ctx.http, 'two-meta', 2);
    const a = JSON.parse((await kcat(ctx.bootstrap, ['-L', '-J', '-t', 'two-meta'])).toString());
    const b = JSON.parse((await kcat(gatewayB.bootstrap, ['-L', '-J', '-t', 'two-meta'])).toString());
    // Each gateway is the one broker of its own view.
    expect(a.brokers).toEqual([{ id: 0, name: ctx.bootstrap }]);
    expect(b.brokers).toEqual([{ id: 0, name: gatewayB.bootstrap }]);
    expect(a.topics).toEqual(b.topics);
    expect(b.topics[0].partitions).toHaveLength(2);
    // Metadata v12 (topic ids): the same UUID through both.
    const ids = await Promise.all(
      [ctx.bootstrap, gatewayB.bootstrap].map(async (bootstrap) => {
        const wire = await openKafkaWire(bootstrap);
        try {
          const md = await wire.request(3, 12, {
            topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'two-meta' }],
            allowAutoTopicCreation: false,
            includeTopicAuthorizedOperations: false,
          });
          return md.topics.map((t) => [t.name, t.errorCode, t.topicId]);
        } finally {
          wire.close();
        }
      }),
    );
    expect(ids[0]?.[0]?.[1]).toBe(0);
    expect(ids[0]?.[0]?.[2]).not.toBe('00000000-0000-0000-0000-000000000000');
    expect(ids[1]).toEqual(ids[0]);
  });

  it('concurrent producers through both gateways build one log per partition: no gaps, no duplicates, the same through either', async () => {
    const topic = 'two-log';
    const partitions = 3;
    await createTopicHttp(ctx.http, topic, partitions);
    const sources = [
      { name: 'a1', producer: await producerOn(ctx.bootstrap, 'two-a1') },
      { name: 'a2', producer: await producerOn(ctx.bootstrap, 'two-a2') },
      { name: 'b1', producer: await producerOn(gatewayB.bootstrap, 'two-b1') },
      { name: 'b2', producer: await producerOn(gatewayB.bootstrap, 'two-b2') },
    ];
    const requests = 8;
    // Every producer sends its requests at once, each to every partition: the gateways' engines
    // race for the same partition heads.
    const acks = await Promise.all(
      sources.flatMap(({ name, producer }) =>
        Array.from({ length: requests }, (_, r) =>
          producer
            .send({
              topic,
              messages: Array.from({ length: partitions }, (_, p) => ({
                partition: p,
                key: name,
                value: `${name}-${r}-p${p}`,
              })),
            })
            .then((res) =>
              res.map((m) => ({ name, r, partition: m.partition, baseOffset: Number(m.baseOffset) })),
            ),
        ),
      ),
    );
    const perPartition = sources.length * requests;
    for (let p = 0; p < partitions; p++) {
      const viaA = await readAll(ctx.bootstrap, topic, p, perPartition);
      const viaB = await readAll(gatewayB.bootstrap, topic, p, perPartition);
      expect(viaA.map((r) => r.offset)).toEqual(Array.from({ length: perPartition }, (_, i) => i));
      expect(viaB).toEqual(viaA);
      // Each record exactly once.
      const values = viaA.map((r) => r.payload as string);
      expect(new Set(values).size).toBe(perPartition);
      expect([...values].sort()).toEqual(
        sources
          .flatMap(({ name }) => Array.from({ length: requests }, (_, r) => `${name}-${r}-p${p}`))
          .sort(),
      );
      // Each acknowledged offset holds what was acknowledged there.
      for (const ack of acks.flat().filter((x) => x.partition === p)) {
        expect(viaA[ack.baseOffset]?.payload).toBe(`${ack.name}-${ack.r}-p${p}`);
      }
      // The HTTP API (over engine A) agrees.
      const overHttp = await readHttp(ctx.http, topic, p, 0, perPartition);
      expect(overHttp.map((r) => [r.offset, r.value?.toString(), r.timestamp])).toEqual(
        viaA.map((r) => [r.offset, r.payload, r.ts]),
      );
      // And so do both gateways' high watermarks.
      for (const bootstrap of [ctx.bootstrap, gatewayB.bootstrap]) {
        const hw = (await kcat(bootstrap, ['-Q', '-t', `${topic}:${p}:-1`])).toString();
        expect(hw).toContain(`${topic} [${p}] offset ${perPartition}`);
      }
    }
  });

  it('a consumer through one gateway long-polls and wakes for a record produced through the other', async () => {
    const topic = 'two-wake';
    await createTopicHttp(ctx.http, topic, 1);
    // kcat waits at the end of the partition through gateway A (no -e), for one record.
    const waiting = kcat(ctx.bootstrap, ['-C', '-t', topic, '-p', '0', '-o', '0', '-c', '1', '-J']);
    const producer = await producerOn(gatewayB.bootstrap, 'two-wake');
    await producer.send({ topic, messages: [{ partition: 0, key: 'b', value: 'from gateway B' }] });
    const [line] = kcatJsonLines(await waiting);
    expect(line).toMatchObject({ offset: 0, key: 'b', payload: 'from gateway B' });
  });
});
