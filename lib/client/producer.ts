/**
 * The producer: KafkaJS's `send`/`sendBatch` over an accumulator. Records wait up to `linger` ms
 * (or until `batchSize` bytes wait) and leave in requests built by batcher.ts; up to
 * `maxInFlightRequests` requests run at once, but a partition is in at most one of them, so each
 * partition's records are appended in send order even across retries. `send` resolves once all
 * of its records are acknowledged (committed by the server).
 */
import { TOPIC_CONFIG_DEFAULTS } from '../contract/limits.js';
import { partitionForKey } from '../contract/partitioner.js';
import { NO_PRODUCER } from '../contract/record-batch.js';
import type { StrataApi } from './api.js';
import {
  buildRequest,
  MAX_BINARY_REQUEST_BYTES,
  MAX_PARTITIONS_PER_IDEMPOTENT_REQUEST,
  MAX_PARTITIONS_PER_REQUEST,
  MAX_RECORDS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  type PartitionQueue,
  PendingRecord,
  type RecordSink,
  withField,
} from './batcher.js';
import { isBinary, type Payload, utf8Encode } from './bytes.js';
import type { Consumer } from './consumer.js';
import { StrataClientError, StrataUsageError } from './errors.js';
import { Emitter, type Listener, type RemoveListener } from './events.js';
import type { Logger } from './logger.js';
import type { TopicMetadataCache } from './metadata.js';
import { encodeRecordBatches } from './record-batches.js';
import { type ResolvedRetry, resolveRetry } from './retry.js';
import type {
  CompressionTypes,
  DataPath,
  IHeaders,
  Message,
  PartitionMetadata,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
} from './types.js';

export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

/** One producer id and the next sequence per partition under it (a new id starts again at 0). */
interface Idempotence {
  identity: Promise<{ producerId: string; producerEpoch: number }>;
  sequences: Map<string, number>;
}

interface Queue extends PartitionQueue {
  key: string;
  /** Sum of the records' sizes, kept as records come and go. */
  bytes: number;
}

/** One `send`: resolves when every record is acknowledged, rejects on the first failure. */
class SendTracker implements RecordSink {
  private readonly partitions: number[];
  private readonly offsets: (string | undefined)[];
  private remaining: number;
  private settled = false;
  readonly promise: Promise<RecordMetadata[]>;
  private resolve!: (v: RecordMetadata[]) => void;
  private reject!: (e: unknown) => void;

  constructor(private readonly topics: string[]) {
    this.partitions = new Array(topics.length).fill(-1);
    this.offsets = new Array(topics.length).fill(undefined);
    this.remaining = topics.length;
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    if (this.remaining === 0) this.finish();
  }

  ack(index: number, partition: number, offset: string): void {
    if (this.settled || this.offsets[index] !== undefined) return;
    this.partitions[index] = partition;
    this.offsets[index] = offset;
    if (--this.remaining === 0) this.finish();
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }

  private finish(): void {
    this.settled = true;
    const byTp = new Map<string, RecordMetadata>();
    for (let i = 0; i < this.topics.length; i++) {
      const topicName = this.topics[i] as string;
      const partition = this.partitions[i] as number;
      const offset = this.offsets[i] as string;
      const k = `${topicName}\u0000${partition}`;
      let md = byTp.get(k);
      if (!md) {
        md = { topicName, partition, errorCode: 0, baseOffset: offset, offsets: [], logAppendTime: '-1' };
        byTp.set(k, md);
      }
      md.offsets.push(offset);
      if (BigInt(offset) < BigInt(md.baseOffset)) md.baseOffset = offset;
    }
    this.resolve([...byTp.values()]);
  }
}

export class Producer {
  readonly events = PRODUCER_EVENTS;
  private readonly emitter: Emitter;
  private readonly linger: number;
  private readonly batchSize: number;
  private readonly dataPath: DataPath;
  private readonly maxInFlight: number;
  private readonly retry: ResolvedRetry;
  private readonly queues = new Map<string, Queue>();
  private readonly inFlightPartitions = new Set<string>();
  private readonly sticky = new Map<string, number>();
  private readonly previousSticky = new Map<string, number>();
  /** Bytes of unkeyed records placed on the current sticky partition (its batch fills up). */
  private readonly stickyBytes = new Map<string, number>();
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = 0;
  private flushing = 0;
  private idleWaiters: (() => void)[] = [];
  private connected = false;
  private readonly idempotent: boolean;
  private readonly transactionalId: string | undefined;
  private idempotence: Idempotence | undefined;
  private activeTransaction: Transaction | undefined;
  private readonly customPartitioner:
    | ReturnType<NonNullable<ProducerConfig['createPartitioner']>>
    | undefined;

