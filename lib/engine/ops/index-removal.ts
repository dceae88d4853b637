import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Engine } from '../engine.js';
import { indexKeys, metaKeys } from '../storage/keys.js';
import { isConditionFailure } from '../storage/metadata-store.js';
import type { IndexEntry } from '../types.js';

/** One transaction: a delete per entry, plus a reference-count update and a GC candidate per object. */
const MAX_ACTIONS = 100;

/**
 * Removes index entries and, in the same transactions, takes their references off the segment
 * records (`liveBatches`), queueing each touched object as a GC candidate. An object whose count
 * reaches 0 is deleted by storage GC after the grace period, counted from the candidate's `since`:
 * no fetch can learn of the object after its last index entry is gone.
 *
 * Each delete is conditional on the entry still pointing at the same object, so a concurrent
 * compaction (which rewrites entries) or a second cleanup cannot double-count. Returns how many
 * entries were removed.
 */
export async function removeIndexEntries(
  engine: Engine,
  topicId: string,
  partition: number,
  entries: readonly IndexEntry[],
): Promise<number> {
  let removed = 0;
  let chunk: IndexEntry[] = [];
  let objects = new Set<string>();
  const flush = async () => {
    if (chunk.length === 0) return;
    removed += await removeChunk(engine, topicId, partition, chunk);
    chunk = [];
    objects = new Set();
  };
  for (const entry of entries) {
    const extra = 1 + (objects.has(entry.objectKey) ? 0 : 2);
    if (chunk.length + objects.size * 2 + extra > MAX_ACTIONS) await flush();
    chunk.push(entry);
    objects.add(entry.objectKey);
  }
  await flush();
  return removed;
}

/**
 * Takes `count` index references off an object's segment record and queues the object as a GC
 * candidate; goes into the same transaction as the index change that drops the references.
 */
export function releaseObjectActions(metaTable: string, objectKey: string, count: number, now: number) {
  return [
    {
      Update: {
        TableName: metaTable,
        Key: metaKeys.segment(objectKey),
        UpdateExpression: 'ADD liveBatches :minus',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':minus': -count },
      },
    },
    { Put: { TableName: metaTable, Item: { ...metaKeys.gcCandidate(objectKey), since: now } } },
  ];
}

async function removeChunk(
  engine: Engine,
  topicId: string,
  partition: number,
  chunk: IndexEntry[],
): Promise<number> {
  const { metaTable, indexTable } = engine.config;
  const now = engine.now();
  const perObject = new Map<string, number>();
  for (const e of chunk) perObject.set(e.objectKey, (perObject.get(e.objectKey) ?? 0) + 1);
  const actions = [
    ...chunk.map((e) => ({
      Delete: {
        TableName: indexTable,
        Key: { pk: indexKeys.partition(topicId, partition), sk: e.lastOffset },
        ConditionExpression: 'objectKey = :key',
        ExpressionAttributeValues: { ':key': e.objectKey },
      },
    })),
    ...[...perObject].flatMap(([objectKey, count]) => releaseObjectActions(metaTable, objectKey, count, now)),
  ];
  try {
    await engine.clients.doc.send(new TransactWriteCommand({ TransactItems: actions }));
    return chunk.length;
  } catch (err) {
    // Someone else removed or rewrote an entry first; the next maintenance run sees the new state.
    if (isConditionFailure(err)) return 0;
    throw err;
  }
}
