/**
 * The table view: a topic read as a table, key to latest value, kept current (issue 14). Made for
 * compacted topics (`cleanup.policy=compact`), where the log holds at least the last value of
 * every key, but it reads any topic: on an uncompacted one it simply applies every update.
 *
 * It reads every partition from its log start to the high watermark seen at start(), then keeps
 * long-polling for new records. A record with a null value (a tombstone) deletes its key; a record
 * with a null key is skipped (it names no row). Offsets are not assumed dense: a compacted log has
 * gaps, a fetch at a removed offset returns the next remaining record, and the next fetch starts
 * at the answer's `nextOffset`. No consumer group is involved and nothing is committed.
 */
import type { StrataApi } from './api.js';
import { utf8Decode } from './bytes.js';
import { type FetchedMessages, type FetchSettings, fetchMessages } from './consumer-partition-runner.js';
import { StrataOffsetOutOfRangeError } from './errors.js';
import { Emitter, type Listener, type RemoveListener } from './events.js';
import { isAborted } from './http.js';
import type { Logger } from './logger.js';
import { backoffDelay, isRetriable, type ResolvedRetry, sleep } from './retry.js';
import type { DataPath, KafkaMessage, MessageBytes } from './types.js';

export const TABLE_EVENTS = {
  /** A key was set or deleted: `{ key, value, previous, deleted, partition, offset }`. */
  UPDATE: 'table.update',
  /** Every partition has been read up to the high watermark seen at start(). */
  CAUGHT_UP: 'table.caught_up',
  /** The table stopped on an error it cannot retry: `{ error }`. */
  CRASH: 'table.crash',
} as const;

export interface TableConfig<V = MessageBytes> {
  topic: string;
  /** The row key of a record (its key is never null here). Default: the key bytes as UTF-8. */
  keyOf?: (key: MessageBytes, message: KafkaMessage) => string;
  /** The row value of a non-null value. Default: the value bytes as they come (a Buffer in Node). */
  valueDecoder?: (value: MessageBytes, message: KafkaMessage) => V;
  /** Only these partitions (default: all of them, as listed at start()). */
  partitions?: number[];
  /** The long poll once caught up, ms (default 5000, at most 20000). */
  maxWaitTimeInMs?: number;
  maxBytesPerPartition?: number;
  dataPath?: DataPath;
}

export interface TableUpdate<V> {
  key: string;
  /** undefined when deleted. */
  value: V | undefined;
  previous: V | undefined;
  deleted: boolean;
  partition: number;
  offset: string;
}

const EMPTY_POLL_PAUSE_MS = 50;

interface Cursor {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  abort: AbortController;
  /** The high watermark at start(): reading up to it is catching up. */
  target: bigint;
  caughtUp: boolean;
  failures: number;
}

/** Use `strata.table({ topic })`. */
export class TableView<V = MessageBytes> {
  private readonly rows = new Map<string, V>();
  private readonly emitter: Emitter;
  private cursors: Cursor[] = [];
  private loops: Promise<void>[] = [];
  private running = false;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private crashed: unknown;
  private caughtUpSignal!: { resolve: () => void; reject: (err: unknown) => void };
  private readonly caughtUpPromise: Promise<void>;
  private readonly keyOf: (key: MessageBytes, message: KafkaMessage) => string;
  private readonly decode: (value: MessageBytes, message: KafkaMessage) => V;

  constructor(
    private readonly api: StrataApi,
    private readonly config: TableConfig<V>,
    private readonly retry: ResolvedRetry,
    private readonly log: Logger,
  ) {
    if (!config || typeof config.topic !== 'string' || config.topic === '') {
      throw new TypeError('table: `topic` is required, e.g. strata.table({ topic: "orders" })');
    }
    this.keyOf = config.keyOf ?? ((key) => utf8Decode(key));
    this.decode = config.valueDecoder ?? ((value) => value as unknown as V);
    this.emitter = new Emitter(Object.values(TABLE_EVENTS), (err, type) =>
      this.log.error('table listener failed', { topic: config.topic, type, error: String(err) }),
    );
    this.caughtUpPromise = new Promise<void>((resolve, reject) => {
      this.caughtUpSignal = { resolve, reject };
    });
    // Nobody may be waiting; a crash is also reported by the CRASH event and the log.
    this.caughtUpPromise.catch(() => {});
  }

  get topic(): string {
    return this.config.topic;
  }

  /** The rows: a live, read-only view. */
  get map(): ReadonlyMap<string, V> {
    return this.rows;
  }

  get size(): number {
    return this.rows.size;
  }

