/**
 * The consumer's partition runner: one loop per owned partition (long-poll fetch, then the batch
 * to eachMessage/eachBatch, at most partitionsConsumedConcurrently partitions at once), with
 * pause, resume and seek. A partition is released only after its loop has finished the message
 * in hand, its processed offset is committed, and it has stopped fetching; the next heartbeat
 * then stops listing it, and only then can the coordinator hand it to someone else.
 */
import { LIMITS } from '../contract/limits.js';
import type { FetchResponse, StrataApi, WireRecordOut } from './api.js';
import { fromBase64, toBufferLike } from './bytes.js';
import { CONSUMER_EVENTS } from './consumer-events.js';
import type { PartitionLifecycle } from './consumer-membership.js';
import type { OffsetCommitter } from './consumer-offset-committer.js';
import {
  type ConsumerContext,
  getOrInit,
  type PartitionState,
  type PartitionTable,
  splitKey,
  tpKey,
  tpList,
} from './consumer-state.js';
import { StrataOffsetOutOfRangeError } from './errors.js';
import { isAborted } from './http.js';
import { decodeFetchedBatches } from './record-batches.js';
import { backoffDelay, isRetriable, sleep } from './retry.js';
import { Semaphore } from './sync.js';
import type {
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  EachBatchPayload,
  KafkaMessage,
  MessageBytes,
  TopicPartitions,
} from './types.js';

const MAX_WAIT_MS = 20_000;

export type RunSettings = Required<
  Pick<ConsumerRunConfig, 'autoCommit' | 'eachBatchAutoResolve' | 'partitionsConsumedConcurrently'>
> &
  ConsumerRunConfig;

/** The heartbeat loop, woken when the owned partitions change so that the coordinator hears at once. */
export interface HeartbeatWake {
  wake(): void;
}

