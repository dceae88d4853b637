import type { Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Fault,
  type Hold,
  hold,
  isProduceCommit,
  unsettledProduceCommit,
} from '../../support/faults.js';
import { useTestGateway } from '../../support/gateway.js';
import {
  createTopicHttp,
  killChildrenAfterAll,
  type LineChild,
  lastJsonLine,
  readHttp,
  spawnPython,
  storedBatches,
  toJsonRecord,
  waitFor,
} from '../../support/kafka-clients.js';
import { kafkajsClient, withConnected } from '../../support/kafkajs.js';

/**
 * Idempotent producers across a retried request: faults on the gateway's engine (SDK middleware
 * on its DynamoDB client) make the first attempt's commit outlast the client's request timeout,
 * or fail after it committed; the client retries with the same producer id, epoch and sequence,
 * and the log holds each record exactly once.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
// Two commit attempts per produce, so that an unsettled commit fails fast (see the last tests).
const ctx = useTestGateway({}, { maxCommitAttempts: 2 });
killChildrenAfterAll();

const faults: Fault[] = [];
afterEach(() => {
  for (const f of faults.splice(0)) f.remove();
});

/** Holds the first produce commit until released. */
function holdFirstCommit(): Hold {
  const first = hold(ctx.engine.clients.dynamodb, 'TransactWriteItems', {
    when: isProduceCommit(ctx.engine),
  });
  faults.push(first);
  return first;
}

/** The next produce's commit applied but not settled (see unsettledProduceCommit): the read that failed to settle it. */
function ambiguousCommit(): Fault {
  const { commits, settle } = unsettledProduceCommit(ctx.engine);
  faults.push(commits, settle);
  return settle;
}

const records = (label: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`${label}-k${i}`),
    value: Buffer.from(`${label}-v${i}`),
    headers: [] as [string, Buffer | null][],
  }));

/** The partition holds exactly `values`, in order, each once, from one producer with sequences 0.. */
async function expectExactlyOnce(topic: string, values: string[]) {
  const log = await readHttp(ctx.http, topic, 0, 0, values.length);
  expect(log.map((r) => [r.offset, r.value?.toString()])).toEqual(values.map((v, i) => [i, v]));
  const latest = await ctx.http.get(`/v1/topics/${topic}`);
  expect(latest.body.partitions[0].latestOffset).toBe(String(values.length));
  const batches = await storedBatches(ctx.bootstrap, topic, 0);
  expect(new Set(batches.map((b) => b.producerId)).size).toBe(1);
  expect(batches[0]?.producerId).toBeGreaterThanOrEqual(0n);
  expect(batches.map((b) => [b.baseOffset, b.baseSequence])).toEqual(values.map((_, i) => [i, i]));
}

/** `signal`, unless the child exits first: then its stderr fails the test. */
async function unlessExited<T>(child: LineChild, signal: Promise<T>): Promise<T> {
  const exited = child.exited().then((code) => {
    throw new Error(`the client exited ${code} first; stderr:\n${child.stderr().slice(-3000)}`);
  });
  exited.catch(() => {});
  return Promise.race([signal, exited]);
}

/** The child's last line (the script's result), once it exited 0. */
async function resultOf(child: LineChild) {
  const code = await child.exited();
  if (code !== 0) throw new Error(`the client exited ${code}; stderr:\n${child.stderr().slice(-3000)}`);
  return lastJsonLine(child.lines.at(-1) as string)[0];
}

function confluentIdempotent(
  topic: string,
  n: number,
  requestTimeoutMs: number,
  extra: { records?: ReturnType<typeof records>; allowErrors?: boolean } = {},
) {
  return spawnPython('confluent_ops.py', ctx.bootstrap, [
    {
      op: 'produce_idempotent',
      topic,
      partition: 0,
      request_timeout_ms: requestTimeoutMs,
      records: (extra.records ?? records(topic, n)).map(toJsonRecord),
      allow_errors: extra.allowErrors ?? false,
    },
  ]);
}

