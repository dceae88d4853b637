import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { FlushReport } from '../../../lib/engine/index.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { hold } from '../../../lib/testing/faults.js';
import { useTestGateway } from '../../support/gateway.js';
import {
  initIdempotentProducer,
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
  recordBatch,
} from '../../support/kafka-wire.js';

/**
 * The gateway's flushes (lib/engine/ops/produce-flush.ts): the produce requests of many
 * connections share one segment object and as few commits as fit, each answered with its own
 * offsets and errors. A flush here closes on bytes, not time: the linger is a minute, and
 * `flushBytes` is set per test to exactly the bytes it sends, so what shares a flush is certain.
 */
const ctx = useTestGateway({ produceLingerMs: 60_000 });
const PRODUCE = APIS.Produce.key;

let puts = 0;
const reports: FlushReport[] = [];
beforeAll(() => {
  // Counts the PutObject requests the engine really sends (no mock: the request goes on to s3rver).
  ctx.engine.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand') puts++;
      return next(args);
    },
    { step: 'initialize', name: 'countPuts' },
  );
  ctx.gateway.flusher.onFlush((r) => reports.push(r));
});

/** Makes the next flush close once it holds exactly these batches. */
function flushAt(batches: readonly Uint8Array[]): void {
  (ctx.gateway.flusher as unknown as { options: { flushBytes: number } }).options.flushBytes = batches.reduce(
    (n, b) => n + b.length,
    0,
  );
}

async function createTopic(name: string, partitions: number) {
  expect((await ctx.http.post('/v1/topics', { name, partitions })).status).toBe(201);
}

async function readValues(topic: string, partition: number): Promise<Map<number, string>> {
  const res = await ctx.http.get<{ records: { offset: string; value: string }[] }>(
    `/v1/topics/${topic}/partitions/${partition}/records?offset=0&maxRecords=1000`,
  );
  expect(res.status).toBe(200);
  return new Map(res.body.records.map((r) => [Number(r.offset), r.value]));
}

async function wires(n: number): Promise<KafkaWire[]> {
  return Promise.all(Array.from({ length: n }, () => openKafkaWire(ctx.bootstrap)));
}