  constructor(
    private readonly api: StrataApi,
    private readonly metadata: TopicMetadataCache,
    config: ProducerConfig,
    clientRetry: ResolvedRetry,
    private readonly log: Logger,
    private readonly findConsumer: (groupId: string) => Consumer | undefined = () => undefined,
  ) {
    this.linger = config.linger ?? 5;
    this.dataPath = config.dataPath ?? 'binary';
    // Binary bodies travel base64-encoded inside Lambda's payload: 4 MiB of them is the most.
    const maxRequest = this.dataPath === 'binary' ? MAX_BINARY_REQUEST_BYTES : MAX_REQUEST_BYTES;
    this.batchSize = Math.min(config.batchSize ?? MAX_BINARY_REQUEST_BYTES, maxRequest);
    this.maxInFlight = Math.max(1, config.maxInFlightRequests ?? 5);
    this.retry = resolveRetry(clientRetry, config.retry);
    this.customPartitioner = config.createPartitioner?.();
    this.transactionalId = config.transactionalId;
    this.idempotent = config.idempotent ?? true;
    if (this.transactionalId && !this.idempotent) {
      throw new StrataUsageError('a transactional producer is idempotent: drop `idempotent: false`');
    }
    this.emitter = new Emitter(Object.values(PRODUCER_EVENTS), (err, type) =>
      this.log.error('event listener failed', { type, error: String(err) }),
    );
  }

  /** Checks that the endpoint answers. Sending does not require it. */
  async connect(): Promise<void> {
    await this.api.health({ retry: this.retry });
    this.connected = true;
    this.emitter.emit(PRODUCER_EVENTS.CONNECT, {});
  }

  /** Sends everything still waiting, waits for it, then disconnects. */
  async disconnect(): Promise<void> {
    await this.flush().catch(() => {});
    if (this.connected) this.emitter.emit(PRODUCER_EVENTS.DISCONNECT, {});
    this.connected = false;
  }

  on<T = unknown>(event: string, listener: Listener<T>): RemoveListener {
    return this.emitter.on(event, listener);
  }

  isIdempotent(): boolean {
    return this.idempotent;
  }

  /**
   * KafkaJS's `producer.transaction()`: sends and `sendOffsets` are collected and written by
   * `commit()` in one request, so the records and the consumer group's offsets are committed
   * together or not at all. One transaction at a time, one topic per transaction.
   */
  async transaction(): Promise<Transaction> {
    if (!this.transactionalId) {
      throw new StrataUsageError('transaction() needs a producer created with a transactionalId');
    }
    if (this.activeTransaction?.isActive()) {
      throw new StrataUsageError('there is already an ongoing transaction for this producer');
    }
    // Fences any older instance with this transactionalId before anything is written.
    await this.currentIdempotence().identity;
    this.activeTransaction = new Transaction(this);
    return this.activeTransaction;
  }