describe('confluent-kafka (enable.idempotence=true)', () => {
  it('a commit slower than the request timeout: the first attempt commits, the retry is answered as its duplicate', async () => {
    const topic = 'idem-ck-slow';
    await createTopicHttp(ctx.http, topic, 1);
    const first = holdFirstCommit();
    const child = confluentIdempotent(topic, 3, 1500);
    await unlessExited(child, first.reached);
    // The first attempt's commit is held: librdkafka times the request out (socket.timeout.ms)
    // and sends the same batch again (same producer id, epoch and sequence) on the same
    // connection, where it waits behind the first.
    await child.waitForLine(/Timed out ProduceRequest/);
    const firstBatch = /Produce MessageSet with 1 message\(s\) .*MsgId 1, BaseSeq 0,/;
    await waitFor('librdkafka to send the batch again', () =>
      child.lines.filter((l) => firstBatch.test(l)).length >= 2 ? true : undefined,
    );
    first.release();
    expect(await resultOf(child)).toEqual([0, 1, 2].map((offset) => ({ partition: 0, offset })));
    await expectExactlyOnce(
      topic,
      [0, 1, 2].map((i) => `${topic}-v${i}`),
    );
  });

  it('a commit applied but reported failed: the retried request is found to be a duplicate', async () => {
    const topic = 'idem-ck-ambiguous';
    await createTopicHttp(ctx.http, topic, 1);
    // Every commit attempt of the first produce "times out" after DynamoDB saw it (the first one
    // applies), and the read that would settle it fails: the gateway cannot tell, and answers
    // with a retriable error; the client sends the same batch again.
    const settle = ambiguousCommit();
    const child = confluentIdempotent(topic, 2, 10_000);
    const result = await resultOf(child);
    expect(settle.injected).toBe(1);
    expect(result).toEqual([0, 1].map((offset) => ({ partition: 0, offset })));
    await expectExactlyOnce(topic, [`${topic}-v0`, `${topic}-v1`]);
  });
  it('after a permanent error librdkafka bumps its own epoch (KIP-360): the next batch, at epoch + 1 and sequence 0, is accepted', async () => {
    const topic = 'idem-ck-bump';
    await createTopicHttp(ctx.http, topic, 1, { 'max.message.bytes': '2048' });
    const sent = records(topic, 3);
    // The middle record is over the topic's max.message.bytes: MESSAGE_TOO_LARGE, permanent. It
    // leaves a gap in the producer's sequences, so librdkafka drains and bumps its epoch.
    (sent[1] as { value: Buffer }).value = Buffer.alloc(4096, 'x');
    const child = confluentIdempotent(topic, 3, 10_000, { records: sent, allowErrors: true });
    expect(await resultOf(child)).toEqual([
      { partition: 0, offset: 0 },
      { error: 'MSG_SIZE_TOO_LARGE' },
      { partition: 0, offset: 1 },
    ]);
    const log = await readHttp(ctx.http, topic, 0, 0, 2);
    expect(log.map((r) => r.value?.toString())).toEqual([`${topic}-v0`, `${topic}-v2`]);
    const batches = await storedBatches(ctx.bootstrap, topic, 0);
    expect(batches.map((b) => [b.producerEpoch, b.baseSequence])).toEqual([
      [0, 0],
      [1, 0],
    ]);
  });
});

describe('kafkajs (idempotent: true)', () => {
  /** An idempotent producer (one request in flight) with `requestTimeout`, connected for `fn`. */
  const withProducer = (requestTimeout: number, fn: (producer: Producer) => Promise<void>) =>
    withConnected(
      kafkajsClient(ctx.bootstrap, 'strata-idempotent-test', {
        requestTimeout,
        retry: { retries: 5, initialRetryTime: 100 },
      }).producer({ idempotent: true, maxInFlightRequests: 1 }),
      fn,
    );
  /** Record `i` of the topic to partition 0. */
  const sendRecord = (producer: Producer, topic: string, i: number) =>
    producer.send({ topic, messages: [{ partition: 0, key: `k${i}`, value: `${topic}-v${i}` }] });
  /** The next record goes on at offset 1, and the log holds both records once. */
  async function expectNextAtOneAndExactlyOnce(producer: Producer, topic: string) {
    expect(await sendRecord(producer, topic, 1)).toEqual([expect.objectContaining({ baseOffset: '1' })]);
    await expectExactlyOnce(topic, [`${topic}-v0`, `${topic}-v1`]);
  }

  it('a commit slower than the request timeout: the retry is answered as a duplicate', async () => {
    const topic = 'idem-kj-slow';
    await createTopicHttp(ctx.http, topic, 1);
    await withProducer(1500, async (producer) => {
      const first = holdFirstCommit();
      let timedOut = false;
      producer.on(producer.events.REQUEST_TIMEOUT, () => {
        timedOut = true;
      });
      const sent = sendRecord(producer, topic, 0);
      await first.reached;
      await waitFor('kafkajs to time the request out', () => (timedOut ? true : undefined));
      first.release();
      expect(await sent).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: '0' })]);
      await expectNextAtOneAndExactlyOnce(producer, topic);
    });
  });

  it('a commit applied but reported failed: the retried request is found to be a duplicate', async () => {
    const topic = 'idem-kj-ambiguous';
    await createTopicHttp(ctx.http, topic, 1);
    await withProducer(10_000, async (producer) => {
      const settle = ambiguousCommit();
      const sent = await sendRecord(producer, topic, 0);
      expect(settle.injected).toBe(1);
      expect(sent).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: '0' })]);
      await expectNextAtOneAndExactlyOnce(producer, topic);
    });
  });
});