export class PartitionRunner implements PartitionLifecycle {
  private readonly pausedTopics = new Set<string>();
  private readonly pausedPartitions = new Set<string>();
  private readonly pendingSeeks = new Map<string, bigint>();
  private settings: RunSettings = {
    autoCommit: true,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: 1,
  };
  private slots = new Semaphore(1);
  private losing: Promise<void> | undefined;
  private restarting = false;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly partitions: PartitionTable,
    private readonly offsets: OffsetCommitter,
    private readonly heartbeat: HeartbeatWake,
  ) {}

  /** The run's handlers and concurrency (run() calls it with defaults applied). */
  configure(settings: RunSettings): void {
    this.settings = settings;
    this.slots = new Semaphore(settings.partitionsConsumedConcurrently);
  }

  dropping(): Promise<void> | undefined {
    return this.losing;
  }

  /** Moves a running partition's position now; a partition not owned yet starts there when assigned. */
  seek(topic: string, partition: number, target: bigint): void {
    const key = tpKey(topic, partition);
    const ps = this.partitions.get(key);
    if (ps && ps.phase === 'running') {
      ps.seekTo = target;
      ps.generation++;
      ps.abort.abort();
      ps.waker.notify();
    } else {
      this.pendingSeeks.set(key, target);
    }
  }

  pause(topics: TopicPartitions[]): void {
    for (const { topic, partitions } of topics ?? []) {
      if (partitions === undefined) this.pausedTopics.add(topic);
      else for (const p of partitions) this.pausedPartitions.add(tpKey(topic, p));
    }
    for (const ps of this.partitions.values()) if (this.isPaused(ps)) ps.abort.abort();
  }

  resume(topics: TopicPartitions[]): void {
    for (const { topic, partitions } of topics ?? []) {
      if (partitions === undefined) {
        this.pausedTopics.delete(topic);
        for (const k of [...this.pausedPartitions])
          if (k.startsWith(`${topic}\u0000`)) this.pausedPartitions.delete(k);
      } else for (const p of partitions) this.pausedPartitions.delete(tpKey(topic, p));
    }
    for (const ps of this.partitions.values()) if (!this.isPaused(ps)) ps.waker.notify();
  }

  paused(): { topic: string; partitions: number[] }[] {
    const byTopic = new Map<string, Set<number>>();
    const add = (topic: string, partition: number) => {
      const set = getOrInit(byTopic, topic, () => new Set<number>());
      set.add(partition);
    };
    for (const k of this.pausedPartitions) {
      const [topic, p] = splitKey(k);
      add(topic, p);
    }
    for (const ps of this.partitions.values())
      if (this.pausedTopics.has(ps.topic)) add(ps.topic, ps.partition);
    for (const t of this.pausedTopics) if (!byTopic.has(t)) byTopic.set(t, new Set());
    return [...byTopic].map(([topic, set]) => ({ topic, partitions: [...set].sort((a, b) => a - b) }));
  }

  /** Stop: every loop finishes the message in hand and stops; resolves with the partitions it held. */
  async stopAll(): Promise<PartitionState[]> {
    const states = [...this.partitions.values()];
    for (const ps of states) this.beginRelease(ps);
    await Promise.all(states.map((ps) => ps.task.catch(() => {})));
    await this.losing;
    return states;
  }

  /** Revocation: stop, let the message in hand finish, commit, then stop listing the partitions. */
  async release(states: PartitionState[]): Promise<void> {
    for (const ps of states) this.beginRelease(ps);
    await Promise.all(states.map((ps) => ps.task.catch(() => {})));
    const kept = states.filter((ps) => !ps.lost);
    if (this.offsets.autoCommit && kept.length > 0) {
      await this.offsets
        .commitPending(kept)
        .catch((err) =>
          this.ctx.log.warn('commit on revocation failed', { groupId: this.ctx.groupId, error: String(err) }),
        );
    }
    for (const ps of kept) if (this.partitions.get(ps.key) === ps) this.partitions.delete(ps.key);
    if (kept.length > 0)
      this.ctx.emitter.emit(CONSUMER_EVENTS.PARTITIONS_REVOKED, { partitions: tpList(kept) });
    this.heartbeat.wake();
  }

  loseAll(reason: string): Promise<void> {
    const states = [...this.partitions.values()].filter((ps) => !ps.lost);
    if (states.length === 0) return this.losing ?? Promise.resolve();
    for (const ps of states) {
      ps.lost = true;
      this.beginRelease(ps);
    }
    const previous = this.losing;
    const losing = (async () => {
      await previous;
      // Only user code in flight is waited for: nothing new starts on a lost partition, and a
      // commit still retrying must not hold the loss past the session timeout.
      await Promise.all(states.map((ps) => ps.inHandler));
      for (const ps of states) if (this.partitions.get(ps.key) === ps) this.partitions.delete(ps.key);
      this.ctx.emitter.emit(CONSUMER_EVENTS.PARTITIONS_LOST, { partitions: tpList(states), reason });
      this.heartbeat.wake();
    })().finally(() => {
      if (this.losing === losing) this.losing = undefined;
    });
    this.losing = losing;
    return losing;
  }

  async acquire(states: PartitionState[]): Promise<void> {
    let ready = false;
    for (let attempt = 0; this.ctx.isRunning() && !ready; attempt++) {
      if (states.every((ps) => ps.stopping)) return;
      try {
        await this.offsets.resolveStartOffsets(states, (key) => {
          const seek = this.pendingSeeks.get(key);
          if (seek !== undefined) this.pendingSeeks.delete(key);
          return seek;
        });
        ready = true;
      } catch (err) {
        this.ctx.log.warn('resolving start offsets failed', {
          groupId: this.ctx.groupId,
          error: String(err),
        });
        await sleep(backoffDelay(Math.min(attempt, 10), this.ctx.retry));
      }
    }
    const started = states.filter((ps) => !ps.stopping && ps.resolvedOffset >= 0n);
    if (started.length > 0) {
      this.ctx.emitter.emit(CONSUMER_EVENTS.PARTITIONS_ASSIGNED, {
        partitions: started.map((ps) => ({
          topic: ps.topic,
          partition: ps.partition,
          offset: ps.fetchOffset.toString(),
        })),
      });
    }
    for (const ps of states) {
      if (ps.stopping || ps.resolvedOffset < 0n) continue;
      ps.phase = 'running';
      ps.task = this.partitionLoop(ps);
    }
  }

  private beginRelease(ps: PartitionState): void {
    ps.phase = 'releasing';
    ps.abort.abort();
    ps.waker.notify();
  }

  private isPaused(ps: PartitionState): boolean {
    return this.pausedTopics.has(ps.topic) || this.pausedPartitions.has(ps.key);
  }

  private active(ps: PartitionState): boolean {
    return this.ctx.isRunning() && !ps.stopping && !ps.lost && this.partitions.get(ps.key) === ps;
  }

  private async partitionLoop(ps: PartitionState): Promise<void> {
    const { api, config } = this.ctx;
    while (this.active(ps)) {
      if (ps.seekTo !== undefined) await this.applySeek(ps);
      if (this.isPaused(ps)) {
        await ps.waker.wait();
        continue;
      }
      const generation = ps.generation;
      ps.abort = new AbortController();
      let res: FetchedMessages;
      try {
        this.ctx.emitter.emit(CONSUMER_EVENTS.FETCH_START, { topic: ps.topic, partition: ps.partition });
        res = await fetchMessages(api, ps, config);
      } catch (err) {
        if (isAborted(err) || !this.active(ps)) continue;
        await this.onFetchError(ps, err);
        continue;
      }
      ps.failures = 0;
      if (generation !== ps.generation || !this.active(ps) || this.isPaused(ps)) continue;
      ps.highWatermark = res.highWatermark;
      const messages = res.messages;
      this.ctx.emitter.emit(CONSUMER_EVENTS.FETCH, {
        topic: ps.topic,
        partition: ps.partition,
        numberOfBatches: messages.length > 0 ? 1 : 0,
      });
      if (messages.length === 0) {
        const next = BigInt(res.nextOffset);
        if (next > ps.fetchOffset) {
          ps.fetchOffset = next;
          if (ps.resolvedOffset < next) ps.resolvedOffset = next;
        }
        this.noteEndOfPartition(ps);
        await this.offsets.commitOffsetsIfNecessary();
        continue;
      }
      ps.eof = false;
      ps.fetchOffset = BigInt(res.nextOffset);
      await this.processBatch(ps, messages, res.highWatermark, generation);
      // Whatever was not processed (paused, failed, eachBatch left unresolved) is fetched again.
      if (generation === ps.generation && ps.resolvedOffset < ps.fetchOffset)
        ps.fetchOffset = ps.resolvedOffset;
      if (generation === ps.generation && ps.resolvedOffset.toString() === ps.highWatermark)
        this.noteEndOfPartition(ps);
    }
  }

  private noteEndOfPartition(ps: PartitionState): void {
    if (ps.eof || ps.resolvedOffset.toString() !== ps.highWatermark) return;
    ps.eof = true;
    this.ctx.emitter.emit(CONSUMER_EVENTS.END_OF_PARTITION, {
      topic: ps.topic,
      partition: ps.partition,
      offset: ps.highWatermark,
    });
  }

  private async applySeek(ps: PartitionState): Promise<void> {
    const target = ps.seekTo as bigint;
    ps.seekTo = undefined;
    ps.fetchOffset = target;
    ps.resolvedOffset = target;
    ps.eof = false;
    if (this.offsets.autoCommit) {
      await this.offsets
        .commitPending([ps])
        .catch((err) =>
          this.ctx.log.warn('commit after seek failed', { groupId: this.ctx.groupId, error: String(err) }),
        );
    }
  }

  private async onFetchError(ps: PartitionState, err: unknown): Promise<void> {
    if (err instanceof StrataOffsetOutOfRangeError) {
      // auto.offset.reset: earliest with fromBeginning, else latest.
      const earliest = this.ctx.subscriptions.fromBeginning(ps.topic);
      let bound = earliest ? err.logStartOffset : err.highWatermark;
      if (bound === undefined) {
        bound = (
          await this.ctx.api
            .listOffset(ps.topic, ps.partition, earliest ? 'earliest' : 'latest')
            .catch(() => undefined)
        )?.offset;
      }
      if (bound !== undefined) {
        this.ctx.log.warn('offset out of range; resetting', {
          topic: ps.topic,
          partition: ps.partition,
          from: ps.fetchOffset.toString(),
          to: bound,
        });
        ps.fetchOffset = BigInt(bound);
        ps.resolvedOffset = BigInt(bound);
        return;
      }
    }
    const delay = backoffDelay(Math.min(ps.failures++, 10), this.ctx.retry);
    const level = isRetriable(err) ? 'debug' : 'error';
    this.ctx.log[level]('fetch failed', {
      topic: ps.topic,
      partition: ps.partition,
      error: String(err),
      retryInMs: delay,
    });
    await ps.waker.wait(delay);
  }

  private async processBatch(
    ps: PartitionState,
    messages: KafkaMessage[],
    highWatermark: string,
    generation: number,
  ): Promise<void> {
    const release = await this.slots.acquire();
    try {
      const stale = () => generation !== ps.generation || !this.active(ps);
      if (stale()) return;
      const started = Date.now();
      const first = messages[0] as KafkaMessage;
      const last = messages[messages.length - 1] as KafkaMessage;
      const batchInfo = {
        topic: ps.topic,
        partition: ps.partition,
        highWatermark,
        offsetLag: String(BigInt(highWatermark) - BigInt(last.offset) - 1n),
        offsetLagLow: String(BigInt(highWatermark) - BigInt(first.offset) - 1n),
        batchSize: messages.length,
        firstOffset: first.offset,
        lastOffset: last.offset,
      };
      this.ctx.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, batchInfo);
      // A message processed while the consumer stops still counts (it is committed on the way
      // out); after a seek or once the partition is lost it does not.
      const resolveOffset = (offset: string) => {
        if (generation !== ps.generation || ps.lost) return;
        this.offsets.resolveOffset(ps, offset);
      };
      const pause = () => {
        this.pause([{ topic: ps.topic, partitions: [ps.partition] }]);
        return () => this.resume([{ topic: ps.topic, partitions: [ps.partition] }]);
      };
      const heartbeat = async () => {};
      // While user code runs for this partition: a lost partition waits for exactly this.
      let handlerDone!: () => void;
      ps.inHandler = new Promise<void>((resolve) => {
        handlerDone = resolve;
      });
      let failure: { error: unknown } | undefined;
      try {
        if (this.settings.eachBatch) {
          const batch = makeBatch(ps.topic, ps.partition, highWatermark, messages);
          const payload: EachBatchPayload = {
            batch,
            resolveOffset,
            heartbeat,
            pause,
            commitOffsetsIfNecessary: async (offsets) => {
              if (offsets) {
                const list = offsets.topics.flatMap((t) =>
                  t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
                );
                await this.offsets.commitOffsets(list);
              } else await this.offsets.commitOffsetsIfNecessary();
            },
            uncommittedOffsets: () => this.offsets.uncommittedOffsets(),
            isRunning: () => this.active(ps),
            isStale: () => stale(),
          };
          await this.settings.eachBatch(payload);
          if (this.settings.eachBatchAutoResolve) resolveOffset(last.offset);
        } else if (this.settings.eachMessage) {
          for (const message of messages) {
            if (stale() || this.isPaused(ps)) break;
            await this.settings.eachMessage({
              topic: ps.topic,
              partition: ps.partition,
              message,
              heartbeat,
              pause,
            });
            resolveOffset(message.offset);
          }
        }
      } catch (error) {
        failure = { error };
      } finally {
        ps.inHandler = undefined;
        handlerDone();
      }
      if (failure) {
        await this.onProcessingError(ps, failure.error);
        return;
      }
      ps.failures = 0;
      this.ctx.emitter.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, {
        ...batchInfo,
        duration: Date.now() - started,
      });
    } finally {
      release();
    }
    await this.offsets.commitOffsetsIfNecessary();
  }

  /**
   * A handler threw: the unprocessed messages are fetched again after a backoff. After
   * `retry.retries` failures in a row the consumer reports a CRASH and, unless
   * `retry.restartOnFailure` says no, carries on retrying; otherwise it stops.
   */
  private async onProcessingError(ps: PartitionState, err: unknown): Promise<void> {
    const { groupId, retry } = this.ctx;
    const attempt = ps.failures++;
    this.ctx.log.error('processing failed', {
      groupId,
      topic: ps.topic,
      partition: ps.partition,
      error: String((err as Error)?.stack ?? err),
      attempt: attempt + 1,
    });
    if (attempt >= retry.retries) {
      ps.failures = 0;
      const restart = retry.restartOnFailure
        ? await retry.restartOnFailure(err as Error).catch(() => false)
        : true;
      this.ctx.emitter.emit(CONSUMER_EVENTS.CRASH, { error: err, groupId, restart });
      if (!restart) {
        if (!this.restarting) {
          this.restarting = true;
          void this.ctx.stop().finally(() => {
            this.restarting = false;
          });
        }
        return;
      }
    }
    await ps.waker.wait(backoffDelay(Math.min(attempt, 10), retry));
  }
}