describe('gateway flushes', () => {
  it('puts the requests of eight connections to two topics into one object, each answered with its own offsets', async () => {
    await createTopic('flush-a', 4);
    await createTopic('flush-b', 2);
    const conns = await wires(8);
    const sends = conns.map((_, i) => ({
      topic: i < 6 ? 'flush-a' : 'flush-b',
      partition: i < 6 ? i % 4 : i % 2,
      batch: recordBatch([`v${i}-0`, `v${i}-1`, `v${i}-2`]),
      index: i,
    }));
    flushAt(sends.map((s) => s.batch));
    const putsBefore = puts;
    const flushesBefore = reports.length;
    const answers = await Promise.all(
      sends.map((s) =>
        (conns[s.index] as KafkaWire).request(PRODUCE, 9, produceRequest(s.topic, s.partition, s.batch)),
      ),
    );
    expect(puts - putsBefore).toBe(1);
    expect(reports.length - flushesBefore).toBe(1);
    expect(reports.at(-1)).toMatchObject({ requests: 8, entries: 8, commits: 2 });
    for (const [i, answer] of answers.entries()) {
      const p = producedPartition(answer);
      expect(p?.errorCode).toBe(0);
      const s = sends[i] as (typeof sends)[number];
      const log = await readValues(s.topic, s.partition);
      const base = Number(p?.baseOffset);
      expect([0, 1, 2].map((k) => log.get(base + k))).toEqual([`v${i}-0`, `v${i}-1`, `v${i}-2`]);
    }
    // flush-a partitions 0 and 1 each got two requests: offsets 0-2 and 3-5, one after the other.
    const bases = answers.slice(0, 6).map((a) => Number(producedPartition(a)?.baseOffset));
    expect([bases[0], bases[4]].sort()).toEqual([0, 3]);
    expect([bases[1], bases[5]].sort()).toEqual([0, 3]);
    for (const c of conns) c.close();
  });

  it('answers a bad batch at once, and never fails its neighbours in the flush', async () => {
    await createTopic('flush-bad', 2);
    const conns = await wires(4);
    const good = [0, 1, 2].map((i) => recordBatch([`good-${i}`]));
    const corrupt = recordBatch(['corrupt']);
    corrupt.set([(corrupt.at(-1) as number) ^ 0xff], corrupt.length - 1); // the CRC no longer matches
    flushAt(good);
    const flushesBefore = reports.length;
    const bad = await (conns[3] as KafkaWire).request(PRODUCE, 9, produceRequest('flush-bad', 0, corrupt));
    expect(producedPartition(bad)?.errorCode).toBe(2); // CORRUPT_MESSAGE, before any flush
    expect(reports.length).toBe(flushesBefore);
    // One request mixes a good partition with a corrupt one: only the corrupt one fails.
    const mixed = (conns[2] as KafkaWire).request(PRODUCE, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        {
          name: 'flush-bad',
          partitionData: [
            { index: 0, records: corrupt },
            { index: 1, records: good[2] as Uint8Array },
          ],
        },
      ],
    });
    const answers = await Promise.all([
      (conns[0] as KafkaWire).request(PRODUCE, 9, produceRequest('flush-bad', 0, good[0] as Uint8Array)),
      (conns[1] as KafkaWire).request(PRODUCE, 9, produceRequest('flush-bad', 1, good[1] as Uint8Array)),
      mixed,
    ]);
    expect(answers.slice(0, 2).map((a) => producedPartition(a)?.errorCode)).toEqual([0, 0]);
    const parts = (await mixed).responses[0]?.partitionResponses;
    expect(parts?.map((p) => [p.index, p.errorCode])).toEqual([
      [0, 2],
      [1, 0],
    ]);
    expect(reports.length - flushesBefore).toBe(1);
    expect([...(await readValues('flush-bad', 0)).values()]).toEqual(['good-0']);
    expect([...(await readValues('flush-bad', 1)).values()].sort()).toEqual(['good-1', 'good-2']);
    for (const c of conns) c.close();
  });

  it("keeps an idempotent producer's sequence order within a flush and across flushes, and answers retries with the original offsets", async () => {
    await createTopic('flush-idem', 1);
    const [wire, other] = await wires(2);
    const producer = await initIdempotentProducer(wire as KafkaWire);
    const batch = (seq: number, values: string[]) => recordBatch(values, { ...producer, baseSequence: seq });
    // Five pipelined requests of one producer, plus a plain one from another connection: one flush.
    const first = [0, 1, 2, 3, 4].map((i) => batch(i * 2, [`s${i * 2}`, `s${i * 2 + 1}`]));
    const plain = recordBatch(['plain']);
    flushAt([...first, plain]);
    const flushesBefore = reports.length;
    const answers = await Promise.all([
      ...first.map((b) => (wire as KafkaWire).request(PRODUCE, 9, produceRequest('flush-idem', 0, b))),
      (other as KafkaWire).request(PRODUCE, 9, produceRequest('flush-idem', 0, plain)),
    ]);
    expect(reports.length - flushesBefore).toBe(1);
    expect(answers.map((a) => producedPartition(a)?.errorCode)).toEqual([0, 0, 0, 0, 0, 0]);
    const bases = answers.slice(0, 5).map((a) => Number(producedPartition(a)?.baseOffset));
    // In sequence order, two offsets apart, whatever the plain request's place.
    for (let i = 1; i < 5; i++) expect(bases[i]).toBe((bases[i - 1] as number) + 2);

    // The next flush: the following batch, and a retry of the third, which is not written again.
    const next = batch(10, ['s10']);
    const retry = first[2] as Uint8Array;
    flushAt([next, retry]);
    const [appended, retried] = await Promise.all([
      (wire as KafkaWire).request(PRODUCE, 9, produceRequest('flush-idem', 0, next)),
      (other as KafkaWire).request(PRODUCE, 9, produceRequest('flush-idem', 0, retry)),
    ]);
    expect(producedPartition(retried)).toMatchObject({
      errorCode: 0,
      baseOffset: BigInt(bases[2] as number),
    });
    expect(producedPartition(appended)?.errorCode).toBe(0);
    expect(Number(producedPartition(appended)?.baseOffset)).toBe(
      Math.max((bases[4] as number) + 2, Number(producedPartition(answers[5] as never)?.baseOffset) + 1),
    );

    const log = await readValues('flush-idem', 0);
    const sequenced = [...log.values()].filter((v) => v.startsWith('s'));
    expect(sequenced).toEqual(Array.from({ length: 11 }, (_, i) => `s${i}`));
    expect([...log.values()].filter((v) => v === 'plain')).toHaveLength(1);
    (wire as KafkaWire).close();
    (other as KafkaWire).close();
  });

  it("judges a producer's next flush after the one under way: five pipelined batches, one flush each, all in order", async () => {
    await createTopic('flush-pipelined', 1);
    const [wire] = await wires(1);
    const producer = await initIdempotentProducer(wire as KafkaWire);
    const batches = [0, 1, 2, 3, 4].map((i) => recordBatch([`q${i}`], { ...producer, baseSequence: i }));
    // Each batch closes a flush of its own, so two flushes are under way at once. The first
    // flush's read of the producer's state is held until all five requests have joined: the
    // second flush must still judge its batch after the first one's.
    flushAt([batches[0] as Uint8Array]);
    const flushesBefore = reports.length;
    const stateRead = hold(ctx.engine.clients.dynamodb, 'BatchGetItem');
    const flusher = ctx.gateway.flusher;
    const produce = flusher.produce.bind(flusher);
    let joined = 0;
    flusher.produce = (...args) => {
      const answer = produce(...args);
      joined++;
      return answer;
    };
    const pending = batches.map((b) =>
      (wire as KafkaWire).request(PRODUCE, 9, produceRequest('flush-pipelined', 0, b)),
    );
    try {
      await stateRead.reached;
      await vi.waitFor(() => expect(joined).toBe(5));
      // A second flush that did not wait would read the state now, unheld, and refuse sequence 1.
      await vi.waitFor(() => expect(stateRead.calls).toBeGreaterThan(1), { timeout: 300 }).catch(() => {});
    } finally {
      stateRead.remove();
      flusher.produce = produce;
    }
    const answers = await Promise.all(pending);
    expect(reports.length - flushesBefore).toBe(5);
    expect(answers.map((a) => producedPartition(a)?.errorCode)).toEqual([0, 0, 0, 0, 0]);
    expect(answers.map((a) => Number(producedPartition(a)?.baseOffset))).toEqual([0, 1, 2, 3, 4]);
    expect([...(await readValues('flush-pipelined', 0)).values()]).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    (wire as KafkaWire).close();
  });

  it('commits a request over 60 partitions in two transactions of one object', async () => {
    await createTopic('flush-wide', 60);
    const [wire] = await wires(1);
    const batches = Array.from({ length: 60 }, (_, p) => recordBatch([`p${p}`]));
    flushAt(batches);
    const putsBefore = puts;
    const answer = await (wire as KafkaWire).request(PRODUCE, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: 'flush-wide', partitionData: batches.map((records, index) => ({ index, records })) },
      ],
    });
    const parts = answer.responses[0]?.partitionResponses ?? [];
    expect(parts.map((p) => p.errorCode)).toEqual(Array(60).fill(0));
    expect(parts.map((p) => p.baseOffset)).toEqual(Array(60).fill(0n));
    expect(puts - putsBefore).toBe(1);
    expect(reports.at(-1)).toMatchObject({ requests: 1, entries: 60, commits: 2 });
    expect([...(await readValues('flush-wide', 59)).values()]).toEqual(['p59']);
    (wire as KafkaWire).close();
  });
});
