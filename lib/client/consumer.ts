/**
 * The group consumer, KafkaJS-shaped, over the KIP-848 heartbeat (docs/client.md).
 *
 * Three kinds of loop run side by side:
 * - the heartbeat loop: joins (member epoch 0), heartbeats every heartbeatIntervalMs listing the
 *   partitions this member holds now, and reconciles toward the assignment the coordinator sends;
 * - one loop per owned partition: long-poll fetch, then hand the batch to eachMessage/eachBatch
 *   (at most partitionsConsumedConcurrently partitions are processed at once);
 * - commits, serialised, carrying member id and epoch.
 *
 * A partition is released only after its loop has finished the message in hand, its processed
 * offset is committed, and it has stopped fetching; the next heartbeat then stops listing it, and
 * only then can the coordinator hand it to someone else. A member that cannot heartbeat for
 * (almost) its session timeout drops its partitions on its own, before the coordinator can give
 * them away.
 */
import type {
  FetchResponse,
  HeartbeatResponse,
  StrataApi,
  WireGroupDescription,
  WireRecordOut,
  WireTopicPartitions,
} from './api.js';
import { fromBase64, toBufferLike } from './bytes.js';
import { StrataClientError, StrataOffsetOutOfRangeError, StrataUsageError } from './errors.js';
import { Emitter, type Listener, type RemoveListener } from './events.js';
import { isAborted } from './http.js';
import type { Logger } from './logger.js';
import { backoffDelay, isRetriable, type ResolvedRetry, resolveRetry, sleep } from './retry.js';
import { Mutex, Semaphore, Waker } from './sync.js';
import type {
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  KafkaMessage,
  MessageBytes,
  SeekEntry,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from './types.js';

export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
  /** Strata: this member starts processing these partitions (payload `{partitions:[{topic, partition, offset}]}`). */
  PARTITIONS_ASSIGNED: 'consumer.partitions_assigned',
  /** Strata: these partitions were released after a revocation or a stop (processing finished, offsets committed). */
  PARTITIONS_REVOKED: 'consumer.partitions_revoked',
  /** Strata: these partitions were dropped without a commit (fenced, or the session expired). */
  PARTITIONS_LOST: 'consumer.partitions_lost',
  /** Strata: a partition has been read up to its high watermark (payload `{topic, partition, offset}`). */
  END_OF_PARTITION: 'consumer.end_of_partition',
} as const;

const DEFAULT_SESSION_TIMEOUT = 45_000;
const DEFAULT_HEARTBEAT_INTERVAL = 3_000;
const MAX_WAIT_MS = 20_000;

interface Subscription {
  matcher: string | RegExp;
  fromBeginning: boolean;
}

type PartitionPhase = 'starting' | 'running' | 'releasing';

class PartitionState {
  readonly key: string;
  phase: PartitionPhase = 'starting';
  /** Next offset to fetch. */
  fetchOffset = -1n;
  /** Next offset after the last processed message: what a commit records. -1 until started. */
  resolvedOffset = -1n;
  /** Last offset this member knows committed (-1: none). */
  committedOffset = -1n;
  uncommitted = 0;
  highWatermark = '0';
  /** Bumped by seek: batches fetched before it are stale. */
  generation = 0;
  seekTo: bigint | undefined;
  lost = false;
  eof = false;
  failures = 0;
  abort = new AbortController();
  readonly waker = new Waker();
  task: Promise<void> = Promise.resolve();
  /** Set while eachMessage/eachBatch runs for this partition. */
  inHandler: Promise<void> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = tpKey(topic, partition);
  }

  get stopping(): boolean {
    return this.phase === 'releasing';
  }
}

export class Consumer {
  readonly events = CONSUMER_EVENTS;
  private readonly emitter: Emitter;
  private readonly retry: ResolvedRetry;
  private readonly sessionTimeout: number;
  private readonly subscriptions: Subscription[] = [];
  private readonly partitions = new Map<string, PartitionState>();
  private readonly pausedTopics = new Set<string>();
  private readonly pausedPartitions = new Set<string>();
  private readonly pendingSeeks = new Map<string, bigint>();
  private readonly commitMutex = new Mutex();
  private readonly heartbeatWaker = new Waker();

