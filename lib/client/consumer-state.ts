/**
 * What the consumer's parts (lib/client/consumer.ts) share: their wiring, and the state of each
 * partition this member owns. The membership adds and drops partitions, the runner moves their
 * positions, the offset committer records what was committed.
 */
import type { StrataApi } from './api.js';
import type { Subscriptions } from './consumer-subscription.js';
import { StrataUsageError } from './errors.js';
import type { Emitter } from './events.js';
import type { Logger } from './logger.js';
import type { ResolvedRetry } from './retry.js';
import { Waker } from './sync.js';
import type { ConsumerConfig } from './types.js';

export interface ConsumerContext {
  readonly api: StrataApi;
  readonly config: ConsumerConfig;
  readonly groupId: string;
  readonly clientId: string | undefined;
  readonly retry: ResolvedRetry;
  readonly log: Logger;
  readonly emitter: Emitter;
  readonly subscriptions: Subscriptions;
  /** Between run() and stop(); false again as soon as a join fails. */
  isRunning(): boolean;
  /** A join that failed ends the run at once: every loop sees it before run() rejects. */
  endRun(): void;
  /** The consumer's stop(): commits what was processed and leaves the group. */
  stop(): Promise<void>;
}

type PartitionPhase = 'starting' | 'running' | 'releasing';

export class PartitionState {
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

/** The partitions this member holds now, by tpKey. */
export type PartitionTable = Map<string, PartitionState>;

export function parseOffset(offset: unknown, what: string): bigint {
  const text = typeof offset === 'number' || typeof offset === 'bigint' ? String(offset) : offset;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) {
    throw new StrataUsageError(
      `${what}: invalid offset ${JSON.stringify(offset)} (a non-negative integer string)`,
    );
  }
  return BigInt(text);
}

export function getOrInit<K, V>(map: Map<K, V>, key: K, init: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = init();
    map.set(key, value);
  }
  return value;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

export function tpList(states: PartitionState[]): { topic: string; partition: number }[] {
  return states.map((ps) => ({ topic: ps.topic, partition: ps.partition }));
}
