import { isDeletePolicy } from '../../contract/limits.js';
import type { Engine } from '../engine.js';
import { OffsetOutOfRangeError, PolicyViolationError } from '../errors.js';
import type { IndexEntry, Topic } from '../types.js';
import { checkPartition, getTopic } from './topics.js';

const INDEX_PAGE = 500;

/**
 * Kafka's DeleteRecords: makes every offset below `beforeOffset` unreadable (-1 = the high
 * watermark). Returns the new log start (the low watermark).
 */
export async function deleteRecords(
  engine: Engine,
  topicName: string,
  partition: number,
  beforeOffset: number,
): Promise<number> {
  const topic = await getTopic(engine, topicName);
  checkPartition(topic, partition);
  // Kafka's ReplicaManager: deleting records below an offset is retention by hand, so a topic
  // that has no delete policy (a compacted table) refuses it.
  if (!isDeletePolicy(topic.config['cleanup.policy'])) {
    throw new PolicyViolationError(
      `records of ${topic.name}-${partition} can't be deleted: its cleanup.policy is ${topic.config['cleanup.policy']}`,
    );
  }
  const head = await engine.metadata.getHead(topic, partition);
  const target = beforeOffset === -1 ? head.nextOffset : beforeOffset;
  if (target < 0 || target > head.nextOffset) {
    throw new OffsetOutOfRangeError(target, head.logStartOffset, head.nextOffset);
  }
  const logStart = await advanceLogStart(engine, topic, partition, target);
  await trimIndex(engine, topic, partition, logStart);
  return logStart;
}

/**
 * Moves the log start forward with a conditional write: only forward, and never past the high
 * watermark. Returns the log start now in force (which may be further on than asked).
 */
export async function advanceLogStart(
  engine: Engine,
  topic: Topic,
  partition: number,
  to: number,
): Promise<number> {
  if (to <= 0) return (await engine.metadata.getHead(topic, partition)).logStartOffset;
  if (await engine.metadata.advanceLogStart(topic, partition, to)) return to;
  const head = await engine.metadata.getHead(topic, partition);
  if (head.logStartOffset >= to) return head.logStartOffset;
  throw new OffsetOutOfRangeError(to, head.logStartOffset, head.nextOffset);
}

/** Removes the index entries that lie wholly below the log start. */
export async function trimIndex(
  engine: Engine,
  topic: Topic,
  partition: number,
  logStart: number,
): Promise<number> {
  const below: IndexEntry[] = [];
  let start: Record<string, unknown> | undefined;
  scan: do {
    const page = await engine.metadata.queryIndex(topic, partition, 0, INDEX_PAGE, start);
    for (const e of page.entries) {
      if (e.lastOffset >= logStart) break scan;
      below.push(e);
    }
    start = page.nextKey;
  } while (start);
  return engine.references.removeIndexEntries(topic.topicId, partition, below, () => engine.now());
}

export interface RetentionResult {
  partitionsTrimmed: number;
  indexEntriesRemoved: number;
}

/**
 * Applies `retention.ms` and `retention.bytes` to every partition of a topic, batch by batch from
 * the oldest, as Kafka does segment by segment: a batch goes once its newest record is older than
 * retention.ms, or while the partition holds more than retention.bytes without it. A topic whose
 * cleanup.policy is `compact` alone is not trimmed by either (`compact,delete` is).
 */
export async function applyRetention(engine: Engine, topic: Topic, now: number): Promise<RetentionResult> {
  const result: RetentionResult = { partitionsTrimmed: 0, indexEntriesRemoved: 0 };
  // As in Kafka, retention deletes only when cleanup.policy includes delete (compact alone keeps
  // every segment, and compaction decides what goes).
  const deletes = isDeletePolicy(topic.config['cleanup.policy']);
  const retentionMs = deletes ? topic.config['retention.ms'] : -1;
  const retentionBytes = deletes ? topic.config['retention.bytes'] : -1;
  const heads = await engine.metadata.getHeads(topic);
  for (const [partition, head] of heads.entries()) {
    if (head.nextOffset === 0) continue;
    const entries = await allIndexEntries(engine, topic, partition);
    let bytes = entries.reduce((n, e) => n + e.byteLength, 0);
    let newStart = head.logStartOffset;
    for (const e of entries) {
      const expired = retentionMs >= 0 && e.maxTimestamp < now - retentionMs;
      const oversize = retentionBytes >= 0 && bytes > retentionBytes;
      if (!expired && !oversize) break;
      newStart = Math.max(newStart, e.lastOffset + 1);
      bytes -= e.byteLength;
    }
    if (newStart > head.logStartOffset) {
      await advanceLogStart(engine, topic, partition, newStart);
      result.partitionsTrimmed++;
    }
    // Also finishes a trim that an earlier run (or DeleteRecords) started but did not complete.
    const removable = entries.filter((e) => e.lastOffset < Math.max(newStart, head.logStartOffset));
    if (removable.length > 0) {
      result.indexEntriesRemoved += await engine.references.removeIndexEntries(
        topic.topicId,
        partition,
        removable,
        () => engine.now(),
      );
    }
  }
  return result;
}

export async function allIndexEntries(
  engine: Engine,
  topic: Pick<Topic, 'topicId' | 'name'>,
  partition: number,
): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await engine.metadata.queryIndex(topic as Topic, partition, 0, INDEX_PAGE, start);
    out.push(...page.entries);
    start = page.nextKey;
  } while (start);
  return out;
}