  /** @internal Writes a transaction's records and group offsets in one idempotent request. */
  async commitTransaction(
    topicMessages: { topic: string; messages: Message[] }[],
    offsets:
      | {
          consumerGroupId: string;
          topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
        }
      | undefined,
  ): Promise<RecordMetadata[]> {
    const topics = new Set(topicMessages.filter((t) => t.messages.length > 0).map((t) => t.topic));
    if (topics.size !== 1) {
      throw new StrataUsageError('a Strata transaction writes to exactly one topic (docs/client.md)');
    }
    const topic = [...topics][0] as string;
    const messages = topicMessages.flatMap((t) => t.messages);
    const tracker = new SendTracker(messages.map(() => topic));
    const queues = new Map<number, Queue>();
    const now = Date.now();
    for (const [index, message] of messages.entries()) {
      const key = normalisePayload(message.key, 'key');
      const partition = await this.placeRecord(topic, message, key);
      const rec = new PendingRecord(
        topic,
        partition,
        key,
        normalisePayload(message.value, 'value'),
        normaliseHeaders(message.headers),
        message.timestamp,
        tracker,
        index,
        now,
        'none',
      );
      let q = queues.get(partition);
      if (!q) {
        q = { key: `${topic}\u0000${partition}`, topic, partition, records: [], bytes: 0 };
        queues.set(partition, q);
      }
      q.records.push(rec);
    }
    const req = buildRequest([...queues.values()], {
      maxBytes: MAX_REQUEST_BYTES,
      maxRecords: MAX_RECORDS_PER_REQUEST,
      maxPartitions: MAX_PARTITIONS_PER_IDEMPOTENT_REQUEST,
    });
    if (!req || req.records.length !== messages.length) {
      throw new StrataUsageError('a transaction must fit one request (6 MB, 10,000 records, 32 partitions)');
    }
    let groupCommit: Record<string, unknown> | undefined;
    if (offsets) {
      const consumer = this.findConsumer(offsets.consumerGroupId);
      const member = consumer?.memberIdentity();
      if (!member) {
        throw new StrataUsageError(
          `sendOffsets: no running consumer of group ${offsets.consumerGroupId} in this client to commit as`,
        );
      }
      groupCommit = {
        groupId: offsets.consumerGroupId,
        ...member,
        offsets: offsets.topics.flatMap((t) =>
          t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: String(p.offset) })),
        ),
      };
    }
    await this.sendRequest(topic, req.records, req.body, (body) =>
      groupCommit ? withField(body, 'groupCommit', groupCommit) : body,
    );
    return tracker.promise;
  }

  logger(): Logger {
    return this.log;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record.topic !== 'string' || record.topic === '') {
      throw new StrataUsageError('send: `topic` is required');
    }
    if (!Array.isArray(record.messages)) {
      throw new StrataUsageError(
        `send: invalid messages array ${String(record.messages)} for topic "${record.topic}"`,
      );
    }
    this.checkNotTransactional();
    return this.sendAll([{ topic: record.topic, messages: record.messages }], record.compression);
  }

  private checkNotTransactional(): void {
    if (this.transactionalId) {
      throw new StrataUsageError('a transactional producer sends through transaction() (as in KafkaJS)');
    }
  }

  /** The producer id this producer writes under, minted on first use (a failed request drops it). */
  private currentIdempotence(): Idempotence {
    if (!this.idempotence) {
      const gen: Idempotence = {
        identity: this.api.initProducer(this.transactionalId, { retry: this.retry }),
        sequences: new Map(),
      };
      gen.identity.catch(() => {
        if (this.idempotence === gen) this.idempotence = undefined;
      });
      this.idempotence = gen;
    }
    return this.idempotence;
  }

  /**
   * Sends one built request and acknowledges its records. Idempotent producers add their id and
   * each partition's base sequence; the transport's retries resend the same body, which the
   * server answers with the original offsets. A request that fails for good leaves a gap in the
   * sequences, so the producer takes a new id for the next one (as Kafka's producer resets).
   */
  private async sendRequest(
    topic: string,
    records: PendingRecord[],
    built: string,
    decorate: (body: string) => string = (b) => b,
    binary = false,
  ): Promise<void> {
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    const gen = this.idempotent ? this.currentIdempotence() : undefined;
    if (binary) {
      try {
        await this.sendBatches(topic, records, gen);
      } catch (err) {
        if (gen && this.idempotence === gen && !this.transactionalId) this.idempotence = undefined;
        throw err;
      }
      return;
    }
    let body = built;
    if (gen) {
      const identity = await gen.identity;
      const sequences = [...counts.keys()].map((partition) => ({
        partition,
        baseSequence: gen.sequences.get(`${topic}\u0000${partition}`) ?? 0,
      }));
      body = withField(body, 'producer', { ...identity, sequences });
    }
    try {
      const res = await this.api.produce(topic, decorate(body), { retry: this.retry });
      const offsets = res?.offsets;
      if (!Array.isArray(offsets) || offsets.length !== records.length) {
        throw new StrataClientError(
          `produce to ${topic}: expected ${records.length} offsets, got ${Array.isArray(offsets) ? offsets.length : 'none'}`,
          { code: 'INVALID_RESPONSE', retriable: false },
        );
      }
      if (gen) {
        for (const [partition, n] of counts) {
          const k = `${topic}\u0000${partition}`;
          gen.sequences.set(k, (gen.sequences.get(k) ?? 0) + n);
        }
      }
      records.forEach((rec, i) => {
        const o = offsets[i] as { partition: number; offset: string };
        rec.sink.ack(rec.index, o.partition ?? rec.partition, String(o.offset));
      });
    } catch (err) {
      if (gen && this.idempotence === gen && !this.transactionalId) this.idempotence = undefined;
      throw err;
    }
  }

  /**
   * The binary path: one RecordBatch per partition of the built request, each POSTed on its own
   * (in parallel) with the producer id, epoch and the partition's base sequence in its header.
   * Each partition is committed or not on its own, as over Kafka; the records of the partitions
   * that were are acknowledged even when another failed.
   */
  private async sendBatches(
    topic: string,
    records: PendingRecord[],
    gen: Idempotence | undefined,
  ): Promise<void> {
    const identity = gen ? await gen.identity : undefined;
    // Each batch stays under the topic's max.message.bytes, as the server checks each one.
    const maxBatchBytes = await this.metadata
      .maxMessageBytes(topic)
      .catch(() => TOPIC_CONFIG_DEFAULTS['max.message.bytes']);
    const byPartition = new Map<number, PendingRecord[]>();
    for (const r of records) {
      const list = byPartition.get(r.partition);
      if (list) list.push(r);
      else byPartition.set(r.partition, [r]);
    }
    const now = Date.now();
    const results = await Promise.allSettled(
      [...byPartition].map(async ([partition, list]) => {
        const k = `${topic}\u0000${partition}`;
        const producer =
          gen && identity
            ? {
                producerId: Number(identity.producerId),
                producerEpoch: identity.producerEpoch,
                baseSequence: gen.sequences.get(k) ?? 0,
              }
            : NO_PRODUCER;
        const bytes = encodeRecordBatches(list, producer, maxBatchBytes, now);
        const res = await this.api.produceBatches(topic, partition, bytes, { retry: this.retry });
        if (res?.recordCount !== list.length || typeof res.baseOffset !== 'string') {
          throw new StrataClientError(
            `produce to ${topic}/${partition}: expected ${list.length} offsets, got ${res?.recordCount ?? 'none'}`,
            { code: 'INVALID_RESPONSE', retriable: false },
          );
        }
        if (gen) gen.sequences.set(k, (gen.sequences.get(k) ?? 0) + list.length);
        const base = BigInt(res.baseOffset);
        list.forEach((rec, i) => {
          rec.sink.ack(rec.index, partition, String(base + BigInt(i)));
        });
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const topicMessages = batch.topicMessages ?? [];
    for (const tm of topicMessages) {
      if (!tm || typeof tm.topic !== 'string' || !Array.isArray(tm.messages)) {
        throw new StrataUsageError('sendBatch: each entry needs `topic` and `messages`');
      }
    }
    this.checkNotTransactional();
    return this.sendAll(topicMessages, batch.compression);
  }

  /** Sends whatever is waiting now, without lingering, and resolves when nothing is in flight. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.drain();
      while (this.queuedRecords() > 0 || this.inFlight > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        this.drain();
      }
    } finally {
      this.flushing--;
    }
  }

  private async sendAll(
    topicMessages: { topic: string; messages: Message[] }[],
    compression?: CompressionTypes,
  ): Promise<RecordMetadata[]> {
    const codec = compressionName(compression);
    const topics: string[] = [];
    for (const tm of topicMessages) for (let i = 0; i < tm.messages.length; i++) topics.push(tm.topic);
    const tracker = new SendTracker(topics);
    if (topics.length === 0) return tracker.promise;

    // Resolve every partition first, then enqueue all records in one synchronous step, so that a
    // send's records travel together and keep their order.
    const placed: {
      topic: string;
      partition: number;
      message: Message;
      key: Payload;
      headers: Record<string, Payload> | undefined;
    }[] = [];
    for (const tm of topicMessages) {
      for (const message of tm.messages) {
        if (!message || typeof message !== 'object')
          throw new StrataUsageError('send: a message must be an object');
        const key = normalisePayload(message.key, 'key');
        const headers = normaliseHeaders(message.headers);
        const partition = await this.placeRecord(tm.topic, message, key);
        placed.push({ topic: tm.topic, partition, message, key, headers });
      }
    }
    const now = Date.now();
    placed.forEach((p, index) => {
      const rec = new PendingRecord(
        p.topic,
        p.partition,
        p.key,
        normalisePayload(p.message.value, 'value'),
        p.headers,
        p.message.timestamp,
        tracker,
        index,
        now,
        codec,
      );
      this.enqueue(rec);
    });
    this.schedule();
    return tracker.promise;
  }

  private async placeRecord(topic: string, message: Message, key: Payload): Promise<number> {
    if (message.partition !== undefined && message.partition !== null) {
      if (!Number.isInteger(message.partition) || message.partition < 0) {
        throw new StrataUsageError(`send: invalid partition ${message.partition}`);
      }
      return message.partition;
    }
    const count = await this.metadata.partitionCount(topic);
    if (this.customPartitioner) {
      const partitionMetadata: PartitionMetadata[] = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
      }));
      const p = this.customPartitioner({ topic, partitionMetadata, message });
      if (Number.isInteger(p) && p >= 0) return p;
    }
    if (key !== null && key !== undefined) {
      return partitionForKey(typeof key === 'string' ? utf8Encode(key) : key, count);
    }
    let sticky = this.sticky.get(topic);
    // Kafka's sticky partitioner moves on when the current batch is full: otherwise a burst of
    // unkeyed records piles onto one partition, which only one request at a time may carry.
    const size = approximateSize(key) + approximateSize(message.value);
    if (sticky !== undefined && (this.stickyBytes.get(topic) ?? 0) + size > this.batchSize) {
      this.rotateSticky(topic);
      sticky = undefined;
    }
    this.stickyBytes.set(topic, (this.stickyBytes.get(topic) ?? 0) + size);
    if (sticky === undefined || sticky >= count) {
      // A new batch: a random partition, not the one the previous batch went to.
      sticky = Math.floor(Math.random() * count);
      if (count > 1 && sticky === this.previousSticky.get(topic)) sticky = (sticky + 1) % count;
      this.sticky.set(topic, sticky);
    }
    return sticky;
  }

  private enqueue(rec: PendingRecord): void {
    const k = `${rec.topic}\u0000${rec.partition}`;
    let q = this.queues.get(k);
    if (!q) {
      q = { key: k, topic: rec.topic, partition: rec.partition, records: [], bytes: 0 };
      this.queues.set(k, q);
    }
    q.records.push(rec);
    q.bytes += this.sizeOf(rec);
  }

  /** What a record counts toward `batchSize`: its batch size on the binary path, its JSON otherwise. */
  private sizeOf(rec: PendingRecord): number {
    return this.sendsBinary(rec) ? rec.binarySize : rec.size;
  }

  /** Binary unless asked for JSON, or compressed: the server compresses JSON records itself. */
  private sendsBinary(rec: PendingRecord): boolean {
    return this.dataPath === 'binary' && rec.compression === 'none';
  }

  private queuedRecords(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.records.length;
    return n;
  }

  /** Sends now if a batch is ready, else arms the linger timer for the oldest waiting record. */
  private schedule(): void {
    this.drain();
    if (this.inFlight >= this.maxInFlight) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const q of this.queues.values()) {
      const first = q.records[0];
      if (first && !this.inFlightPartitions.has(q.key)) oldest = Math.min(oldest, first.enqueuedAt);
    }
    if (oldest === Number.POSITIVE_INFINITY) return;
    const due = oldest + this.linger;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.max(0, due - Date.now()),
    );
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight) {
      const sendable: Queue[] = [];
      let sendableBytes = 0;
      let oldest = Number.POSITIVE_INFINITY;
      for (const q of this.queues.values()) {
        const first = q.records[0];
        if (!first || this.inFlightPartitions.has(q.key)) continue;
        sendable.push(q);
        oldest = Math.min(oldest, first.enqueuedAt);
        sendableBytes += q.bytes;
      }
      if (sendable.length === 0) return;
      const ready =
        this.flushing > 0 || sendableBytes >= this.batchSize || Date.now() - oldest >= this.linger;
      if (!ready) return;

      // The topic of the oldest waiting record goes first; its partitions oldest first.
      sendable.sort(
        (a, b) => (a.records[0] as PendingRecord).enqueuedAt - (b.records[0] as PendingRecord).enqueuedAt,
      );
      const topic = (sendable[0] as Queue).topic;
      const topicQueues = sendable.filter((q) => q.topic === topic);
      const binary = this.sendsBinary(topicQueues[0]?.records[0] as PendingRecord);
      const req = buildRequest(topicQueues, {
        maxBytes: this.batchSize,
        maxRecords: MAX_RECORDS_PER_REQUEST,
        maxPartitions: this.idempotent ? MAX_PARTITIONS_PER_IDEMPOTENT_REQUEST : MAX_PARTITIONS_PER_REQUEST,
        binary,
      });
      if (!req) return;
      const keys: string[] = [];
      req.taken.forEach((n, i) => {
        if (n === 0) return;
        const q = topicQueues[i] as Queue;
        for (const r of q.records.splice(0, n)) q.bytes -= this.sizeOf(r);
        if (q.records.length === 0) this.queues.delete(q.key);
        keys.push(q.key);
      });
      // Sticky partitioning: unkeyed records of this topic move on once a batch has left.
      if (req.partitions.includes(this.sticky.get(topic) ?? -1)) this.rotateSticky(topic);
      void this.dispatch(req.topic, req.body, req.records, keys, req.bytes, binary);
    }
  }

  private rotateSticky(topic: string): void {
    const current = this.sticky.get(topic);
    this.sticky.delete(topic);
    this.stickyBytes.delete(topic);
    if (current !== undefined) this.previousSticky.set(topic, current);
  }

  private async dispatch(
    topic: string,
    body: string,
    records: PendingRecord[],
    keys: string[],
    bytes: number,
    binary: boolean,
  ) {
    this.inFlight++;
    for (const k of keys) this.inFlightPartitions.add(k);
    const started = Date.now();
    try {
      await this.sendRequest(topic, records, body, undefined, binary);
    } catch (err) {
      if (err instanceof StrataClientError && err.code === 'UNKNOWN_TOPIC_OR_PARTITION')
        this.metadata.invalidate(topic);
      this.log.debug('produce request failed', { topic, records: records.length, error: String(err) });
      for (const rec of records) rec.sink.fail(err);
    } finally {
      this.inFlight--;
      for (const k of keys) this.inFlightPartitions.delete(k);
      this.emitter.emit(PRODUCER_EVENTS.REQUEST, {
        topic,
        records: records.length,
        size: bytes,
        duration: Date.now() - started,
      });
      this.schedule();
      if (this.inFlight === 0 || this.queuedRecords() === 0) {
        const waiters = this.idleWaiters.splice(0);
        for (const w of waiters) w();
      }
    }
  }
}

