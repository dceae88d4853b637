/**
 * The client against the real handlers over HTTP (DynamoDB Local + s3rver): admin, producer and
 * consumer round trips, fromBeginning semantics, seek, pause/resume, eachBatch, offset resets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigResourceTypes,
  ConfigSource,
  type Consumer,
  type EachMessagePayload,
  type KafkaMessage,
  logLevel,
  Strata,
  StrataTopicAlreadyExistsError,
} from '../../index.js';
import { partitionForKey } from '../../lib/contract/partitioner.js';
import { createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;
let strata: Strata;
const consumers: Consumer[] = [];

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
  strata = new Strata({ endpoint: server.url, clientId: 'client-test', logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await server?.close();
});

async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function consumer(groupId: string) {
  const c = strata.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 1_000 });
  consumers.push(c);
  return c;
}

/** Runs a consumer that collects what it sees; `seen` keeps `partition:offset:value`. */
async function collecting(c: Consumer, topic: string, fromBeginning: boolean) {
  const seen: { partition: number; message: KafkaMessage }[] = [];
  await c.subscribe({ topics: [topic], fromBeginning });
  await c.run({
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      seen.push({ partition, message });
    },
  });
  return seen;
}

const values = (seen: { message: KafkaMessage }[]) => seen.map((s) => s.message.value?.toString()).sort();

describe('admin', () => {
  it('creates (false when it existed), lists, describes, grows, reads offsets of and deletes topics', async () => {
    const admin = strata.admin();
    await admin.connect();
    expect(
      await admin.createTopics({
        topics: [
          { topic: 'adm', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        ],
      }),
    ).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 2 }] })).toBe(false);
    expect(await admin.listTopics()).toContain('adm');
    const md = await admin.fetchTopicMetadata({ topics: ['adm'] });
    expect(md.topics[0]?.partitions.map((p) => p.partitionId)).toEqual([0, 1]);
    expect(await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 4 }] })).toBe(true);
    const producer = strata.producer();
    await producer.send({
      topic: 'adm',
      messages: [
        { value: 'x', partition: 3 },
        { value: 'y', partition: 3 },
      ],
    });
    expect(await admin.fetchTopicOffsets('adm')).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
      { partition: 1, offset: '0', high: '0', low: '0' },
      { partition: 2, offset: '0', high: '0', low: '0' },
      { partition: 3, offset: '2', high: '2', low: '0' },
    ]);
    await admin.deleteTopics({ topics: ['adm'] });
    expect(await admin.listTopics()).not.toContain('adm');
    await expect(strata.api.createTopic('adm2', 1)).resolves.toBeDefined();
    await expect(strata.api.createTopic('adm2', 1)).rejects.toBeInstanceOf(StrataTopicAlreadyExistsError);
  });

  it("alterConfigs replaces a topic's configs as KafkaJS's does, describeConfigs tells set from default; a bad value is INVALID_CONFIG", async () => {
    const admin = strata.admin();
    await admin.createTopics({
      topics: [{ topic: 'alt', configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    const altered = await admin.alterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'alt',
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    expect(altered.resources).toEqual([
      { errorCode: 0, errorMessage: null, resourceName: 'alt', resourceType: ConfigResourceTypes.TOPIC },
    ]);
    const { config } = await strata.api.describeTopic('alt');
    expect([config['cleanup.policy'], config['retention.ms']]).toEqual(['compact', '604800000']);
    const described = await admin.describeConfigs({
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'alt', configNames: ['cleanup.policy', 'retention.ms'] },
      ],
      includeSynonyms: false,
    });
    expect(described.resources[0]?.configEntries).toEqual([
      expect.objectContaining({
        configName: 'cleanup.policy',
        configValue: 'compact',
        isDefault: false,
        configSource: ConfigSource.TOPIC_CONFIG,
      }),
      expect.objectContaining({
        configName: 'retention.ms',
        configValue: '604800000',
        isDefault: true,
        configSource: ConfigSource.DEFAULT_CONFIG,
      }),
    ]);
    const every = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'alt' }],
    });
    expect(every.resources[0]?.configEntries.map((e) => e.configName).sort()).toEqual(
      Object.keys(config).sort(),
    );
    const bad = admin.alterConfigs({
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: 'alt',
          configEntries: [{ name: 'retention.ms', value: 'x' }],
        },
      ],
    });
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_CONFIG', retriable: false });
    expect((await strata.api.describeTopic('alt')).config).toEqual(config);
  });

  it('finds offsets by timestamp and sets and resets group offsets', async () => {
    const admin = strata.admin();
    await admin.createTopics({ topics: [{ topic: 'ts', numPartitions: 2 }] });
    const producer = strata.producer();
    const old = Date.now() - 60_000;
    await producer.send({
      topic: 'ts',
      messages: [
        { value: 'old-0', partition: 0, timestamp: old },
        { value: 'old-1', partition: 1, timestamp: old },
        { value: 'new-0', partition: 0 },
      ],
    });
    const byTs = await admin.fetchTopicOffsetsByTimestamp('ts', Date.now() - 30_000);
    expect(byTs).toEqual([
      { partition: 0, offset: '1' },
      { partition: 1, offset: '1' },
    ]);
    await admin.setOffsets({
      groupId: 'set-g',
      topic: 'ts',
      partitions: [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '0' },
      ],
    });
    expect(await admin.fetchOffsets({ groupId: 'set-g', topics: ['ts'] })).toEqual([
      {
        topic: 'ts',
        partitions: [
          { partition: 0, offset: '1', metadata: null },
          { partition: 1, offset: '0', metadata: null },
        ],
      },
    ]);
    await admin.resetOffsets({ groupId: 'set-g', topic: 'ts', earliest: false });
    const latest = await admin.fetchOffsets({ groupId: 'set-g', topics: ['ts'] });
    expect(latest[0]?.partitions.map((p) => p.offset)).toEqual(['2', '1']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('set-g');
    const described = await admin.describeGroups(['set-g']);
    expect(described.groups[0]).toMatchObject({ groupId: 'set-g', members: [] });
    expect(await admin.deleteGroups(['set-g'])).toEqual([{ groupId: 'set-g', errorCode: 0 }]);
    expect(await admin.fetchOffsets({ groupId: 'set-g', topics: ['ts'] })).toEqual([
      {
        topic: 'ts',
        partitions: [
          { partition: 0, offset: '-1', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
        ],
      },
    ]);
  });
});

