/**
 * The consumer's offsets: where a newly assigned partition starts (a pending seek, the committed
 * offset, or the earliest or latest one), what has been processed since the last commit, and the
 * commits themselves: serialised, each carrying the member id and epoch, automatic (by interval
 * or threshold) or explicit (commitOffsets).
 */
import { CONSUMER_EVENTS } from './consumer-events.js';
import {
  type ConsumerContext,
  getOrInit,
  type PartitionState,
  type PartitionTable,
  parseOffset,
  tpKey,
} from './consumer-state.js';
import { StrataClientError } from './errors.js';
import { backoffDelay, isRetriable, sleep } from './retry.js';
import { Mutex } from './sync.js';
import type { ConsumerRunConfig, TopicPartitionOffsetAndMetadata } from './types.js';

/** Who commits: the membership, read at each attempt because a heartbeat may change it meanwhile. */
export interface CommittingMember {
  readonly memberId: string | undefined;
  readonly memberEpoch: number;
  /** A heartbeat now (the commit's epoch was stale), resolving after it. */
  heartbeatNow(): Promise<void>;
  /** The coordinator no longer knows this member at this epoch. */
  fenced(): void;
}

type CommitPolicy = Pick<ConsumerRunConfig, 'autoCommit' | 'autoCommitInterval' | 'autoCommitThreshold'>;

interface CommitEntry {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string;
}

export class OffsetCommitter {
  private readonly mutex = new Mutex();
  private lastCommitAt = Date.now();
  private policy: CommitPolicy = { autoCommit: true };

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly partitions: PartitionTable,
    private readonly member: CommittingMember,
  ) {}

  /** The run's commit settings (run() calls it with defaults applied). */
  configure(policy: CommitPolicy): void {
    this.policy = policy;
  }

  get autoCommit(): boolean {
    return !!this.policy.autoCommit;
  }

  /** Sets where each partition starts: a pending seek, else its committed offset, else the subscription's reset. */
  async resolveStartOffsets(
    states: PartitionState[],
    takePendingSeek: (key: string) => bigint | undefined,
  ): Promise<void> {
    const committed = await this.fetchCommitted();
    await Promise.all(
      states.map(async (ps) => {
        if (ps.stopping) return;
        const seek = takePendingSeek(ps.key);
        const c = committed.get(ps.key);
        ps.committedOffset = c ?? -1n;
        let start: bigint;
        if (seek !== undefined) start = seek;
        else if (c !== undefined) start = c;
        else {
          const at = this.ctx.subscriptions.fromBeginning(ps.topic) ? 'earliest' : 'latest';
          start = BigInt((await this.ctx.api.listOffset(ps.topic, ps.partition, at)).offset);
        }
        ps.fetchOffset = start;
        ps.resolvedOffset = start;
      }),
    );
  }

  /** Marks everything up to `offset` processed; the next commit records the offset after it. */
  resolveOffset(ps: PartitionState, offset: string): void {
    const next = BigInt(offset) + 1n;
    if (next > ps.resolvedOffset) {
      ps.uncommitted += Number(next - ps.resolvedOffset);
      ps.resolvedOffset = next;
    }
  }

  /** The processed positions not committed yet, as eachBatch's uncommittedOffsets() shows them. */
  uncommittedOffsets() {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const ps of this.partitions.values()) {
      if (ps.resolvedOffset < 0n || ps.resolvedOffset === ps.committedOffset) continue;
      const list = getOrInit(byTopic, ps.topic, () => []);
      list.push({ partition: ps.partition, offset: ps.resolvedOffset.toString() });
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  /** Commits exactly these offsets (each the next offset to read) with this member's id and epoch. */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const entries = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: parseOffset(o.offset, 'commitOffsets').toString(),
      ...(o.metadata ? { metadata: o.metadata } : {}),
    }));
    await this.mutex.run(() => this.send(entries));
  }

  /** Auto-commit: commits the running partitions once the interval has passed or the threshold is reached. */
  async commitOffsetsIfNecessary(): Promise<void> {
    if (!this.policy.autoCommit) return;
    const { autoCommitInterval, autoCommitThreshold } = this.policy;
    let pending = 0;
    for (const ps of this.partitions.values()) pending += ps.uncommitted;
    const byThreshold = !!autoCommitThreshold && pending >= autoCommitThreshold;
    const byInterval = !!autoCommitInterval && Date.now() - this.lastCommitAt >= autoCommitInterval;
    const always = !autoCommitInterval && !autoCommitThreshold;
    if (!byThreshold && !byInterval && !(always && pending > 0)) return;
    await this.commitPending([...this.partitions.values()].filter((ps) => ps.phase === 'running')).catch(
      (err) => this.ctx.log.warn('auto commit failed', { groupId: this.ctx.groupId, error: String(err) }),
    );
  }

  /** Commits the processed position of each partition that moved since its last commit. */
  commitPending(states: PartitionState[]): Promise<void> {
    return this.mutex.run(async () => {
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
      await this.send(entries);
    });
  }

  private async fetchCommitted(): Promise<Map<string, bigint>> {
    const res = await this.ctx.api.fetchGroupOffsets(this.ctx.groupId).catch((err) => {
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

  /** Sends one commit (inside the mutex). STALE_MEMBER_EPOCH: heartbeat, then try once more. */
  private async send(entries: CommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { api, groupId, retry } = this.ctx;
    for (let attempt = 0; ; attempt++) {
      const memberId = this.member.memberId;
      if (!memberId) {
        throw new StrataClientError('cannot commit: this consumer is not a member of the group', {
          code: 'UNKNOWN_MEMBER_ID',
          retriable: false,
        });
      }
      try {
        await api.commitOffsets(groupId, {
          memberId,
          memberEpoch: this.member.memberEpoch,
          offsets: entries,
        });
        break;
      } catch (err) {
        const code = err instanceof StrataClientError ? err.code : '';
        if (code === 'STALE_MEMBER_EPOCH' && attempt === 0) {
          await this.member.heartbeatNow();
          continue;
        }
        if (code === 'FENCED_MEMBER_EPOCH' || code === 'UNKNOWN_MEMBER_ID') {
          this.member.fenced();
          throw err;
        }
        if (isRetriable(err) && attempt < retry.retries) {
          await sleep(backoffDelay(attempt, retry));
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
    this.ctx.emitter.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
      groupId,
      memberId: this.member.memberId,
      groupGenerationId: this.member.memberEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }
}
