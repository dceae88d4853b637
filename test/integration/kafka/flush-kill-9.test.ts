import { once } from 'node:events';
import { createServer, request as forward, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import type { Engine } from '../../../lib/engine/engine.js';
import { fetchRecords } from '../../../lib/engine/ops/fetch.js';
import type { FlushReport } from '../../../lib/engine/ops/produce-flush.js';
import { allIndexEntries } from '../../../lib/engine/ops/retention.js';
import { collectGarbage } from '../../../lib/engine/ops/storage-gc.js';
import { createTopic, getTopic } from '../../../lib/engine/ops/topics.js';
import { SEGMENT_PREFIX } from '../../../lib/engine/storage/segment-store.js';
import type { KafkaGateway } from '../../../lib/kafka/gateway.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { failNext, hold, isProduceCommit } from '../../support/faults.js';
import { startTestGateway } from '../../support/gateway.js';
import { killStrataAfterAll, startGatewayProcess } from '../../support/gateway-process.js';
import {
  initIdempotentProducer,
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
  recordBatch,
} from '../../support/kafka-wire.js';
import { createTestEngine } from '../../support/stack.js';

/**
 * Issue 12: a gateway batches the Produce requests of every connection into one flush (one S3
 * object, then one commit per topic part). A crash between upload and commit leaves only an
 * object no segment record claims, which storage GC deletes, and nothing acknowledged is lost.
 *
 * The first test SIGKILLs a `strata gateway` process under load (plain and idempotent producers
 * on raw connections), restarting it each time: once with a flush's commit held by a proxy in
 * front of DynamoDB (between upload and commit, for certain), once wherever the flusher is, once
 * with an applied commit's answer held (after commit, before any answer). Then a fresh engine
 * reads the log against every acknowledgement, and GC deletes exactly the unclaimed objects.
 * The second one makes the commit of one flush of several connections' requests fail (SDK
 * middleware on an in-process gateway): every request gets an error, the object is an orphan.
 */
killStrataAfterAll();

const PRODUCE = APIS.Produce.key;
const NONE = 0;

/** One acknowledged batch: its values are at baseOffset, baseOffset + 1, … of the partition. */
interface Ack {
  partition: number;
  baseOffset: number;
  values: string[];
  /** An idempotent producer's batch: its producer id and base sequence. */
  producer?: { id: string; baseSequence: number };
}

/** What every producer sent and what was acknowledged, with a signal on the number of acks. */
class Ledger {
  readonly acks: Ack[] = [];
  /** Every value that was sent at least once. */
  readonly sent = new Set<string>();
  /** Error answers (not acknowledgements), by error code. */
  readonly errors = new Map<number, number>();
  /** Plain requests that were in flight when their connection died: their fate is unknown. */
  lostInFlight = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  ack(a: Ack): void {
    this.acks.push(a);
    this.waiters = this.waiters.filter((w) => {
      if (this.acks.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  error(code: number): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Resolves once `n` batches in all have been acknowledged. */
  reached(n: number): Promise<void> {
    if (this.acks.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** Requests in flight on the gateway being killed, so that the test can check the kill hit some. */
let inFlight = 0;

async function produceOn(
  w: KafkaWire,
  topic: string,
  partition: number,
  batch: Uint8Array,
): Promise<{ errorCode: number; baseOffset: number } | 'closed'> {
  inFlight++;
  try {
    const res = await w.request(PRODUCE, 9, produceRequest(topic, partition, batch));
    const p = producedPartition(res);
    return { errorCode: p?.errorCode ?? -999, baseOffset: Number(p?.baseOffset ?? -1n) };
  } catch (err) {
    // The gateway was killed under this request; anything else is a failure of the test.
    if (w.isClosed()) return 'closed';
    throw err;
  } finally {
    inFlight--;
  }
}

/**
 * A plain producer's lane: one request at a time, each a batch of 1-3 fresh values to the next
 * partition, until `stop()` or until the connection dies. Nothing is retried: a value is sent once.
 */
async function plainLane(
  ledger: Ledger,
  w: KafkaWire,
  topic: string,
  partitions: number,
  name: string,
  stop: () => boolean,
): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const partition = n % partitions;
    const values = Array.from({ length: 1 + (n % 3) }, (_, i) => `${name}-${n}-${i}`);
    for (const v of values) ledger.sent.add(v);
    const res = await produceOn(w, topic, partition, recordBatch(values));
    if (res === 'closed') {
      ledger.lostInFlight++;
      return;
    }
    if (res.errorCode === NONE) ledger.ack({ partition, baseOffset: res.baseOffset, values });
    else ledger.error(res.errorCode);
  }
}

/**
 * An idempotent producer as a Kafka client runs one (max.in.flight 1): each batch has the next
 * sequence of its partition, and a batch that was not acknowledged (an error, or the gateway died
 * under it) is sent again with the same sequence, on the next gateway if need be, until it is.
 */
class IdempotentProducer {
  private readonly nextSequence = new Map<number, number>();
  private pending: { partition: number; values: string[]; baseSequence: number } | undefined;
  private n = 0;
  /** Times the pending batch was sent again after its gateway died under it. */
  resentAfterKill = 0;

  constructor(
    readonly name: string,
    readonly producerId: bigint,
    readonly epoch: number,
  ) {}

  get settled(): boolean {
    return this.pending === undefined;
  }

  /** The values of the batch sent and not acknowledged yet. */
  pendingValues(): string[] {
    return this.pending?.values ?? [];
  }

  /** Until `stop()` with nothing pending, or until the connection dies. */
  async run(ledger: Ledger, w: KafkaWire, topic: string, partitions: number, stop: () => boolean) {
    for (let attempts = 0; ; ) {
      if (!this.pending) {
        if (stop()) return;
        const partition = this.n % partitions;
        const values = Array.from({ length: 1 + (this.n % 4) }, (_, i) => `${this.name}-${this.n}-${i}`);
        this.n++;
        const baseSequence = this.nextSequence.get(partition) ?? 0;
        this.nextSequence.set(partition, baseSequence + values.length);
        for (const v of values) ledger.sent.add(v);
        this.pending = { partition, values, baseSequence };
        attempts = 0;
      }
      const { partition, values, baseSequence } = this.pending;
      const batch = recordBatch(values, {
        producerId: Number(this.producerId),
        producerEpoch: this.epoch,
        baseSequence,
      });
      const res = await produceOn(w, topic, partition, batch);
      if (res === 'closed') {
        this.resentAfterKill++;
        return;
      }
      if (res.errorCode === NONE) {
        ledger.ack({
          partition,
          baseOffset: res.baseOffset,
          values,
          producer: { id: String(this.producerId), baseSequence },
        });
        this.pending = undefined;
        continue;
      }
      ledger.error(res.errorCode);
      // With one batch in flight, the sequence is never out of order and the epoch never stale.
      if (
        res.errorCode === ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER.kafkaCode ||
        res.errorCode === ERRORS.INVALID_PRODUCER_EPOCH.kafkaCode ||
        ++attempts > 20
      )
        throw new Error(`${this.name}: batch at sequence ${baseSequence} refused with ${res.errorCode}`);
    }
  }
}

/**
 * The gateway process's way to DynamoDB: an HTTP proxy to DynamoDB Local that can hold the next
 * produce commit (a TransactWriteItems on the index table). `commit`: it is never forwarded. A
 * flush commits only after its upload succeeded, so its object is then in S3 and no segment
 * record claims it: a SIGKILL now is a crash between upload and commit, every time. `answer`: it
 * is forwarded and applied, and its answer withheld: a SIGKILL now is a crash after the commit,
 * before any of the flush's requests was answered.
 */
class CommitHoldingProxy {
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const waiting = this.waiting;
      const held = waiting && target.endsWith('.TransactWriteItems') && body.includes(this.indexTable);
      const objectKey = body.toString().match(/segments\/[^"#\\]+/)?.[0] ?? '';
      if (held) {
        this.waiting = undefined;
        this.held.push(res);
      }
      if (held && waiting.what === 'commit') return waiting.resolve({ objectKey, status: 0 });
      const out = forward(
        new URL(req.url ?? '/', this.upstream),
        { method: req.method, headers: req.headers },
        (up) => {
          if (held) {
            up.resume();
            up.on('end', () => waiting.resolve({ objectKey, status: up.statusCode ?? 0 }));
            return;
          }
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  private waiting:
    | { what: 'commit' | 'answer'; resolve: (held: { objectKey: string; status: number }) => void }
    | undefined;
  private readonly held: ServerResponse[] = [];
  url = '';

  constructor(
    private readonly upstream: string,
    private readonly indexTable: string,
  ) {}

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Holds the next produce commit (`commit`) or its answer (`answer`); resolves once it is held,
   * with the key of the flush's object and, for `answer`, DynamoDB's HTTP status.
   */
  holdNext(what: 'commit' | 'answer'): Promise<{ objectKey: string; status: number }> {
    return new Promise((resolve) => {
      this.waiting = { what, resolve };
    });
  }

  async close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

async function initProducerId(w: KafkaWire): Promise<{ producerId: bigint; epoch: number }> {
  const { producerId, producerEpoch } = await initIdempotentProducer(w);
  return { producerId: BigInt(producerId), epoch: producerEpoch };
}

/** The values of each partition by offset, read through the engine's fetch, after checking its index is one contiguous run. */
async function readLog(
  engine: Engine,
  topicName: string,
): Promise<{ log: string[][]; indexed: Set<string> }> {
  const topic = await getTopic(engine, topicName);
  const log: string[][] = [];
  const indexed = new Set<string>();
  for (let p = 0; p < topic.partitions; p++) {
    const head = await engine.metadata.getHead(topic, p);
    const entries = (await allIndexEntries(engine, topic, p)).sort((a, b) => a.baseOffset - b.baseOffset);
    // No two entries cover one offset, none is skipped, and the last ends at the head.
    let expected = 0;
    for (const e of entries) {
      expect(e.baseOffset, `partition ${p}: index entry at ${e.baseOffset}`).toBe(expected);
      expect(e.lastOffset - e.baseOffset + 1).toBe(e.recordCount);
      expected = e.lastOffset + 1;
      indexed.add(e.objectKey);
    }
    expect(expected, `partition ${p}: the index ends at the head`).toBe(head.nextOffset);
    const values: string[] = [];
    while (values.length < head.nextOffset) {
      const page = await fetchRecords(engine, topicName, p, {
        offset: values.length,
        maxRecords: 100_000,
        maxBytes: 64 << 20,
        waitMs: 0,
      });
      expect(page.records.length).toBeGreaterThan(0);
      for (const r of page.records) {
        expect(r.offset).toBe(values.length);
        values.push(new TextDecoder().decode(r.value ?? new Uint8Array(0)));
      }
    }
    log.push(values);
  }
  return { log, indexed };
}

/** Every key of the engine's bucket under the segment prefix. */
async function segmentObjects(engine: Engine): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await engine.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: engine.config.bucket,
        Prefix: SEGMENT_PREFIX,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key as string);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/**
 * The log against the acknowledgements: each acknowledged value at exactly its offset, no offset
 * acknowledged twice with different values, no value stored twice (every value is sent by one
 * request only, except an idempotent producer's retries), nothing stored that was never sent,
 * and each idempotent producer's batches of a partition at offsets in sequence order.
 */
function checkAgainstLog(ledger: Ledger, log: string[][]) {
  const claimed = new Map<string, string>();
  const conflicts: string[] = [];
  const misplaced: string[] = [];
  for (const a of ledger.acks) {
    a.values.forEach((v, i) => {
      const at = `${a.partition}/${a.baseOffset + i}`;
      const other = claimed.get(at);
      if (other !== undefined && other !== v) conflicts.push(`${at}: ${other} and ${v}`);
      claimed.set(at, v);
      const stored = log[a.partition]?.[a.baseOffset + i];
      if (stored !== v) misplaced.push(`${v} acknowledged at ${at}, stored there: ${stored}`);
    });
  }
  expect(conflicts).toEqual([]);
  expect(misplaced).toEqual([]);

  const seen = new Map<string, number>();
  for (const values of log) for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  expect([...seen.keys()].filter((v) => !ledger.sent.has(v))).toEqual([]);

  const byProducer = new Map<string, Ack[]>();
  for (const a of ledger.acks) {
    if (!a.producer) continue;
    const key = `${a.producer.id}/${a.partition}`;
    byProducer.set(key, [...(byProducer.get(key) ?? []), a]);
  }
  for (const [key, acks] of byProducer) {
    const offsets = acks
      .sort((x, y) => (x.producer?.baseSequence ?? 0) - (y.producer?.baseSequence ?? 0))
      .map((a) => a.baseOffset);
    expect(offsets, key).toEqual([...offsets].sort((x, y) => x - y));
  }
}

describe('kill -9 of a gateway process under load', () => {
  let engine: Engine;
  let proxy: CommitHoldingProxy;
  const TOPIC = 'kill9';
  const PARTITIONS = 4;
  const PLAIN_CONNECTIONS = 6;
  const LANES_PER_CONNECTION = 2;
  const IDEMPOTENT = 2;
  /**
   * How each round ends, once it has had its acknowledgements: a SIGKILL while a flush's commit is
   * held (between upload and commit), the moment the acknowledgements arrived (wherever the
   * flusher is), or while the answer of an applied commit is held (after the commit, before the
   * answers); or a drain: no new requests, every idempotent batch acknowledged.
   */
  const ROUNDS = ['held commit', 'on acks', 'held answer', 'held commit', 'drain'] as const;
  const ACKS_PER_ROUND = 100;

  beforeAll(async () => {
    engine = await createTestEngine();
    await createTopic(engine, { name: TOPIC, partitions: PARTITIONS });
    proxy = new CommitHoldingProxy(engine.config.dynamodbEndpoint as string, engine.config.indexTable);
    await proxy.start();
  });
  afterAll(() => proxy?.close());

  it('loses nothing acknowledged, writes idempotent batches once, and leaves only objects GC deletes', async () => {
    const ledger = new Ledger();
    const producers: IdempotentProducer[] = [];
    const roundStats: string[] = [];
    /** Objects of flushes killed with their commit held: uploaded, never committed. */
    const cutOff: string[] = [];
    /** Objects of flushes killed with their answer held: committed, never answered. */
    const unanswered: string[] = [];
    /** Idempotent batches committed by a flush whose answer was held: their retries are duplicates. */
    let committedUnanswered = 0;
    for (const [round, end] of ROUNDS.entries()) {
      const started = Date.now();
      const { proc, bootstrap } = await startGatewayProcess(
        { ...engine.config, dynamodbEndpoint: proxy.url },
        { STRATA_KAFKA_LINGER_MS: '50' },
      );
      const exited = once(proc.child, 'exit');
      const wires = await Promise.all(
        Array.from({ length: PLAIN_CONNECTIONS + IDEMPOTENT }, () => openKafkaWire(bootstrap)),
      );
      const idempotentWires = wires.slice(PLAIN_CONNECTIONS);
      if (round === 0)
        for (const [i, w] of idempotentWires.entries()) {
          const { producerId, epoch } = await initProducerId(w);
          producers.push(new IdempotentProducer(`idem${i}`, producerId, epoch));
        }
      let stopping = false;
      const stop = () => stopping;
      const workers = [
        ...wires
          .slice(0, PLAIN_CONNECTIONS)
          .flatMap((w, c) =>
            Array.from({ length: LANES_PER_CONNECTION }, (_, l) =>
              plainLane(ledger, w, TOPIC, PARTITIONS, `r${round}c${c}l${l}`, stop),
            ),
          ),
        ...producers.map((p, i) => p.run(ledger, idempotentWires[i] as KafkaWire, TOPIC, PARTITIONS, stop)),
      ];
      const allWorkers = Promise.all(workers);
      // A worker's failure, or the gateway dying on its own, ends any wait of the round.
      const failed = Promise.race([
        allWorkers.then(() => {
          throw new Error(`round ${round}: the producers stopped by themselves`);
        }),
        exited.then(() => {
          throw new Error(`round ${round}: the gateway exited by itself: ${proc.stderr().slice(-2000)}`);
        }),
      ]);
      failed.catch(() => {});
      const target = ledger.acks.length + ACKS_PER_ROUND;
      await Promise.race([ledger.reached(target), failed]);
      if (end === 'drain') {
        stopping = true;
        await allWorkers;
        proc.child.kill('SIGKILL');
        await exited;
      } else {
        if (end === 'held commit')
          cutOff.push((await Promise.race([proxy.holdNext('commit'), failed])).objectKey);
        if (end === 'held answer') {
          const held = await Promise.race([proxy.holdNext('answer'), failed]);
          expect(held.status, 'the held commit applied').toBe(200);
          unanswered.push(held.objectKey);
        }
        const hit = inFlight;
        proc.child.kill('SIGKILL');
        await exited;
        expect(hit, 'requests in flight when the gateway was killed').toBeGreaterThan(0);
        await allWorkers;
        if (end === 'held answer') {
          // The idempotent producers' batches in that flush are in the log, though unacknowledged.
          const stored = new Set((await readLog(engine, TOPIC)).log.flat());
          const pending = producers.filter(
            (p) => p.pendingValues().length > 0 && p.pendingValues().every((v) => stored.has(v)),
          );
          committedUnanswered += pending.length;
        }
        roundStats.push(
          `round ${round} (${end}): killed with ${hit} requests in flight after ${Date.now() - started} ms`,
        );
      }
      for (const w of wires) w.close();
    }
    expect(producers.every((p) => p.settled)).toBe(true);
    expect(cutOff.every((k) => k.startsWith(SEGMENT_PREFIX))).toBe(true);

    // A fresh engine on the same tables and bucket, with no state of any gateway.
    const fresh = await createTestEngine({ ...engine.config });
    const before = await readLog(fresh, TOPIC);
    checkAgainstLog(ledger, before.log);
    // Every batch an idempotent producer made was acknowledged, hence is in the log (once).
    const stored = new Set(before.log.flat());
    const idempotentValues = ledger.acks.filter((a) => a.producer).flatMap((a) => a.values);
    expect(idempotentValues.filter((v) => !stored.has(v))).toEqual([]);

    // Storage: whatever no segment record claims (uploads whose commit a kill cut off, at least
    // the held ones) is deleted by GC, and nothing else is.
    const objects = await segmentObjects(fresh);
    const claimed = await fresh.references.committed(objects);
    const unclaimed = objects.filter((k) => !claimed.has(k));
    for (const key of cutOff) expect(unclaimed).toContain(key);
    for (const key of unanswered) expect(claimed.has(key)).toBe(true);
    // Their retries were answered as duplicates, at the offsets committed (checkAgainstLog).
    expect(committedUnanswered).toBeGreaterThan(0);
    expect([...before.indexed].filter((k) => !claimed.has(k))).toEqual([]);
    const orphans = (await fresh.metadata.orphans()).map((o) => o.objectKey);
    // The sweep deletes what is older than now - graceMs: let the clock pass the last upload.
    const newest = Date.now();
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(newest + 1));
    const gc = await collectGarbage(fresh, { graceMs: 0, sweepUnreferenced: true });
    expect(gc.objectsDeleted).toBe(0);
    expect(gc.orphansDeleted + gc.unreferencedDeleted).toBe(unclaimed.length);
    expect(await segmentObjects(fresh)).toEqual([...claimed].sort());
    expect(await fresh.metadata.orphans()).toEqual([]);
    const after = await readLog(fresh, TOPIC);
    expect(after.log).toEqual(before.log);

    const storedCount = before.log.reduce((n, p) => n + p.length, 0);
    const acknowledged = ledger.acks.reduce((n, a) => n + a.values.length, 0);
    console.log(
      [
        ...roundStats,
        `${ledger.acks.length} batches (${acknowledged} records) acknowledged, ${storedCount} records stored`,
        `${ledger.lostInFlight} plain requests cut off by a kill; idempotent batches sent again after a kill: ${producers.map((p) => p.resentAfterKill).join(', ')}`,
        `error answers: ${JSON.stringify([...ledger.errors])}`,
        `${committedUnanswered} idempotent batches committed by a flush killed before its answers`,
        `${objects.length} objects, ${unclaimed.length} unclaimed (${cutOff.length} with their commit held, ${orphans.length} recorded orphans); GC: ${JSON.stringify(gc)}`,
      ].join('\n'),
    );
  }, 90_000);
});

describe('a flush whose commit fails after its upload (in-process gateway)', () => {
  let engine: Engine;
  let gateway: KafkaGateway;
  const wires: KafkaWire[] = [];
  const TOPIC = 'failed-flush';

  beforeAll(async () => {
    engine = await createTestEngine();
    await createTopic(engine, { name: TOPIC, partitions: 3 });
    gateway = await startTestGateway(engine, { produceLingerMs: 50 });
  });
  afterAll(async () => {
    for (const w of wires) w.close();
    await gateway?.close();
  });

  it('answers every request of the flush with an error, leaves an orphan GC deletes, and the next flush succeeds', async () => {
    /** Plain producers, one connection each; the idempotent producer has two more (a connection runs its produces one at a time). */
    const PLAIN = 5;
    for (let i = 0; i < PLAIN + 2; i++) wires.push(await openKafkaWire(gateway.bootstrap));
    const plain = wires.slice(0, PLAIN);
    const [idemA, idemB] = wires.slice(PLAIN) as [KafkaWire, KafkaWire];
    const { producerId, epoch } = await initProducerId(idemA);
    const idempotent = (baseSequence: number) => ({
      producerId: Number(producerId),
      producerEpoch: epoch,
      baseSequence,
    });
    const produce = (w: KafkaWire, partition: number, batch: Uint8Array) =>
      w.request(PRODUCE, 9, produceRequest(TOPIC, partition, batch)).then(producedPartition);
    const batches = plain.map((_, i) => ({ partition: i % 3, values: [`c${i}-a`, `c${i}-b`] }));
    const idemBatch = { partition: 0, values: ['idem-1', 'idem-2'] };
    /** Every plain connection's batch and the idempotent producer's second one (sequence 1). */
    const sendAll = () => [
      ...plain.map((w, i) =>
        produce(w, batches[i]?.partition as number, recordBatch(batches[i]?.values ?? [])),
      ),
      produce(idemB, idemBatch.partition, recordBatch(idemBatch.values, idempotent(1))),
    ];

    const reports: FlushReport[] = [];
    /** Answers go out before a flush is over (its orphan recorded, its report made): wait for the report. */
    const flushed = (requests: number) =>
      vi.waitFor(() => expect(reports.reduce((n, r) => n + r.requests, 0)).toBeGreaterThanOrEqual(requests));
    let commitFault: ReturnType<typeof failNext> | undefined;
    const joined = vi.spyOn(gateway.flusher, 'produce');
    gateway.flusher.onFlush((report) => {
      reports.push(report);
      // Flush 1 has finished and flush 2 has not started: the flusher starts it after its listeners.
      if (reports.length === 1)
        commitFault = failNext(
          engine.clients.dynamodb,
          'TransactWriteItems',
          () =>
            Object.assign(new Error('injected: the commit never reached DynamoDB'), {
              name: 'AccessDeniedException',
            }),
          { when: isProduceCommit(engine) },
        );
    });

    // Flush 1: the idempotent producer's first batch, its upload held until the others have joined.
    const upload = hold(engine.clients.s3, 'PutObject');
    let flush1: ReturnType<typeof produce>;
    let flush2: ReturnType<typeof produce>[];
    try {
      flush1 = produce(idemA, 0, recordBatch(['idem-0'], idempotent(0)));
      await upload.reached;
      // Flush 2: everything else, joined while flush 1 is uploading.
      flush2 = sendAll();
      await vi.waitFor(() => expect(joined).toHaveBeenCalledTimes(PLAIN + 2));
    } finally {
      upload.remove();
    }
    expect(await flush1).toMatchObject({ errorCode: NONE, baseOffset: 0n });
    const failed = await Promise.all(flush2);
    commitFault?.remove();
    expect(commitFault?.injected).toBe(1);
    for (const res of failed) {
      // A storage failure, which clients retry: nothing of the flush was appended.
      expect(res?.errorCode).toBe(ERRORS.KAFKA_STORAGE_ERROR.kafkaCode);
      expect(res?.baseOffset).toBe(-1n);
    }
    await flushed(1 + PLAIN + 1);
    expect(reports).toHaveLength(2);
    const failedFlush = reports[1] as FlushReport;
    expect(failedFlush.requests).toBe(PLAIN + 1);

    // Nothing of it is readable: the log holds flush 1 only.
    const fresh = await createTestEngine({ ...engine.config });
    expect((await readLog(fresh, TOPIC)).log).toEqual([['idem-0'], [], []]);
    // Its object was uploaded, no segment record claims it, and it is recorded as an orphan.
    const objects = await segmentObjects(fresh);
    expect(objects).toContain(failedFlush.objectKey);
    expect([...(await fresh.references.committed(objects))]).toEqual([reports[0]?.objectKey]);
    expect((await fresh.metadata.orphans()).map((o) => o.objectKey)).toEqual([failedFlush.objectKey]);

    // The same requests again commit, at the offsets the failed flush would have taken. The
    // idempotent batch keeps its sequence: the failed flush did not advance the producer.
    const retried = await Promise.all(sendAll());
    for (const res of retried) expect(res?.errorCode).toBe(NONE);
    await flushed(1 + 2 * (PLAIN + 1));
    const later = reports.slice(2);
    expect(later.reduce((n, r) => n + r.requests, 0)).toBe(PLAIN + 1);
    const { log } = await readLog(fresh, TOPIC);
    expect(log.flat().sort()).toEqual(
      ['idem-0', ...idemBatch.values, ...batches.flatMap((b) => b.values)].sort(),
    );
    expect(log[0]?.[0]).toBe('idem-0');
    // Each answer names where its values are.
    for (const [i, res] of retried.entries()) {
      const { partition, values } = batches[i] ?? idemBatch;
      const at = Number(res?.baseOffset);
      expect(log[partition]?.slice(at, at + values.length)).toEqual(values);
    }

    // GC deletes the orphan, and only it.
    const gc = await collectGarbage(fresh, { graceMs: 0, sweepUnreferenced: true });
    expect(gc).toMatchObject({ objectsDeleted: 0, orphansDeleted: 1, unreferencedDeleted: 0 });
    expect(await segmentObjects(fresh)).toEqual(
      [reports[0]?.objectKey, ...later.map((r) => r.objectKey)].sort(),
    );
    expect(await fresh.metadata.orphans()).toEqual([]);
    expect((await readLog(fresh, TOPIC)).log).toEqual(log);
  }, 30_000);
});
