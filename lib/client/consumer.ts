/**
 * The group consumer, KafkaJS-shaped, over the KIP-848 heartbeat (docs/client.md). This module
 * is its API; the work is split as KafkaJS splits its consumer:
 * - consumer-membership.ts: joins (member epoch 0), heartbeats, reconciles toward the
 *   assignment the coordinator sends, leaves; drops the partitions when the session runs out;
 * - consumer-partition-runner.ts: one fetch loop per owned partition, eachMessage/eachBatch,
 *   pause, resume and seek, and the release or loss of partitions;
 * - consumer-offset-committer.ts: start offsets, processed positions, auto-commit and
 *   commitOffsets, serialised and carrying member id and epoch.
 * They share the wiring and the partition table of consumer-state.ts.
 */
import type { StrataApi, WireGroupDescription } from './api.js';
import { CONSUMER_EVENTS } from './consumer-events.js';
import { Membership } from './consumer-membership.js';
import { OffsetCommitter } from './consumer-offset-committer.js';
import { PartitionRunner, type RunSettings } from './consumer-partition-runner.js';
import { type ConsumerContext, type PartitionTable, parseOffset, tpList } from './consumer-state.js';
import { Subscriptions } from './consumer-subscription.js';
import { StrataUsageError } from './errors.js';
import { Emitter, type Listener, type RemoveListener } from './events.js';
import type { Logger } from './logger.js';
import { type ResolvedRetry, resolveRetry } from './retry.js';
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  SeekEntry,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from './types.js';

export { CONSUMER_EVENTS } from './consumer-events.js';
export { subscriptionToWire } from './consumer-subscription.js';

export class Consumer {
  readonly events = CONSUMER_EVENTS;
  private readonly emitter: Emitter;
  private readonly retry: ResolvedRetry;
  private readonly subscriptions = new Subscriptions();
  private readonly partitions: PartitionTable = new Map();
  private readonly membership: Membership;
  private readonly offsets: OffsetCommitter;
  private readonly runner: PartitionRunner;
  private running = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly api: StrataApi,
    private readonly config: ConsumerConfig,
    clientRetry: ResolvedRetry,
    private readonly log: Logger,
    clientId?: string,
  ) {
    if (!config || typeof config.groupId !== 'string' || config.groupId === '') {
      throw new StrataUsageError('consumer: `groupId` is required');
    }
    this.retry = resolveRetry(clientRetry, config.retry);
    this.emitter = new Emitter(Object.values(CONSUMER_EVENTS), (err, type) =>
      this.log.error('event listener failed', { type, error: String(err) }),
    );
    const ctx: ConsumerContext = {
      api,
      config,
      groupId: config.groupId,
      clientId,
      retry: this.retry,
      log,
      emitter: this.emitter,
      subscriptions: this.subscriptions,
      isRunning: () => this.running,
      endRun: () => {
        this.running = false;
      },
      stop: () => this.stop(),
    };
    // Membership starts and releases partitions through the runner, created after it.
    this.membership = new Membership(ctx, this.partitions, {
      acquire: (states) => this.runner.acquire(states),
      release: (states) => this.runner.release(states),
      loseAll: (reason) => this.runner.loseAll(reason),
      dropping: () => this.runner.dropping(),
    });
    this.offsets = new OffsetCommitter(ctx, this.partitions, this.membership);
    this.runner = new PartitionRunner(ctx, this.partitions, this.offsets, this.membership);
  }

  get groupId(): string {
    return this.config.groupId;
  }

  /** Strata: the member id the coordinator gave this consumer (undefined before joining). */
  get currentMemberId(): string | undefined {
    return this.membership.memberId;
  }

  /** Strata: who this member is now, for offset commits that ride on a produce (transactions). */
  memberIdentity(): { memberId: string; memberEpoch: number } | undefined {
    const { memberId, memberEpoch } = this.membership;
    return memberId ? { memberId, memberEpoch } : undefined;
  }

  /** Strata: the partitions this member holds now. */
  assignment(): { topic: string; partition: number }[] {
    return tpList([...this.partitions.values()]);
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
    this.subscriptions.add(list, s.fromBeginning === true);
  }

  /** The subscription as the heartbeat carries it: names, or one pattern when any RegExp is present. */
  subscriptionFields(): { topics?: string[]; topicPattern?: string } {
    return this.subscriptions.toWire();
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.running) throw new StrataUsageError('run: the consumer is already running');
    if (this.stopping) await this.stopping;
    if (this.subscriptions.size === 0) throw new StrataUsageError('run: call subscribe() first');
    if (!config.eachMessage && !config.eachBatch)
      throw new StrataUsageError('run: eachMessage or eachBatch is required');
    const settings: RunSettings = {
      autoCommit: true,
      eachBatchAutoResolve: true,
      ...config,
      partitionsConsumedConcurrently: Math.max(1, config.partitionsConsumedConcurrently ?? 1),
    };
    if (settings.autoCommitInterval === undefined) settings.autoCommitInterval = 5_000;
    this.runner.configure(settings);
    this.offsets.configure(settings);
    this.running = true;
    try {
      await this.membership.join();
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
    await this.membership.stop();
    const states = await this.runner.stopAll();
    if (this.offsets.autoCommit && this.membership.memberId) {
      await this.offsets
        .commitPending(states.filter((ps) => !ps.lost))
        .catch((err) => this.log.warn('commit on stop failed', { error: String(err) }));
    }
    for (const ps of states) this.partitions.delete(ps.key);
    const released = states.filter((ps) => !ps.lost);
    if (released.length > 0)
      this.emitter.emit(CONSUMER_EVENTS.PARTITIONS_REVOKED, { partitions: tpList(released) });
    await this.membership.leave();
    this.emitter.emit(CONSUMER_EVENTS.STOP, {});
  }

  /**
   * Moves a partition's position. With autoCommit the offset is committed at once (as KafkaJS
   * does); a partition not owned yet starts there when assigned.
   */
  seek({ topic, partition, offset }: SeekEntry): void {
    this.runner.seek(topic, partition, parseOffset(offset, 'seek'));
  }

  pause(topics: TopicPartitions[]): void {
    this.runner.pause(topics);
  }

  resume(topics: TopicPartitions[]): void {
    this.runner.resume(topics);
  }

  paused(): { topic: string; partitions: number[] }[] {
    return this.runner.paused();
  }

  /** Commits exactly these offsets (each the next offset to read) with this member's id and epoch. */
  commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    return this.offsets.commitOffsets(offsets);
  }

  async describeGroup(): Promise<WireGroupDescription> {
    return this.api.describeGroup(this.groupId);
  }
}
