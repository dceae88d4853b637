import { DeleteCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexEntry, Topic } from '../types.js';
import { MAX_TRANSACTION_ACTIONS } from './commit-transaction.js';
import { indexKeys, metaKeys } from './keys.js';
import { isConditionFailure, type MetadataStore } from './metadata-store.js';
import { queryCollection } from './query-all.js';
import type { TransactItem } from './transaction.js';

/** A GC candidate: an object that lost an index reference at `since`. */
export interface GcCandidate {
  objectKey: string;
  since: number;
}

/** The merged object of a compaction run, already uploaded. */
export interface CompactedObject {
  objectKey: string;
  /** Where the run's batches lie in the object. */
  byteOffset: number;
  byteLength: number;
  /** The whole object's size. */
  bytes: number;
  /** Compaction by key: the records kept (the run's sum otherwise), and the entry is sparse. */
  keyCompacted?: { recordCount: number };
}

/**
 * Index entries are the references to segment objects. Every write that drops references after
 * the produce commit added them (retention, DeleteRecords, deleted-topic cleanup, compaction) goes
 * through here, in the same transaction as the matching reference counts (`liveBatches` on the
 * segment record) and GC candidates; so does storage GC's bookkeeping. A write that loses a race
 * reports it (false, or 0 removed); whether to retry is the caller's.
 */