  private runConfig: Required<
    Pick<ConsumerRunConfig, 'autoCommit' | 'eachBatchAutoResolve' | 'partitionsConsumedConcurrently'>
  > &
    ConsumerRunConfig = { autoCommit: true, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 1 };
  private slots = new Semaphore(1);
  private running = false;
  private stopping: Promise<void> | undefined;
  private heartbeatTask: Promise<void> | undefined;
  private heartbeatWaiters: (() => void)[] = [];
  private losing: Promise<void> | undefined;
  private memberId: string | undefined;
  private memberEpoch = 0;
  /** Bumped whenever membership is reset (fenced, lost): responses to older heartbeats are ignored. */
  private membershipGeneration = 0;
  private heartbeatIntervalMs: number;
  private lastHeartbeatOkSentAt = 0;
  private sessionTimer: ReturnType<typeof setTimeout> | undefined;
  private lastCommitAt = Date.now();
  private joined: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private hasJoined = false;
  private joinFailures = 0;
  private restarting = false;

  constructor(
    private readonly api: StrataApi,
    private readonly config: ConsumerConfig,
    clientRetry: ResolvedRetry,
    private readonly log: Logger,
    private readonly clientId?: string,
  ) {
    if (!config || typeof config.groupId !== 'string' || config.groupId === '') {
      throw new StrataUsageError('consumer: `groupId` is required');
    }
    this.retry = resolveRetry(clientRetry, config.retry);
    this.sessionTimeout = config.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT;
    this.heartbeatIntervalMs = config.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
    this.emitter = new Emitter(Object.values(CONSUMER_EVENTS), (err, type) =>
      this.log.error('event listener failed', { type, error: String(err) }),
    );
  }

  get groupId(): string {
    return this.config.groupId;
  }

  /** Strata: the member id the coordinator gave this consumer (undefined before joining). */
  get currentMemberId(): string | undefined {
    return this.memberId;
  }

  /** Strata: who this member is now, for offset commits that ride on a produce (transactions). */
  memberIdentity(): { memberId: string; memberEpoch: number } | undefined {
    return this.memberId ? { memberId: this.memberId, memberEpoch: this.memberEpoch } : undefined;
  }