/** After a binary answer held a compressed batch, this many fetches of the partition go JSON first. */
const JSON_FETCHES_AFTER_COMPRESSED = 16;
const jsonFetchesLeft = new WeakMap<object, number>();

/** What one fetch of a partition needs: where it is, and the signal that cancels it. */
export interface FetchCursor {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly abort: AbortController;
}

export type FetchSettings = Pick<
  ConsumerConfig,
  'maxBytesPerPartition' | 'maxWaitTimeInMs' | 'maxRecordsPerFetch' | 'dataPath'
>;

export interface FetchedMessages {
  messages: KafkaMessage[];
  highWatermark: string;
  nextOffset: string;
}

/**
 * One fetch of a partition: RecordBatch bytes decoded here on the binary path (the default), the
 * JSON records route otherwise, and for an answer holding a compressed batch (the client does not
 * decompress; the server does it for the JSON route).
 */
export async function fetchMessages(
  api: StrataApi,
  ps: FetchCursor,
  config: FetchSettings,
): Promise<FetchedMessages> {
  const { topic, partition, fetchOffset: offset } = ps;
  const signal = ps.abort.signal;
  const maxBytes = config.maxBytesPerPartition ?? 1024 * 1024;
  const waitMs = Math.min(MAX_WAIT_MS, config.maxWaitTimeInMs ?? 5_000);
  const jsonLeft = jsonFetchesLeft.get(ps) ?? 0;
  if (jsonLeft > 0) jsonFetchesLeft.set(ps, jsonLeft - 1);
  if ((config.dataPath ?? 'binary') === 'binary' && jsonLeft === 0) {
    const res = await api.fetchBatches(
      topic,
      partition,
      { offset: offset.toString(), maxBytes: Math.min(maxBytes, LIMITS.maxFetchBytes), waitMs },
      { signal, retry: false },
    );
    const decoded = decodeFetchedBatches(res.records, Number(offset));
    if (!decoded.compressed) {
      let messages = decoded.messages;
      let nextOffset = res.nextOffset;
      const max = config.maxRecordsPerFetch;
      if (max && messages.length > max) {
        messages = messages.slice(0, max);
        nextOffset = String(BigInt((messages[max - 1] as KafkaMessage).offset) + 1n);
      }
      return { messages, highWatermark: res.highWatermark, nextOffset };
    }
    // Compressed data tends to stay compressed: read the next fetches as JSON straight away.
    jsonFetchesLeft.set(ps, JSON_FETCHES_AFTER_COMPRESSED);
  }
  const res: FetchResponse = await api.fetch(
    topic,
    partition,
    {
      offset: offset.toString(),
      maxBytes,
      ...(config.maxRecordsPerFetch ? { maxRecords: config.maxRecordsPerFetch } : {}),
      waitMs,
      encoding: 'base64',
    },
    { signal, retry: false },
  );
  return {
    messages: res.records.map(toKafkaMessage),
    highWatermark: res.highWatermark,
    nextOffset: res.nextOffset,
  };
}

