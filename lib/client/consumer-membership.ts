/**
 * The consumer's membership of its group, over the KIP-848 heartbeat: joins at member epoch 0,
 * heartbeats every heartbeatIntervalMs listing the partitions this member holds now, and
 * reconciles toward the assignment the coordinator sends (the partition runner starts and
 * releases the partitions). A member that cannot heartbeat for (almost) its session timeout drops
 * its partitions on its own, before the coordinator can give them away.
 */
import type { HeartbeatResponse, WireTopicPartitions } from './api.js';
import { CONSUMER_EVENTS } from './consumer-events.js';
import {
  type ConsumerContext,
  getOrInit,
  PartitionState,
  type PartitionTable,
  splitKey,
  tpKey,
} from './consumer-state.js';
import { StrataClientError } from './errors.js';
import { backoffDelay, isRetriable } from './retry.js';
import { Waker } from './sync.js';

const DEFAULT_SESSION_TIMEOUT = 45_000;
const DEFAULT_HEARTBEAT_INTERVAL = 3_000;

/** What membership asks of the partition runner when the assignment changes or the membership ends. */
export interface PartitionLifecycle {
  /** Starts newly assigned partitions (from their committed offsets). */
  acquire(states: PartitionState[]): Promise<void>;
  /** Revocation: finish the message in hand, commit, stop listing them. */
  release(states: PartitionState[]): Promise<void>;
  /** Drops every partition without a commit. */
  loseAll(reason: string): Promise<void>;
  /** Settles when the partitions being dropped are dropped; undefined when none are. */
  dropping(): Promise<void> | undefined;
}