  /** Strata: the partitions this member holds now. */
  assignment(): { topic: string; partition: number }[] {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  on<T = unknown>(event: string, listener: Listener<T>): RemoveListener {
    return this.emitter.on(event, listener);
  }

  logger(): Logger {
    return this.log;
  }

  async connect(): Promise<void> {
    await this.api.health({ retry: this.retry });
    this.emitter.emit(CONSUMER_EVENTS.CONNECT, {});
  }

  async disconnect(): Promise<void> {
    await this.stop();
    this.emitter.emit(CONSUMER_EVENTS.DISCONNECT, {});
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw new StrataUsageError('subscribe: call it before run()');
    const s = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>;
    const list = s.topics ?? (s.topic !== undefined ? [s.topic] : []);
    if (!Array.isArray(list) || list.length === 0) throw new StrataUsageError('subscribe: no topics given');
    for (const m of list) {
      if (typeof m === 'string') {
        if (m === '') throw new StrataUsageError('subscribe: empty topic name');
      } else if (m instanceof RegExp) {
        if (/[imsy]/.test(m.flags)) {
          throw new StrataUsageError(
            `subscribe: regex flags "${m.flags}" cannot be sent to the coordinator; write the pattern without them`,
          );
        }
      } else throw new StrataUsageError('subscribe: topics are strings or RegExps');
      this.subscriptions.push({ matcher: m, fromBeginning: s.fromBeginning === true });
    }
  }

  /** The subscription as the heartbeat carries it: names, or one pattern when any RegExp is present. */
  subscriptionFields(): { topics?: string[]; topicPattern?: string } {
    return subscriptionToWire(this.subscriptions.map((s) => s.matcher));
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) throw new StrataUsageError('run: the consumer is already running');
    if (this.stopping) await this.stopping;
    if (this.subscriptions.length === 0) throw new StrataUsageError('run: call subscribe() first');
    if (!config.eachMessage && !config.eachBatch)
      throw new StrataUsageError('run: eachMessage or eachBatch is required');
    this.runConfig = {
      autoCommit: true,
      eachBatchAutoResolve: true,
      ...config,
      partitionsConsumedConcurrently: Math.max(1, config.partitionsConsumedConcurrently ?? 1),
    };
    if (this.runConfig.autoCommitInterval === undefined) this.runConfig.autoCommitInterval = 5_000;
    this.slots = new Semaphore(this.runConfig.partitionsConsumedConcurrently);
    this.running = true;
    this.hasJoined = false;
    this.joinFailures = 0;
    this.memberId = undefined;
    this.memberEpoch = 0;
    this.lastHeartbeatOkSentAt = Date.now();
    const joined = new Promise<void>((resolve, reject) => {
      this.joined = { resolve, reject };
    });
    this.heartbeatTask = this.heartbeatLoop();
    try {
      await joined;
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  /** Stops processing, commits what was processed, leaves the group (member epoch -1). */
  stop(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    this.stopping = this.doStop().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.heartbeatWaker.notify();
    await this.heartbeatTask?.catch(() => {});
    this.heartbeatTask = undefined;
    this.clearSessionTimer();
    const states = [...this.partitions.values()];
    for (const ps of states) this.beginRelease(ps);
    await Promise.all(states.map((ps) => ps.task.catch(() => {})));
    await this.losing;
    if (this.runConfig.autoCommit && this.memberId) {
      await this.commitPending(states.filter((ps) => !ps.lost)).catch((err) =>
        this.log.warn('commit on stop failed', { error: String(err) }),
      );
    }
    for (const ps of states) this.partitions.delete(ps.key);
    const released = states.filter((ps) => !ps.lost);
    if (released.length > 0)
      this.emitter.emit(CONSUMER_EVENTS.PARTITIONS_REVOKED, { partitions: tpList(released) });
    if (this.memberId) {
      try {
        await this.api.heartbeat(
          this.groupId,
          { memberId: this.memberId, memberEpoch: -1 },
          { timeoutMs: 5_000 },
        );
      } catch (err) {
        this.log.warn('leaving the group failed', { error: String(err) });
      }
    }
    this.memberId = undefined;
    this.memberEpoch = 0;
    this.hasJoined = false;
    this.emitter.emit(CONSUMER_EVENTS.STOP, {});
  }

  /**
   * Moves a partition's position. With autoCommit the offset is committed at once (as KafkaJS
   * does); a partition not owned yet starts there when assigned.
   */
  seek({ topic, partition, offset }: SeekEntry): void {
    const target = parseOffset(offset, 'seek');
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

  /** Commits exactly these offsets (each the next offset to read) with this member's id and epoch. */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const entries = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: parseOffset(o.offset, 'commitOffsets').toString(),
      ...(o.metadata ? { metadata: o.metadata } : {}),
    }));
    await this.commitMutex.run(() => this.sendCommit(entries));
  }

  async describeGroup(): Promise<WireGroupDescription> {
    return this.api.describeGroup(this.groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // Membership

  private async heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      // A member that is dropping its partitions heartbeats (or rejoins) only once they are dropped.
      if (this.losing) await this.losing;
      const ok = await this.heartbeatOnce();
      const waiters = this.heartbeatWaiters.splice(0);
      for (const w of waiters) w();
      if (!this.running) break;
      let delay = this.effectiveInterval();
      if (ok) failures = 0;
      else delay = Math.min(delay, backoffDelay(failures++, this.retry));
      if (this.memberEpoch === 0 && ok === false) delay = Math.max(delay, 50);
      await this.heartbeatWaker.wait(delay);
    }
    const waiters = this.heartbeatWaiters.splice(0);
    for (const w of waiters) w();
  }

  private effectiveInterval(): number {
    return Math.max(10, Math.min(this.heartbeatIntervalMs, Math.floor(this.sessionTimeout / 3)));
  }

  /** Asks the loop for a heartbeat now and resolves after it (at once when the loop is not running). */
  private heartbeatNow(): Promise<void> {
    if (!this.running || !this.heartbeatTask) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Bounded: the loop may be waiting for this very caller (a partition dropping its work).
      const timer = setTimeout(resolve, 2 * this.effectiveInterval());
      this.heartbeatWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.heartbeatWaker.notify();
    });
  }

  private async heartbeatOnce(): Promise<boolean> {
    const generation = this.membershipGeneration;
    const joining = this.memberEpoch === 0;
    const owned = this.ownedForHeartbeat();
    const request = {
      ...(this.memberId ? { memberId: this.memberId } : {}),
      memberEpoch: this.memberEpoch,
      ...this.subscriptionFields(),
      ...(this.config.instanceId ? { instanceId: this.config.instanceId } : {}),
      ...(this.clientId && joining ? { clientId: this.clientId } : {}),
      ...(this.config.rebalanceTimeout !== undefined && joining
        ? { rebalanceTimeoutMs: this.config.rebalanceTimeout }
        : {}),
      ...(this.config.assignor && joining ? { assignor: this.config.assignor } : {}),
      ...(this.config.sessionTimeout !== undefined ? { sessionTimeoutMs: this.config.sessionTimeout } : {}),
      ownedPartitions: owned,
    };
    const sentAt = Date.now();
    let res: HeartbeatResponse;
    try {
      res = await this.api.heartbeat(this.groupId, request, {
        timeoutMs: Math.max(1_000, Math.min(30_000, this.sessionTimeout)),
      });
    } catch (err) {
      if (!this.running) return false;
      return this.onHeartbeatError(err, joining);
    }
    if (generation !== this.membershipGeneration || !this.running) return true;
    this.lastHeartbeatOkSentAt = sentAt;
    this.armSessionTimer();
    this.memberId = res.memberId;
    this.memberEpoch = res.memberEpoch;
    if (Number.isFinite(res.heartbeatIntervalMs) && res.heartbeatIntervalMs > 0) {
      this.heartbeatIntervalMs = res.heartbeatIntervalMs;
    }
    this.emitter.emit(CONSUMER_EVENTS.HEARTBEAT, {
      groupId: this.groupId,
      memberId: this.memberId,
      groupGenerationId: this.memberEpoch,
    });
    if (res.assignment !== undefined && res.assignment !== null) this.reconcile(res.assignment);
    if (!this.hasJoined) {
      this.hasJoined = true;
      this.log.info('joined group', {
        groupId: this.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
      });
      this.joined?.resolve();
      this.joined = undefined;
    }
    return true;
  }

  private onHeartbeatError(err: unknown, joining: boolean): boolean {
    const code = err instanceof StrataClientError ? err.code : '';
    if (code === 'FENCED_MEMBER_EPOCH' || code === 'UNKNOWN_MEMBER_ID') {
      this.log.warn('fenced by the coordinator; rejoining', { groupId: this.groupId, code });
      this.resetMembership();
      this.heartbeatWaker.notify();
      return false;
    }
    if (isRetriable(err)) {
      this.log.debug('heartbeat failed', { error: String(err) });
      // run() gives up joining after the retry policy's attempts, as KafkaJS's connect does.
      if (!this.hasJoined && this.joined && ++this.joinFailures > this.retry.retries) {
        this.joined.reject(err);
        this.joined = undefined;
        this.running = false;
      }
      return false;
    }
    this.log.error('heartbeat rejected', { groupId: this.groupId, error: String(err) });
    if (joining && !this.hasJoined && this.joined) {
      this.joined.reject(err);
      this.joined = undefined;
      this.running = false;
      return false;
    }
    this.emitter.emit(CONSUMER_EVENTS.CRASH, { error: err, groupId: this.groupId, restart: true });
    return false;
  }

  /** Fenced or removed: every partition is lost (no commit: it would be refused), then rejoin at epoch 0. */
  private resetMembership(): void {
    this.membershipGeneration++;
    this.memberId = undefined;
    this.memberEpoch = 0;
    this.clearSessionTimer();
    void this.loseAll('fenced');
  }

  private armSessionTimer(): void {
    this.clearSessionTimer();
    const margin = Math.min(2_000, Math.floor(this.sessionTimeout / 5));
    const due = this.lastHeartbeatOkSentAt + this.sessionTimeout - margin;
    this.sessionTimer = setTimeout(
      () => {
        this.sessionTimer = undefined;
        if (!this.running || this.partitions.size === 0) return;
        this.log.warn('no heartbeat got through within the session timeout; dropping partitions', {
          groupId: this.groupId,
        });
        void this.loseAll('session timeout');
      },
      Math.max(0, due - Date.now()),
    );
  }

  private clearSessionTimer(): void {
    if (this.sessionTimer) clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
  }

  private loseAll(reason: string): Promise<void> {
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
      this.emitter.emit(CONSUMER_EVENTS.PARTITIONS_LOST, { partitions: tpList(states), reason });
      this.heartbeatWaker.notify();
    })().finally(() => {
      if (this.losing === losing) this.losing = undefined;
    });
    this.losing = losing;
    return losing;
  }

  private ownedForHeartbeat(): WireTopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const ps of this.partitions.values()) {
      const list = getOrInit(byTopic, ps.topic, () => []);
      list.push(ps.partition);
    }
    return [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }));
  }

  private reconcile(assignment: WireTopicPartitions[]): void {
    const target = new Set<string>();
    for (const { topic, partitions } of assignment) for (const p of partitions) target.add(tpKey(topic, p));
    const revoked = [...this.partitions.values()].filter((ps) => !target.has(ps.key) && !ps.stopping);
    const added: PartitionState[] = [];
    for (const key of target) {
      if (this.partitions.has(key)) continue;
      const [topic, partition] = splitKey(key);
      const ps = new PartitionState(topic, partition);
      this.partitions.set(key, ps);
      added.push(ps);
    }
    if (revoked.length > 0) {
      this.emitter.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.groupId, memberId: this.memberId });
      void this.release(revoked);
    }
    if (added.length > 0) void this.acquire(added);
    if (added.length > 0 || revoked.length > 0) {
      const memberAssignment: Record<string, number[]> = {};
      for (const { topic, partitions } of assignment) memberAssignment[topic] = [...partitions];
      this.emitter.emit(CONSUMER_EVENTS.GROUP_JOIN, {
        groupId: this.groupId,
        memberId: this.memberId,
        leaderId: null,
        isLeader: false,
        groupProtocol: 'consumer',
        memberEpoch: this.memberEpoch,
        memberAssignment,
      });
    }
  }

  /** Revocation: stop, let the message in hand finish, commit, then stop listing the partitions. */
  private async release(states: PartitionState[]): Promise<void> {
    for (const ps of states) this.beginRelease(ps);
    await Promise.all(states.map((ps) => ps.task.catch(() => {})));
    const kept = states.filter((ps) => !ps.lost);
    if (this.runConfig.autoCommit && kept.length > 0) {
      await this.commitPending(kept).catch((err) =>
        this.log.warn('commit on revocation failed', { groupId: this.groupId, error: String(err) }),
      );
    }
    for (const ps of kept) if (this.partitions.get(ps.key) === ps) this.partitions.delete(ps.key);
    if (kept.length > 0) this.emitter.emit(CONSUMER_EVENTS.PARTITIONS_REVOKED, { partitions: tpList(kept) });
    this.heartbeatWaker.notify();
  }

  private beginRelease(ps: PartitionState): void {
    ps.phase = 'releasing';
    ps.abort.abort();
    ps.waker.notify();
  }

  private async acquire(states: PartitionState[]): Promise<void> {
    let committed = new Map<string, bigint>();
    let ready = false;
    for (let attempt = 0; this.running && !ready; attempt++) {
      if (states.every((ps) => ps.stopping)) return;
      try {
        committed = await this.fetchCommitted();
        await Promise.all(
          states.map(async (ps) => {
            if (ps.stopping) return;
            const seek = this.pendingSeeks.get(ps.key);
            const c = committed.get(ps.key);
            ps.committedOffset = c ?? -1n;
            let start: bigint;
            if (seek !== undefined) {
              this.pendingSeeks.delete(ps.key);
              start = seek;
            } else if (c !== undefined) start = c;
            else {
              const at = this.fromBeginning(ps.topic) ? 'earliest' : 'latest';
              start = BigInt((await this.api.listOffset(ps.topic, ps.partition, at)).offset);
            }
            ps.fetchOffset = start;
            ps.resolvedOffset = start;
          }),
        );
        ready = true;
      } catch (err) {
        this.log.warn('resolving start offsets failed', { groupId: this.groupId, error: String(err) });
        await sleep(backoffDelay(Math.min(attempt, 10), this.retry));
      }
    }
    const started = states.filter((ps) => !ps.stopping && ps.resolvedOffset >= 0n);
    if (started.length > 0) {
      this.emitter.emit(CONSUMER_EVENTS.PARTITIONS_ASSIGNED, {
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

  private async fetchCommitted(): Promise<Map<string, bigint>> {
    const res = await this.api.fetchGroupOffsets(this.groupId).catch((err) => {
      if (err instanceof StrataClientError && err.code === 'GROUP_ID_NOT_FOUND') return { offsets: [] };
      throw err;
    });
    const out = new Map<string, bigint>();
    for (const o of res.offsets ?? []) {
      if (o.offset === null || o.offset === undefined || BigInt(o.offset) < 0n) continue;
      out.set(tpKey(o.topic, o.partition), BigInt(o.offset));
    }
    return out;
  }

  private fromBeginning(topic: string): boolean {
    for (const s of this.subscriptions) {
      if (typeof s.matcher === 'string' ? s.matcher === topic : new RegExp(s.matcher.source).test(topic)) {
        return s.fromBeginning;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Fetching and processing

  private isPaused(ps: PartitionState): boolean {
    return this.pausedTopics.has(ps.topic) || this.pausedPartitions.has(ps.key);
  }

  private active(ps: PartitionState): boolean {
    return this.running && !ps.stopping && !ps.lost && this.partitions.get(ps.key) === ps;
  }

  private async partitionLoop(ps: PartitionState): Promise<void> {
    while (this.active(ps)) {
      if (ps.seekTo !== undefined) await this.applySeek(ps);
      if (this.isPaused(ps)) {
        await ps.waker.wait();
        continue;
      }
      const generation = ps.generation;
      ps.abort = new AbortController();
      let res: FetchResponse;
      try {
        this.emitter.emit(CONSUMER_EVENTS.FETCH_START, { topic: ps.topic, partition: ps.partition });
        res = await this.api.fetch(
          ps.topic,
          ps.partition,
          {
            offset: ps.fetchOffset.toString(),
            maxBytes: this.config.maxBytesPerPartition ?? 1024 * 1024,
            ...(this.config.maxRecordsPerFetch ? { maxRecords: this.config.maxRecordsPerFetch } : {}),
            waitMs: Math.min(MAX_WAIT_MS, this.config.maxWaitTimeInMs ?? 5_000),
            encoding: 'base64',
          },
          { signal: ps.abort.signal, retry: false },
        );
      } catch (err) {
        if (isAborted(err) || !this.active(ps)) continue;
        await this.onFetchError(ps, err);
        continue;
      }
      ps.failures = 0;
      if (generation !== ps.generation || !this.active(ps) || this.isPaused(ps)) continue;
      ps.highWatermark = res.highWatermark;
      const messages = res.records.map(toKafkaMessage);
      this.emitter.emit(CONSUMER_EVENTS.FETCH, {
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
        await this.commitOffsetsIfNecessary();
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
    this.emitter.emit(CONSUMER_EVENTS.END_OF_PARTITION, {
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
    if (this.runConfig.autoCommit) {
      await this.commitPending([ps]).catch((err) =>
        this.log.warn('commit after seek failed', { groupId: this.groupId, error: String(err) }),
      );
    }
  }

  private async onFetchError(ps: PartitionState, err: unknown): Promise<void> {
    if (err instanceof StrataOffsetOutOfRangeError) {
      // auto.offset.reset: earliest with fromBeginning, else latest.
      const earliest = this.fromBeginning(ps.topic);
      let bound = earliest ? err.logStartOffset : err.highWatermark;
      if (bound === undefined) {
        bound = (
          await this.api
            .listOffset(ps.topic, ps.partition, earliest ? 'earliest' : 'latest')
            .catch(() => undefined)
        )?.offset;
      }
      if (bound !== undefined) {
        this.log.warn('offset out of range; resetting', {
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
    const delay = backoffDelay(Math.min(ps.failures++, 10), this.retry);
    const level = isRetriable(err) ? 'debug' : 'error';
    this.log[level]('fetch failed', {
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
      this.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, batchInfo);
      // A message processed while the consumer stops still counts (it is committed on the way
      // out); after a seek or once the partition is lost it does not.
      const resolveOffset = (offset: string) => {
        if (generation !== ps.generation || ps.lost) return;
        const next = BigInt(offset) + 1n;
        if (next > ps.resolvedOffset) {
          ps.uncommitted += Number(next - ps.resolvedOffset);
          ps.resolvedOffset = next;
        }
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
        if (this.runConfig.eachBatch) {
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
                await this.commitOffsets(list);
              } else await this.commitOffsetsIfNecessary();
            },
            uncommittedOffsets: () => this.uncommittedOffsets(),
            isRunning: () => this.active(ps),
            isStale: () => stale(),
          };
          await this.runConfig.eachBatch(payload);
          if (this.runConfig.eachBatchAutoResolve) resolveOffset(last.offset);
        } else if (this.runConfig.eachMessage) {
          for (const message of messages) {
            if (stale() || this.isPaused(ps)) break;
            await this.runConfig.eachMessage({
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
      this.emitter.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...batchInfo, duration: Date.now() - started });
    } finally {
      release();
    }
    await this.commitOffsetsIfNecessary();
  }

  /**
   * A handler threw: the unprocessed messages are fetched again after a backoff. After
   * `retry.retries` failures in a row the consumer reports a CRASH and, unless
   * `retry.restartOnFailure` says no, carries on retrying; otherwise it stops.
   */
  private async onProcessingError(ps: PartitionState, err: unknown): Promise<void> {
    const attempt = ps.failures++;
    this.log.error('processing failed', {
      groupId: this.groupId,
      topic: ps.topic,
      partition: ps.partition,
      error: String((err as Error)?.stack ?? err),
      attempt: attempt + 1,
    });
    if (attempt >= this.retry.retries) {
      ps.failures = 0;
      const restart = this.retry.restartOnFailure
        ? await this.retry.restartOnFailure(err as Error).catch(() => false)
        : true;
      this.emitter.emit(CONSUMER_EVENTS.CRASH, { error: err, groupId: this.groupId, restart });
      if (!restart) {
        if (!this.restarting) {
          this.restarting = true;
          void this.stop().finally(() => {
            this.restarting = false;
          });
        }
        return;
      }
    }
    await ps.waker.wait(backoffDelay(Math.min(attempt, 10), this.retry));
  }

  private uncommittedOffsets() {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const ps of this.partitions.values()) {
      if (ps.resolvedOffset < 0n || ps.resolvedOffset === ps.committedOffset) continue;
      const list = getOrInit(byTopic, ps.topic, () => []);
      list.push({ partition: ps.partition, offset: ps.resolvedOffset.toString() });
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  // ---------------------------------------------------------------------------------------------
  // Commits

  private async commitOffsetsIfNecessary(): Promise<void> {
    if (!this.runConfig.autoCommit) return;
    const { autoCommitInterval, autoCommitThreshold } = this.runConfig;
    let pending = 0;
    for (const ps of this.partitions.values()) pending += ps.uncommitted;
    const byThreshold = !!autoCommitThreshold && pending >= autoCommitThreshold;
    const byInterval = !!autoCommitInterval && Date.now() - this.lastCommitAt >= autoCommitInterval;
    const always = !autoCommitInterval && !autoCommitThreshold;
    if (!byThreshold && !byInterval && !(always && pending > 0)) return;
    await this.commitPending([...this.partitions.values()].filter((ps) => ps.phase === 'running')).catch(
      (err) => this.log.warn('auto commit failed', { groupId: this.groupId, error: String(err) }),
    );
  }

  /** Commits the processed position of each partition that moved since its last commit. */
  private commitPending(states: PartitionState[]): Promise<void> {
    return this.commitMutex.run(async () => {
      this.lastCommitAt = Date.now();
      const due = states.filter(
        (ps) => !ps.lost && ps.resolvedOffset >= 0n && ps.resolvedOffset !== ps.committedOffset,
      );
      if (due.length === 0) return;
      const entries = due.map((ps) => ({
        topic: ps.topic,
        partition: ps.partition,
        offset: ps.resolvedOffset.toString(),
      }));
      await this.sendCommit(entries);
    });
  }

  /** Sends one commit (inside the commit mutex). STALE_MEMBER_EPOCH: heartbeat, then try once more. */
  private async sendCommit(
    entries: { topic: string; partition: number; offset: string; metadata?: string }[],
  ) {
    if (entries.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      if (!this.memberId) {
        throw new StrataClientError('cannot commit: this consumer is not a member of the group', {
          code: 'UNKNOWN_MEMBER_ID',
          retriable: false,
        });
      }
      try {
        await this.api.commitOffsets(this.groupId, {
          memberId: this.memberId,
          memberEpoch: this.memberEpoch,
          offsets: entries,
        });
        break;
      } catch (err) {
        const code = err instanceof StrataClientError ? err.code : '';
        if (code === 'STALE_MEMBER_EPOCH' && attempt === 0) {
          await this.heartbeatNow();
          continue;
        }
        if (code === 'FENCED_MEMBER_EPOCH' || code === 'UNKNOWN_MEMBER_ID') {
          this.resetMembership();
          this.heartbeatWaker.notify();
          throw err;
        }
        if (isRetriable(err) && attempt < this.retry.retries) {
          await sleep(backoffDelay(attempt, this.retry));
          continue;
        }
        throw err;
      }
    }
    for (const e of entries) {
      const ps = this.partitions.get(tpKey(e.topic, e.partition));
      if (!ps) continue;
      const committed = BigInt(e.offset);
      ps.committedOffset = committed;
      if (committed === ps.resolvedOffset) ps.uncommitted = 0;
    }
    const byTopic = new Map<string, { partition: string; offset: string }[]>();
    for (const e of entries) {
      const list = getOrInit(byTopic, e.topic, () => []);
      list.push({ partition: String(e.partition), offset: e.offset });
    }
    this.emitter.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
      groupId: this.groupId,
      memberId: this.memberId,
      groupGenerationId: this.memberEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }
}

/**
 * Names only: `topics`. Any RegExp: one `topicPattern` matching the union. Names become
 * anchored, escaped alternatives so that they match only themselves whether the coordinator
 * tests the pattern anywhere in a name or against the whole name.
 */
export function subscriptionToWire(matchers: (string | RegExp)[]): {
  topics?: string[];
  topicPattern?: string;
} {
  const names = [...new Set(matchers.filter((m): m is string => typeof m === 'string'))];
  const regexes = matchers.filter((m): m is RegExp => m instanceof RegExp);
  if (regexes.length === 0) return { topics: names };
  if (regexes.length === 1 && names.length === 0) return { topicPattern: (regexes[0] as RegExp).source };
  const parts = [
    ...names.map((n) => `^${n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}$`),
    ...regexes.map((r) => `(?:${r.source})`),
  ];
  return { topicPattern: parts.join('|') };
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

function parseOffset(offset: unknown, what: string): bigint {
  const text = typeof offset === 'number' || typeof offset === 'bigint' ? String(offset) : offset;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) {
    throw new StrataUsageError(
      `${what}: invalid offset ${JSON.stringify(offset)} (a non-negative integer string)`,
    );
  }
  return BigInt(text);
}

function getOrInit<K, V>(map: Map<K, V>, key: K, init: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = init();
    map.set(key, value);
  }
  return value;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

function tpList(states: PartitionState[]): { topic: string; partition: number }[] {
  return states.map((ps) => ({ topic: ps.topic, partition: ps.partition }));
}