function toKafkaMessage(r: WireRecordOut): KafkaMessage {
  const key = r.key === null || r.key === undefined ? null : toBufferLike(fromBase64(r.key));
  const value = r.value === null || r.value === undefined ? null : toBufferLike(fromBase64(r.value));
  const headers: Record<string, MessageBytes | undefined> = {};
  if (r.headers && typeof r.headers === 'object') {
    for (const [k, v] of Object.entries(r.headers)) {
      headers[k] = v === null || v === undefined ? undefined : toBufferLike(fromBase64(v));
    }
  }
  return {
    key,
    value,
    timestamp: String(r.timestamp),
    attributes: 0,
    offset: String(r.offset),
    size: (key?.length ?? 0) + (value?.length ?? 0),
    headers,
  };
}

function makeBatch(topic: string, partition: number, highWatermark: string, messages: KafkaMessage[]): Batch {
  const lastOffset = () =>
    messages.length > 0
      ? (messages[messages.length - 1] as KafkaMessage).offset
      : String(BigInt(highWatermark) - 1n);
  return {
    topic,
    partition,
    highWatermark,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (messages.length > 0 ? (messages[0] as KafkaMessage).offset : null),
    lastOffset,
    offsetLag: () => String(BigInt(highWatermark) - BigInt(lastOffset()) - 1n),
    offsetLagLow: () =>
      messages.length > 0
        ? String(BigInt(highWatermark) - BigInt((messages[0] as KafkaMessage).offset) - 1n)
        : '0',
  };
}