export class Membership {
  private readonly sessionTimeout: number;
  private readonly waker = new Waker();
  private heartbeatIntervalMs: number;
  private task: Promise<void> | undefined;
  private heartbeatWaiters: (() => void)[] = [];
  private id: string | undefined;
  private epoch = 0;
  /** Bumped whenever membership is reset (fenced, lost): responses to older heartbeats are ignored. */
  private generation = 0;
  private lastHeartbeatOkSentAt = 0;
  private sessionTimer: ReturnType<typeof setTimeout> | undefined;
  private joined: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private hasJoined = false;
  private joinFailures = 0;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly partitions: PartitionTable,
    private readonly lifecycle: PartitionLifecycle,
  ) {
    this.sessionTimeout = ctx.config.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT;
    this.heartbeatIntervalMs = ctx.config.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  }

  /** The member id the coordinator gave this consumer (undefined before joining and once fenced). */
  get memberId(): string | undefined {
    return this.id;
  }

  get memberEpoch(): number {
    return this.epoch;
  }

  /** Starts the heartbeat loop as a new member; resolves once the coordinator has answered the join. */
  join(): Promise<void> {
    this.hasJoined = false;
    this.joinFailures = 0;
    this.id = undefined;
    this.epoch = 0;
    this.lastHeartbeatOkSentAt = Date.now();
    const joined = new Promise<void>((resolve, reject) => {
      this.joined = { resolve, reject };
    });
    this.task = this.heartbeatLoop();
    return joined;
  }

  /** Ends the heartbeat loop (the run is over) and the session timer. */
  async stop(): Promise<void> {
    this.waker.notify();
    await this.task?.catch(() => {});
    this.task = undefined;
    this.clearSessionTimer();
  }

  /** Leaves the group (member epoch -1) once the partitions are released. */
  async leave(): Promise<void> {
    if (this.id) {
      try {
        await this.ctx.api.heartbeat(
          this.ctx.groupId,
          { memberId: this.id, memberEpoch: -1 },
          { timeoutMs: 5_000 },
        );
      } catch (err) {
        this.ctx.log.warn('leaving the group failed', { error: String(err) });
      }
    }
    this.id = undefined;
    this.epoch = 0;
    this.hasJoined = false;
  }

  /** Wakes the loop for an early heartbeat: the owned partitions just changed. */
  wake(): void {
    this.waker.notify();
  }

  /** Asks the loop for a heartbeat now and resolves after it (at once when the loop is not running). */
  heartbeatNow(): Promise<void> {
    if (!this.ctx.isRunning() || !this.task) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Bounded: the loop may be waiting for this very caller (a partition dropping its work).
      const timer = setTimeout(resolve, 2 * this.effectiveInterval());
      this.heartbeatWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waker.notify();
    });
  }

  /** Fenced or removed: every partition is lost (no commit: it would be refused), then rejoin at epoch 0. */
  fenced(): void {
    this.generation++;
    this.id = undefined;
    this.epoch = 0;
    this.clearSessionTimer();
    void this.lifecycle.loseAll('fenced');
    this.waker.notify();
  }

  private async heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (this.ctx.isRunning()) {
      // A member that is dropping its partitions heartbeats (or rejoins) only once they are dropped.
      const dropping = this.lifecycle.dropping();
      if (dropping) await dropping;
      const ok = await this.heartbeatOnce();
      const waiters = this.heartbeatWaiters.splice(0);
      for (const w of waiters) w();
      if (!this.ctx.isRunning()) break;
      let delay = this.effectiveInterval();
      if (ok) failures = 0;
      else delay = Math.min(delay, backoffDelay(failures++, this.ctx.retry));
      if (this.epoch === 0 && ok === false) delay = Math.max(delay, 50);
      await this.waker.wait(delay);
    }
    const waiters = this.heartbeatWaiters.splice(0);
    for (const w of waiters) w();
  }

  private effectiveInterval(): number {
    return Math.max(10, Math.min(this.heartbeatIntervalMs, Math.floor(this.sessionTimeout / 3)));
  }

  private async heartbeatOnce(): Promise<boolean> {
    const { config, clientId } = this.ctx;
    const generation = this.generation;
    const joining = this.epoch === 0;
    const owned = this.ownedForHeartbeat();
    const request = {
      ...(this.id ? { memberId: this.id } : {}),
      memberEpoch: this.epoch,
      ...this.ctx.subscriptions.toWire(),
      ...(config.instanceId ? { instanceId: config.instanceId } : {}),
      ...(clientId && joining ? { clientId } : {}),
      ...(config.rebalanceTimeout !== undefined && joining
        ? { rebalanceTimeoutMs: config.rebalanceTimeout }
        : {}),
      ...(config.assignor && joining ? { assignor: config.assignor } : {}),
      ...(config.sessionTimeout !== undefined ? { sessionTimeoutMs: config.sessionTimeout } : {}),
      ownedPartitions: owned,
    };
    const sentAt = Date.now();
    let res: HeartbeatResponse;
    try {
      res = await this.ctx.api.heartbeat(this.ctx.groupId, request, {
        timeoutMs: Math.max(1_000, Math.min(30_000, this.sessionTimeout)),
      });
    } catch (err) {
      if (!this.ctx.isRunning()) return false;
      return this.onHeartbeatError(err, joining);
    }
    if (generation !== this.generation || !this.ctx.isRunning()) return true;
    this.lastHeartbeatOkSentAt = sentAt;
    this.armSessionTimer();
    this.id = res.memberId;
    this.epoch = res.memberEpoch;
    if (Number.isFinite(res.heartbeatIntervalMs) && res.heartbeatIntervalMs > 0) {
      this.heartbeatIntervalMs = res.heartbeatIntervalMs;
    }
    this.ctx.emitter.emit(CONSUMER_EVENTS.HEARTBEAT, {
      groupId: this.ctx.groupId,
      memberId: this.id,
      groupGenerationId: this.epoch,
    });
    if (res.assignment !== undefined && res.assignment !== null) this.reconcile(res.assignment);
    if (!this.hasJoined) {
      this.hasJoined = true;
      this.ctx.log.info('joined group', {
        groupId: this.ctx.groupId,
        memberId: this.id,
        memberEpoch: this.epoch,
      });
      this.joined?.resolve();
      this.joined = undefined;
    }
    return true;
  }

  private onHeartbeatError(err: unknown, joining: boolean): boolean {
    const { groupId, log } = this.ctx;
    const code = err instanceof StrataClientError ? err.code : '';
    if (code === 'FENCED_MEMBER_EPOCH' || code === 'UNKNOWN_MEMBER_ID') {
      log.warn('fenced by the coordinator; rejoining', { groupId, code });
      this.fenced();
      return false;
    }
    if (isRetriable(err)) {
      log.debug('heartbeat failed', { error: String(err) });
      // run() gives up joining after the retry policy's attempts, as KafkaJS's connect does.
      if (!this.hasJoined && this.joined && ++this.joinFailures > this.ctx.retry.retries) {
        this.joined.reject(err);
        this.joined = undefined;
        this.ctx.endRun();
      }
      return false;
    }
    log.error('heartbeat rejected', { groupId, error: String(err) });
    if (joining && !this.hasJoined && this.joined) {
      this.joined.reject(err);
      this.joined = undefined;
      this.ctx.endRun();
      return false;
    }
    this.ctx.emitter.emit(CONSUMER_EVENTS.CRASH, { error: err, groupId, restart: true });
    return false;
  }

  private armSessionTimer(): void {
    this.clearSessionTimer();
    const margin = Math.min(2_000, Math.floor(this.sessionTimeout / 5));
    const due = this.lastHeartbeatOkSentAt + this.sessionTimeout - margin;
    this.sessionTimer = setTimeout(
      () => {
        this.sessionTimer = undefined;
        if (!this.ctx.isRunning() || this.partitions.size === 0) return;
        this.ctx.log.warn('no heartbeat got through within the session timeout; dropping partitions', {
          groupId: this.ctx.groupId,
        });
        void this.lifecycle.loseAll('session timeout');
      },
      Math.max(0, due - Date.now()),
    );
  }

  private clearSessionTimer(): void {
    if (this.sessionTimer) clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
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
      this.ctx.emitter.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.ctx.groupId, memberId: this.id });
      void this.lifecycle.release(revoked);
    }
    if (added.length > 0) void this.lifecycle.acquire(added);
    if (added.length > 0 || revoked.length > 0) {
      const memberAssignment: Record<string, number[]> = {};
      for (const { topic, partitions } of assignment) memberAssignment[topic] = [...partitions];
      this.ctx.emitter.emit(CONSUMER_EVENTS.GROUP_JOIN, {
        groupId: this.ctx.groupId,
        memberId: this.id,
        leaderId: null,
        isLeader: false,
        groupProtocol: 'consumer',
        memberEpoch: this.epoch,
        memberAssignment,
      });
    }
  }
}