/**
 * A KafkaJS-shaped transaction: `send`/`sendBatch`/`sendOffsets` collect, `commit` writes it all in
 * one request (records, producer sequences and the group's offsets in one server-side commit),
 * `abort` drops it. Nothing is visible to consumers before `commit` succeeds.
 */
export class Transaction {
  private readonly topicMessages: { topic: string; messages: Message[] }[] = [];
  private offsets:
    | {
        consumerGroupId: string;
        topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
      }
    | undefined;
  private active = true;

  constructor(private readonly producer: Producer) {}

  isActive(): boolean {
    return this.active;
  }

  async send(record: ProducerRecord): Promise<void> {
    this.checkActive();
    this.topicMessages.push({ topic: record.topic, messages: record.messages });
  }

  async sendBatch(batch: ProducerBatch): Promise<void> {
    this.checkActive();
    for (const tm of batch.topicMessages ?? [])
      this.topicMessages.push({ topic: tm.topic, messages: tm.messages });
  }

  async sendOffsets(offsets: {
    consumerGroupId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void> {
    this.checkActive();
    this.offsets = offsets;
  }

  async commit(): Promise<RecordMetadata[]> {
    this.checkActive();
    try {
      return await this.producer.commitTransaction(this.topicMessages, this.offsets);
    } finally {
      this.active = false;
    }
  }

  async abort(): Promise<void> {
    this.checkActive();
    this.active = false;
  }

  private checkActive(): void {
    if (!this.active) throw new StrataUsageError('the transaction is no longer active');
  }
}

function approximateSize(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  return 0;
}

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

function compressionName(compression: CompressionTypes | undefined): string {
  if (compression === undefined || compression === null) return 'none';
  const name = COMPRESSION_NAMES[compression];
  if (!name) throw new StrataUsageError(`send: unknown compression ${compression}`);
  return name;
}

function normalisePayload(value: unknown, what: string): Payload {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || isBinary(value)) return value;
  throw new StrataUsageError(`send: a message ${what} must be a string, Buffer, Uint8Array or null`);
}

function normaliseHeaders(headers: IHeaders | undefined): Record<string, Payload> | undefined {
  if (!headers) return undefined;
  const out: Record<string, Payload> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length !== 1) {
        throw new StrataUsageError(
          `send: header "${k}" has ${v.length} values; the API carries one value per name`,
        );
      }
      out[k] = normalisePayload(v[0], `header "${k}"`);
    } else out[k] = normalisePayload(v, `header "${k}"`);
  }
  return out;
}