describe('producer and consumer', () => {
  it('round-trips keyed text and bytes with headers, in order per partition, and commits on disconnect', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'rt', numPartitions: 3 }] });
    const producer = strata.producer();
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `key-${i % 7}`,
      value: i % 5 === 0 ? Buffer.from([0, 255, i]) : `value-${i}`,
      headers: { seq: String(i), bin: Buffer.from([i]) },
    }));
    const sent = await producer.send({ topic: 'rt', messages });
    await producer.disconnect();
    expect(sent.reduce((n, md) => n + md.offsets.length, 0)).toBe(30);
    for (const md of sent) expect(md).toMatchObject({ topicName: 'rt', errorCode: 0 });

    const c = consumer('rt-g');
    const seen = await collecting(c, 'rt', true);
    await waitFor('30 messages', () => seen.length >= 30);
    await c.disconnect();

    expect(seen).toHaveLength(30);
    const bySeq = new Map(seen.map((s) => [s.message.headers.seq?.toString(), s]));
    messages.forEach((m, i) => {
      const got = bySeq.get(String(i));
      expect(got, `message ${i}`).toBeDefined();
      expect(Buffer.isBuffer(got?.message.value)).toBe(true);
      expect(Buffer.from(got?.message.value as Uint8Array).equals(Buffer.from(m.value))).toBe(true);
      expect(got?.message.key?.toString()).toBe(m.key);
      expect([...(got?.message.headers.bin ?? [])]).toEqual([i]);
      expect(got?.partition).toBe(partitionForKey(new TextEncoder().encode(m.key), 3));
      expect(Number(got?.message.timestamp)).toBeGreaterThan(0);
    });
    for (let p = 0; p < 3; p++) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.message.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    const committed = await strata.admin().fetchOffsets({ groupId: 'rt-g', topics: ['rt'] });
    const high = await strata.admin().fetchTopicOffsets('rt');
    expect(committed[0]?.partitions.map((p) => p.offset)).toEqual(high.map((h) => h.high));
  });

  it('fromBeginning applies only when the group has no committed offset', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'fb', numPartitions: 2 }] });
    const producer = strata.producer();
    await producer.send({ topic: 'fb', messages: ['a', 'b', 'c'].map((value) => ({ value })) });

    const fromStart = consumer('fb-start');
    const startSeen = await collecting(fromStart, 'fb', true);
    const fromEnd = consumer('fb-end');
    const endSeen = await collecting(fromEnd, 'fb', false);
    await waitFor(
      'both consumers to own both partitions',
      () => fromStart.assignment().length === 2 && fromEnd.assignment().length === 2,
    );
    await waitFor('the old records', () => startSeen.length >= 3);
    // Give fb-end time to resolve its start offsets (latest) before producing more.
    await new Promise((r) => setTimeout(r, 1_500));
    await producer.send({ topic: 'fb', messages: ['d', 'e'].map((value) => ({ value })) });
    await waitFor('the new records', () => startSeen.length >= 5 && endSeen.length >= 2);
    expect(values(startSeen)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(values(endSeen)).toEqual(['d', 'e']);
    await fromStart.disconnect();

    // fb-start committed everything: rejoining with fromBeginning reads nothing old.
    const again = consumer('fb-start');
    const againSeen = await collecting(again, 'fb', true);
    await waitFor('assignment', () => again.assignment().length === 2);
    await producer.send({ topic: 'fb', messages: [{ value: 'f' }] });
    await waitFor('the newest record', () => againSeen.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(values(againSeen)).toEqual(['f']);
    await again.disconnect();
    await fromEnd.disconnect();
  });

  it('seek re-reads from an offset; an out-of-range position resets per fromBeginning', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'sk', numPartitions: 1 }] });
    const producer = strata.producer();
    await producer.send({ topic: 'sk', messages: ['0', '1', '2', '3', '4'].map((value) => ({ value })) });
    const c = consumer('sk-g');
    const seen = await collecting(c, 'sk', true);
    await waitFor('five records', () => seen.length >= 5);
    c.seek({ topic: 'sk', partition: 0, offset: '2' });
    await waitFor('re-read from 2', () => seen.length >= 8);
    expect(seen.map((s) => s.message.offset)).toEqual(['0', '1', '2', '3', '4', '2', '3', '4']);
    // Past the high watermark: OFFSET_OUT_OF_RANGE, then auto.offset.reset to earliest (fromBeginning).
    c.seek({ topic: 'sk', partition: 0, offset: '1000' });
    await waitFor('reset to earliest', () => seen.length >= 13);
    expect(seen.slice(8).map((s) => s.message.offset)).toEqual(['0', '1', '2', '3', '4']);
    await c.disconnect();
  });

  it('pause stops delivery of a topic until resume; paused() lists it', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'pz', numPartitions: 2 }] });
    const producer = strata.producer();
    const c = consumer('pz-g');
    const seen = await collecting(c, 'pz', true);
    await waitFor('assignment', () => c.assignment().length === 2);
    c.pause([{ topic: 'pz' }]);
    expect(c.paused()).toEqual([{ topic: 'pz', partitions: [0, 1] }]);
    await producer.send({ topic: 'pz', messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seen).toHaveLength(0);
    c.resume([{ topic: 'pz' }]);
    expect(c.paused()).toEqual([]);
    await waitFor('delivery after resume', () => seen.length >= 3);
    expect(values(seen)).toEqual(['a', 'b', 'c']);
    await c.disconnect();
  });

  it('the pause() handed to eachMessage pauses that partition and re-delivers the rest on resume', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'pm', numPartitions: 1 }] });
    await strata.producer().send({ topic: 'pm', messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    const c = consumer('pm-g');
    const seen: string[] = [];
    let resume: (() => void) | undefined;
    await c.subscribe({ topics: ['pm'], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message, pause }) => {
        seen.push(message.value?.toString() ?? '');
        if (message.value?.toString() === 'a' && !resume) resume = pause();
      },
    });
    await waitFor('first message', () => seen.length >= 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen).toEqual(['a']);
    expect(c.paused()).toEqual([{ topic: 'pm', partitions: [0] }]);
    resume?.();
    await waitFor('the rest', () => seen.length >= 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    await c.disconnect();
  });

  it('eachBatch gets batches with their bounds; unresolved messages come again', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'eb', numPartitions: 1 }] });
    await strata.producer().send({ topic: 'eb', messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
    const c = consumer('eb-g');
    const batches: { first: string | null; last: string; hw: string; n: number }[] = [];
    let tries = 0;
    await c.subscribe({ topics: ['eb'], fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }) => {
        expect(isRunning()).toBe(true);
        expect(isStale()).toBe(false);
        batches.push({
          first: batch.firstOffset(),
          last: batch.lastOffset(),
          hw: batch.highWatermark,
          n: batch.messages.length,
        });
        // The first time, resolve only the first two messages.
        const upTo = tries++ === 0 ? 2 : batch.messages.length;
        for (const m of batch.messages.slice(0, upTo)) resolveOffset(m.offset);
        await commitOffsetsIfNecessary();
      },
    });
    await waitFor('two batches', () => batches.length >= 2);
    expect(batches[0]).toEqual({ first: '0', last: '3', hw: '4', n: 4 });
    expect(batches[1]).toEqual({ first: '2', last: '3', hw: '4', n: 2 });
    await c.disconnect();
    const committed = await strata.admin().fetchOffsets({ groupId: 'eb-g', topics: ['eb'] });
    expect(committed[0]?.partitions[0]?.offset).toBe('4');
  });

  it('manual commits with autoCommit off; a member can read its group', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'mc', numPartitions: 1 }] });
    await strata.producer().send({ topic: 'mc', messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    const c = consumer('mc-g');
    const seen: string[] = [];
    await c.subscribe({ topic: 'mc', fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        seen.push(message.offset);
        if (message.offset === '1') await c.commitOffsets([{ topic, partition, offset: '2' }]);
      },
    });
    await waitFor('three messages', () => seen.length >= 3);
    const d = await c.describeGroup();
    expect(d.members).toHaveLength(1);
    await c.disconnect();
    const committed = await strata.admin().fetchOffsets({ groupId: 'mc-g', topics: ['mc'] });
    // autoCommit off: only the explicit commit counts.
    expect(committed[0]?.partitions[0]?.offset).toBe('2');
  });

  it('subscribes by RegExp (topicPattern), mixed with names', async () => {
    await strata.admin().createTopics({
      topics: [
        { topic: 'rx.orders.eu', numPartitions: 1 },
        { topic: 'rx.orders.us', numPartitions: 1 },
        { topic: 'rx.other', numPartitions: 1 },
        { topic: 'rx-named', numPartitions: 1 },
      ],
    });
    const producer = strata.producer();
    for (const topic of ['rx.orders.eu', 'rx.orders.us', 'rx.other', 'rx-named']) {
      await producer.send({ topic, messages: [{ value: topic }] });
    }
    const c = consumer('rx-g');
    const seen: string[] = [];
    await c.subscribe({ topics: [/^rx\.orders\./, 'rx-named'], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
    await waitFor('three topics', () => seen.length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.sort()).toEqual(['rx-named', 'rx.orders.eu', 'rx.orders.us']);
    await c.disconnect();
  });

  it('emits GROUP_JOIN, HEARTBEAT, COMMIT_OFFSETS and STOP events', async () => {
    await strata.admin().createTopics({ topics: [{ topic: 'ev', numPartitions: 1 }] });
    const c = consumer('ev-g');
    const types = new Set<string>();
    let memberAssignment: unknown;
    for (const e of [c.events.GROUP_JOIN, c.events.HEARTBEAT, c.events.COMMIT_OFFSETS, c.events.STOP]) {
      c.on(e, (ev) => {
        types.add(ev.type);
        if (ev.type === c.events.GROUP_JOIN)
          memberAssignment = (ev.payload as { memberAssignment: unknown }).memberAssignment;
      });
    }
    await collecting(c, 'ev', true);
    await strata.producer().send({ topic: 'ev', messages: [{ value: 'x' }] });
    await waitFor('join', () => types.has(c.events.GROUP_JOIN));
    expect(memberAssignment).toEqual({ ev: [0] });
    await c.disconnect();
    expect([...types].sort()).toEqual(
      [c.events.COMMIT_OFFSETS, c.events.GROUP_JOIN, c.events.HEARTBEAT, c.events.STOP].sort(),
    );
  });
});
