/**
 * What this process knows about partition heads between DynamoDB reads:
 *  - the last next offset it saw per partition, used as the commit's first guess so that a warm
 *    writer usually commits in one transaction without reading the head first (a wrong guess only
 *    costs a retry: the cancelled transaction returns the real head);
 *  - wake-ups for long-polling fetches when a commit in this process advances a head. Other
 *    processes' commits are seen by polling the head.
 */
export class PartitionWatch {
  private readonly known = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** See whenWaiting; empty unless a test is listening. */
  private readonly waitListeners = new Map<string, (() => void)[]>();

  static key(topicId: string, partition: number): string {
    return `${topicId}#${partition}`;
  }

  guessNextOffset(topicId: string, partition: number): number | undefined {
    return this.known.get(PartitionWatch.key(topicId, partition));
  }

  /** Records a head seen in DynamoDB or just committed, and wakes any waiting fetch. */
  observe(topicId: string, partition: number, nextOffset: number): void {
    const key = PartitionWatch.key(topicId, partition);
    const prev = this.known.get(key);
    if (prev !== undefined && prev >= nextOffset) return;
    this.known.set(key, nextOffset);
    const waiting = this.waiters.get(key);
    if (waiting) {
      this.waiters.delete(key);
      for (const wake of waiting) wake();
    }
  }

  /** Resolves when this process sees the partition advance, or after `ms`. */
  waitForAdvance(topicId: string, partition: number, ms: number): Promise<void> {
    const key = PartitionWatch.key(topicId, partition);
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const wake = () => {
        clearTimeout(timer);
        this.waiters.get(key)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
      const listeners = this.waitListeners.get(key);
      if (listeners) {
        this.waitListeners.delete(key);
        for (const notify of listeners) notify();
      }
    });
  }

  /**
   * Resolves once a long poll is waiting on the partition, at once if one already is: the signal a
   * test needs to act while a fetch is in its wait, rather than sleeping and hoping it got there.
   * A wait in production pays one lookup in an empty map for it.
   */
  whenWaiting(topicId: string, partition: number): Promise<void> {
    const key = PartitionWatch.key(topicId, partition);
    if ((this.waiters.get(key)?.size ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const listeners = this.waitListeners.get(key) ?? [];
      listeners.push(resolve);
      this.waitListeners.set(key, listeners);
    });
  }
}
