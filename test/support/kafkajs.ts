import {
  type Admin,
  type Consumer,
  type EachMessagePayload,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
} from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { comparable, type ReadRecord, type TestRecord } from './kafka-clients.js';

/** A kafkajs client of the gateway at `bootstrap`, silent. */
export function kafkajsClient(
  bootstrap: string,
  clientId: string,
  config: Omit<KafkaConfig, 'brokers' | 'clientId'> = {},
): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, ...config });
}

/** Connects `client` (a producer, consumer or admin), runs `fn` with it, and disconnects it whatever happens. */
export async function withConnected<C extends { connect(): Promise<void>; disconnect(): Promise<void> }, T>(
  client: C,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.disconnect();
  }
}

/**
 * A file's kafkajs client of the test gateway, with a producer (and, if asked, an admin)
 * connected before the file's tests and disconnected after them.
 */
export function useKafkajs(
  ctx: { readonly bootstrap: string },
  clientId: string,
  config: Omit<KafkaConfig, 'brokers' | 'clientId'> = {},
  opts: { admin?: boolean } = {},
): { readonly kafka: Kafka; readonly producer: Producer; readonly admin: Admin } {
  let current: { kafka: Kafka; producer: Producer; admin?: Admin } | undefined;
  const get = () => {
    if (!current) throw new Error('useKafkajs: used outside a test');
    return current;
  };
  beforeAll(async () => {
    const kafka = kafkajsClient(ctx.bootstrap, clientId, config);
    const producer = kafka.producer();
    const admin = opts.admin ? kafka.admin() : undefined;
    current = { kafka, producer, ...(admin ? { admin } : {}) };
    await Promise.all([admin?.connect(), producer.connect()]);
  });
  afterAll(async () => {
    await Promise.allSettled([current?.admin?.disconnect(), current?.producer.disconnect()]);
  });
  return {
    get kafka() {
      return get().kafka;
    },
    get producer() {
      return get().producer;
    },
    get admin() {
      const { admin } = get();
      if (!admin) throw new Error('useKafkajs: no admin asked for');
      return admin;
    },
  };
}

/**
 * kafkajs has no consumer without a group, so the tests read with the broker connection its
 * consumer uses: the cluster kafkajs builds for its clients (private, reached through its symbol),
 * whose Broker sends kafkajs's own Fetch (v11) and decodes the batches with kafkajs's decoder.
 */
// biome-ignore lint/suspicious/noExplicitAny: kafkajs's Cluster and Broker are not in its types.
export type KafkajsCluster = any;

export async function kafkajsCluster(kafka: Kafka): Promise<KafkajsCluster> {
  const create = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  if (!create) throw new Error('kafkajs: no createCluster');
  const cluster = (kafka as unknown as Record<symbol, (o: object) => KafkajsCluster>)[create]?.({});
  await cluster.connect();
  await cluster.refreshMetadata();
  return cluster;
}

/** kafkajs's own Fetch and decoder from `offset` until `count` records have come (20 s at most). */
export async function fetchWithKafkajs(
  kafka: Kafka,
  topic: string,
  partition: number,
  offset: number,
  count: number,
): Promise<ReadRecord[]> {
  const cluster = await kafkajsCluster(kafka);
  try {
    const broker = await cluster.findBroker({ nodeId: '0' });
    const out: ReadRecord[] = [];
    let next = offset;
    const deadline = Date.now() + 20_000;
    while (out.length < count) {
      if (Date.now() > deadline) throw new Error(`kafkajs fetch: ${out.length} of ${count} records`);
      const res = await broker.fetch({
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10_000_000,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 10_000_000 }] }],
      });
      const p = res.responses[0].partitions[0];
      if (p.errorCode !== 0)
        throw new Error(`kafkajs fetch ${topic}/${partition}@${next}: error ${p.errorCode}`);
      for (const m of p.messages as {
        offset: string;
        timestamp: string;
        key: Buffer | null;
        value: Buffer | null;
        headers: Record<string, Buffer | null | (Buffer | null)[]>;
      }[]) {
        if (Number(m.offset) < next) continue;
        out.push({
          partition,
          offset: Number(m.offset),
          timestamp: Number(m.timestamp),
          key: m.key,
          value: m.value,
          headers: Object.entries(m.headers).flatMap(([k, v]) =>
            (Array.isArray(v) ? v : [v]).map((b): [string, Buffer | null] => [k, b]),
          ),
        });
        next = Number(m.offset) + 1;
      }
    }
    return out.slice(0, count);
  } finally {
    await cluster.disconnect();
  }
}

/** A record as kafkajs sends it: headers are an object, a repeated key becomes an array, in order. */
export function kafkajsMessage(r: TestRecord) {
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (const [k, v] of r.headers) {
    if (v === null) throw new Error('kafkajs cannot send a null header value');
    const prev = headers[k];
    headers[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return {
    key: r.key,
    value: r.value,
    headers,
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
    ...(r.timestamp !== undefined ? { timestamp: String(r.timestamp) } : {}),
  };
}

/** Comparable, with headers grouped by key as kafkajs reads them (it loses the order across keys). */
export function groupedByKey(r: TestRecord) {
  const c = comparable(r);
  const keys = [...new Set(c.headers.map(([k]) => k as string))].sort();
  return { ...c, headers: keys.flatMap((k) => c.headers.filter(([hk]) => hk === k)) };
}

/**
 * A kafkajs group consumer of `topic` (from the beginning, quick heartbeats), running: at each
 * rebalance it records its partitions of the topic in `assignments` under `name`.
 */
export async function runGroupConsumer(
  kafka: Kafka,
  opts: {
    group: string;
    topic: string;
    name: string;
    assignments: Map<string, number[]>;
    eachMessage: (payload: EachMessagePayload) => Promise<void>;
  },
): Promise<Consumer> {
  const c = kafka.consumer({
    groupId: opts.group,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
  });
  c.on(c.events.GROUP_JOIN, (e) => {
    const mine = e.payload.memberAssignment[opts.topic] ?? [];
    opts.assignments.set(
      opts.name,
      [...mine].sort((a, b) => a - b),
    );
  });
  await c.connect();
  await c.subscribe({ topic: opts.topic, fromBeginning: true });
  await c.run({ eachMessage: opts.eachMessage });
  return c;
}