export class ReferenceStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly metaTable: string,
    private readonly indexTable: string,
    private readonly metadata: MetadataStore,
  ) {}

  /**
   * Removes index entries of one partition, in as many transactions as they need, each dropping
   * their references. Each delete is conditional on the entry still pointing at the same object,
   * so a concurrent compaction or a second cleanup cannot double-count; a transaction that loses
   * such a race removes nothing. Returns how many entries were removed. `now` is read per
   * transaction: a candidate's `since` must not precede the removal of the reference.
   */
  async removeIndexEntries(
    topicId: string,
    partition: number,
    entries: readonly IndexEntry[],
    now: () => number,
  ): Promise<number> {
    let removed = 0;
    let chunk: IndexEntry[] = [];
    let objects = new Set<string>();
    const flush = async () => {
      if (chunk.length === 0) return;
      removed += await this.removeChunk(topicId, partition, chunk, now());
      chunk = [];
      objects = new Set();
    };
    for (const entry of entries) {
      // One delete per entry, plus a reference-count update and a GC candidate per object.
      const extra = 1 + (objects.has(entry.objectKey) ? 0 : 2);
      if (chunk.length + objects.size * 2 + extra > MAX_TRANSACTION_ACTIONS) await flush();
      chunk.push(entry);
      objects.add(entry.objectKey);
    }
    await flush();
    return removed;
  }

  /**
   * Swaps a run of adjacent index entries for one entry pointing into `merged`, in one transaction:
   * a conditional delete per old entry (the last one is overwritten instead: the merged entry has
   * its key), a reference release per old object, and the new segment record. 30 entries from 30
   * objects is 30 + 60 + 1 actions. False when an entry no longer points where it did.
   */
  async swapCompactedRun(
    topic: Topic,
    partition: number,
    run: readonly IndexEntry[],
    merged: CompactedObject,
    now: number,
  ): Promise<boolean> {
    const first = run[0] as IndexEntry;
    const last = run.at(-1) as IndexEntry;
    const pk = indexKeys.partition(topic.topicId, partition);
    const item = {
      pk,
      sk: last.lastOffset,
      baseOffset: first.baseOffset,
      objectKey: merged.objectKey,
      byteOffset: merged.byteOffset,
      byteLength: merged.byteLength,
      recordCount: merged.keyCompacted?.recordCount ?? run.reduce((n, e) => n + e.recordCount, 0),
      maxTimestamp: Math.max(...run.map((e) => e.maxTimestamp)),
      ...(merged.keyCompacted ? { sparse: true } : {}),
    };
    const actions: TransactItem[] = [
      ...run.slice(0, -1).map((e) => this.entryDelete(pk, e)),
      {
        Put: {
          TableName: this.indexTable,
          Item: item,
          ConditionExpression: 'objectKey = :key',
          ExpressionAttributeValues: { ':key': last.objectKey },
        },
      },
      ...this.releaseActions(run, now),
      {
        Put: {
          TableName: this.metaTable,
          Item: {
            ...metaKeys.segment(merged.objectKey),
            topic: topic.name,
            topicId: topic.topicId,
            bases: { [String(partition)]: first.baseOffset },
            liveBatches: 1,
            bytes: merged.bytes,
            committedAt: now,
            compacted: true,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    return this.transact(actions);
  }

  /** Objects queued for GC, oldest reference loss first or not: callers check each one's age. */
  async gcCandidates(): Promise<GcCandidate[]> {
    const items = await queryCollection(this.doc, this.metaTable, metaKeys.gcCandidatesPk);
    return items.map((i) => ({ objectKey: String(i.sk), since: Number(i.since) }));
  }

  /**
   * How many index entries still reference the object, per its segment record; undefined when
   * there is no segment record (never committed, or already collected).
   */
  async liveBatches(objectKey: string): Promise<number | undefined> {
    const item = await this.metadata.getMetaItem(metaKeys.segment(objectKey));
    return item ? Number(item.liveBatches) : undefined;
  }

  /** Whether a segment record exists: the object's commit was applied. */
  async isCommitted(objectKey: string): Promise<boolean> {
    return (await this.metadata.getMetaItem(metaKeys.segment(objectKey))) !== undefined;
  }

  /** The objects among `objectKeys` that have a segment record. */
  async committed(objectKeys: readonly string[]): Promise<Set<string>> {
    const records = await this.metadata.batchGetMeta(objectKeys.map((k) => metaKeys.segment(k)));
    return new Set(
      objectKeys.filter((k) => {
        const key = metaKeys.segment(k);
        return records.has(key.pk + key.sk);
      }),
    );
  }

  /** Drops a candidate that is referenced again, unless a newer reference loss re-queued it meanwhile. */
  async dropCandidateIfUnchanged(candidate: GcCandidate): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.metaTable,
          Key: metaKeys.gcCandidate(candidate.objectKey),
          ConditionExpression: '#a = :v',
          ExpressionAttributeNames: { '#a': 'since' },
          ExpressionAttributeValues: { ':v': candidate.since },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * After the object itself was deleted: its segment record (unless references came back) and its
   * candidate, in one transaction. False when the record counts live batches again.
   */
  async forgetCollected(objectKey: string): Promise<boolean> {
    return this.transact([
      {
        Delete: {
          TableName: this.metaTable,
          Key: metaKeys.segment(objectKey),
          ConditionExpression: 'attribute_not_exists(pk) OR liveBatches <= :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      },
      { Delete: { TableName: this.metaTable, Key: metaKeys.gcCandidate(objectKey) } },
    ]);
  }

  private async removeChunk(
    topicId: string,
    partition: number,
    chunk: IndexEntry[],
    now: number,
  ): Promise<number> {
    const pk = indexKeys.partition(topicId, partition);
    const actions = [...chunk.map((e) => this.entryDelete(pk, e)), ...this.releaseActions(chunk, now)];
    return (await this.transact(actions)) ? chunk.length : 0;
  }

  private entryDelete(pk: string, e: IndexEntry): TransactItem {
    return {
      Delete: {
        TableName: this.indexTable,
        Key: { pk, sk: e.lastOffset },
        ConditionExpression: 'objectKey = :key',
        ExpressionAttributeValues: { ':key': e.objectKey },
      },
    };
  }

  /**
   * Takes the entries' references off their objects' segment records and queues each object as a
   * GC candidate; goes into the same transaction as the index change that drops the references.
   */
  private releaseActions(entries: readonly IndexEntry[], now: number): TransactItem[] {
    const perObject = new Map<string, number>();
    for (const e of entries) perObject.set(e.objectKey, (perObject.get(e.objectKey) ?? 0) + 1);
    return [...perObject].flatMap(([objectKey, count]): TransactItem[] => [
      {
        Update: {
          TableName: this.metaTable,
          Key: metaKeys.segment(objectKey),
          UpdateExpression: 'ADD liveBatches :minus',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':minus': -count },
        },
      },
      { Put: { TableName: this.metaTable, Item: { ...metaKeys.gcCandidate(objectKey), since: now } } },
    ]);
  }

  /** True when applied, false when a condition failed. */
  private async transact(actions: TransactItem[]): Promise<boolean> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: actions }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