  get(key: string): V | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.rows.entries();
  }

  keys(): IterableIterator<string> {
    return this.rows.keys();
  }

  values(): IterableIterator<V> {
    return this.rows.values();
  }

  /** A copy of the rows as they are now. */
  snapshot(): Map<string, V> {
    return new Map(this.rows);
  }

  /** Every partition's next offset to read, as strings. */
  positions(): { partition: number; offset: string }[] {
    return this.cursors.map((c) => ({ partition: c.partition, offset: c.fetchOffset.toString() }));
  }

  on<T = TableUpdate<V>>(type: string, listener: Listener<T>): RemoveListener {
    return this.emitter.on(type, listener);
  }

  /**
   * Starts reading (resolves once the partitions are known; the reading runs on). Call
   * caughtUp() to wait until the table holds the topic as it was at start().
   */
  start(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  /** Resolves once every partition has been read up to the high watermark seen at start(). */
  caughtUp(): Promise<void> {
    return this.caughtUpPromise;
  }

  /** The same as caughtUp(): start() and wait for it. */
  async ready(): Promise<void> {
    await this.start();
    await this.caughtUp();
  }

  /** Stops reading (the rows stay as they are). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    await this.starting?.catch(() => {});
    for (const c of this.cursors) c.abort.abort();
    await Promise.all(this.loops);
  }

  private async begin(): Promise<void> {
    const { topic } = this.config;
    const description = await this.api.describeTopic(topic);
    const wanted = this.config.partitions ? new Set(this.config.partitions) : undefined;
    this.cursors = description.partitions
      .filter((p) => !wanted || wanted.has(p.partition))
      .map((p) => ({
        topic,
        partition: p.partition,
        fetchOffset: BigInt(p.earliestOffset),
        abort: new AbortController(),
        target: BigInt(p.latestOffset),
        caughtUp: BigInt(p.earliestOffset) >= BigInt(p.latestOffset),
        failures: 0,
      }));
    if (wanted && this.cursors.length !== wanted.size) {
      throw new TypeError(`table: topic ${topic} lacks some of the partitions ${[...wanted].join(', ')}`);
    }
    if (this.stopped) return;
    this.running = true;
    this.checkCaughtUp();
    this.loops = this.cursors.map((c) => this.loop(c));
  }

  private checkCaughtUp(): void {
    if (this.cursors.every((c) => c.caughtUp)) {
      if (this.emittedCaughtUp) return;
      this.emittedCaughtUp = true;
      this.caughtUpSignal.resolve();
      this.emitter.emit(TABLE_EVENTS.CAUGHT_UP, { topic: this.config.topic, size: this.rows.size });
    }
  }
  private emittedCaughtUp = false;

  private settings(c: Cursor): FetchSettings {
    return {
      // Catching up, a partition has records to read: no waiting. Caught up: the long poll.
      maxWaitTimeInMs: c.caughtUp ? (this.config.maxWaitTimeInMs ?? 5_000) : 0,
      ...(this.config.maxBytesPerPartition ? { maxBytesPerPartition: this.config.maxBytesPerPartition } : {}),
      dataPath: this.config.dataPath ?? 'binary',
    };
  }

  private async loop(c: Cursor): Promise<void> {
    while (this.running && this.crashed === undefined) {
      c.abort = new AbortController();
      let res: FetchedMessages;
      try {
        res = await fetchMessages(this.api, c, this.settings(c));
        c.failures = 0;
      } catch (err) {
        if (!this.running || isAborted(err)) return;
        if (err instanceof StrataOffsetOutOfRangeError && err.logStartOffset !== undefined) {
          // Retention moved the log start past us: carry on from it.
          c.fetchOffset = BigInt(err.logStartOffset);
          continue;
        }
        if (!isRetriable(err)) {
          this.crash(err);
          return;
        }
        const delay = backoffDelay(Math.min(c.failures++, 10), this.retry);
        this.log.debug('table fetch failed', {
          topic: c.topic,
          partition: c.partition,
          error: String(err),
          retryInMs: delay,
        });
        await sleep(delay, c.abort.signal).catch(() => {});
        continue;
      }
      if (!this.running) return;
      for (const message of res.messages) this.apply(c.partition, message);
      const next = BigInt(res.nextOffset);
      if (next > c.fetchOffset) c.fetchOffset = next;
      if (!c.caughtUp && (c.fetchOffset >= c.target || res.messages.length === 0)) {
        // An empty answer below the target: nothing remains there (compaction removed the tail).
        c.caughtUp = true;
        this.checkCaughtUp();
      } else if (c.caughtUp && res.messages.length === 0) {
        // The long poll ended empty: a short pause, so that a server (or a fake) that answers at
        // once cannot turn the loop into a busy one.
        await sleep(EMPTY_POLL_PAUSE_MS, c.abort.signal);
      }
    }
  }

  /** One record into the table: later offsets win, a tombstone deletes. */
  private apply(partition: number, message: KafkaMessage): void {
    if (message.key === null) return;
    const key = this.keyOf(message.key, message);
    const previous = this.rows.get(key);
    let value: V | undefined;
    if (message.value === null) {
      if (!this.rows.delete(key)) return;
    } else {
      value = this.decode(message.value, message);
      this.rows.set(key, value);
    }
    this.emitter.emit(TABLE_EVENTS.UPDATE, {
      key,
      value,
      previous,
      deleted: message.value === null,
      partition,
      offset: message.offset,
    } satisfies TableUpdate<V>);
  }

  private crash(error: unknown): void {
    this.crashed = error;
    this.running = false;
    this.log.error('table stopped', { topic: this.config.topic, error: String(error) });
    for (const c of this.cursors) c.abort.abort();
    this.caughtUpSignal.reject(error);
    this.emitter.emit(TABLE_EVENTS.CRASH, { error });
  }
}
