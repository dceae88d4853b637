import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TOPIC_CONFIG_DEFAULTS } from '../../contract/limits.js';
import {
  InvalidPartitionsError,
  KafkaStorageError,
  TopicAlreadyExistsError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import type { IndexEntry, PartitionHead, Topic } from '../types.js';
import { indexKeys, metaKeys } from './keys.js';
import { queryAll, queryCollection } from './query-all.js';

const BATCH_GET_LIMIT = 100;
/** BatchGetItem calls per chunk of keys before giving up on keys DynamoDB keeps leaving unprocessed. */
const BATCH_GET_ATTEMPTS = 8;

/** The wait before call `attempt` again: between half and all of 20 ms x 2^attempt, at most 1 s. */
function backoffMs(attempt: number): number {
  const cap = Math.min(1000, 20 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

/** A head that was never written is an empty partition. */
const EMPTY_HEAD: PartitionHead = { nextOffset: 0, logStartOffset: 0 };

export function headFromItem(item: Record<string, unknown> | undefined): PartitionHead {
  if (!item) return EMPTY_HEAD;
  return {
    nextOffset: Number(item.nextOffset ?? 0),
    logStartOffset: Number(item.logStartOffset ?? 0),
  };
}

function topicFromItem(item: Record<string, unknown>): Topic {
  return {
    name: String(item.sk),
    topicId: String(item.topicId),
    partitions: Number(item.partitions),
    // Topics stored before a config key existed read as its default.
    config: { ...TOPIC_CONFIG_DEFAULTS, ...(item.config as Partial<Topic['config']>) },
    ...(Array.isArray(item.configOverrides)
      ? { configOverrides: item.configOverrides as Topic['configOverrides'] }
      : {}),
    ...(item.configVersion !== undefined ? { configVersion: Number(item.configVersion) } : {}),
    createdAt: Number(item.createdAt),
  };
}

export function indexEntryFromItem(item: Record<string, unknown>): IndexEntry {
  return {
    baseOffset: Number(item.baseOffset),
    lastOffset: Number(item.sk),
    objectKey: String(item.objectKey),
    byteOffset: Number(item.byteOffset),
    byteLength: Number(item.byteLength),
    recordCount: Number(item.recordCount),
    maxTimestamp: Number(item.maxTimestamp),
    ...(item.sparse === true ? { sparse: true } : {}),
  };
}

/**
 * Topics, partition heads, index reads and the cleanup backlogs (orphans, deleted topics) in
 * DynamoDB. The produce commit is CommitTransaction's (commit-transaction.ts), the writes that drop
 * index references are ReferenceStore's, producer state is ProducerStore's.
 */
export class MetadataStore {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly metaTable: string,
    readonly indexTable: string,
  ) {}

  async createTopic(topic: Topic): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.metaTable,
          Item: { ...metaKeys.topic(topic.name), ...topicItem(topic) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new TopicAlreadyExistsError(`topic ${topic.name} already exists`, { cause: err });
      }
      throw err;
    }
  }

  async findTopic(name: string): Promise<Topic | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.metaTable, Key: metaKeys.topic(name), ConsistentRead: true }),
    );
    return res.Item ? topicFromItem(res.Item) : undefined;
  }

  async getTopic(name: string): Promise<Topic> {
    const topic = await this.findTopic(name);
    if (!topic) throw new UnknownTopicOrPartitionError(`unknown topic ${name}`);
    return topic;
  }

  async listTopics(): Promise<Topic[]> {
    return (await queryCollection(this.doc, this.metaTable, metaKeys.topicsPk)).map(topicFromItem);
  }

  /** Removes the topic and leaves a record for storage cleanup, in one transaction. */
  async deleteTopic(topic: Topic, now: number): Promise<void> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.metaTable,
                Key: metaKeys.topic(topic.name),
                ConditionExpression: 'topicId = :id',
                ExpressionAttributeValues: { ':id': topic.topicId },
              },
            },
            {
              Put: {
                TableName: this.metaTable,
                Item: {
                  ...metaKeys.deletedTopic(topic.topicId),
                  name: topic.name,
                  partitions: topic.partitions,
                  deletedAt: now,
                },
              },
            },
          ],
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new UnknownTopicOrPartitionError(`unknown topic ${topic.name}`, { cause: err });
      }
      throw err;
    }
  }

  /** Raises the partition count, conditional on nobody else having changed it meanwhile. */
  async setPartitionCount(topic: Topic, count: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.metaTable,
          Key: metaKeys.topic(topic.name),
          // PARTITIONS is a DynamoDB reserved word.
          UpdateExpression: 'SET #partitions = :new',
          ConditionExpression: 'topicId = :id AND #partitions = :old',
          ExpressionAttributeNames: { '#partitions': 'partitions' },
          ExpressionAttributeValues: { ':new': count, ':old': topic.partitions, ':id': topic.topicId },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new InvalidPartitionsError(
          `topic ${topic.name} changed while adding partitions (deleted, or partitions added concurrently); retry`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /**
   * Replaces the topic's config and its override keys, conditional on the topic (same id) still
   * being at `topic.configVersion`. False when the condition failed: the topic was deleted or its
   * config changed meanwhile; the caller reads it again.
   */
  async setTopicConfig(
    topic: Topic,
    config: Topic['config'],
    overrides: readonly string[],
  ): Promise<boolean> {
    const version = topic.configVersion ?? 0;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.metaTable,
          Key: metaKeys.topic(topic.name),
          UpdateExpression: 'SET #config = :config, configOverrides = :overrides, configVersion = :next',
          ConditionExpression:
            version === 0
              ? 'topicId = :id AND (attribute_not_exists(configVersion) OR configVersion = :old)'
              : 'topicId = :id AND configVersion = :old',
          ExpressionAttributeNames: { '#config': 'config' },
          ExpressionAttributeValues: {
            ':config': config,
            ':overrides': [...overrides],
            ':next': version + 1,
            ':old': version,
            ':id': topic.topicId,
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /**
   * Moves the log start forward to `to`: only forward, and never past the high watermark. False
   * when the condition failed (the log start is already there or beyond, or `to` is past the head).
   */
  async advanceLogStart(topic: Topic, partition: number, to: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.metaTable,
          Key: metaKeys.head(topic.topicId, partition),
          UpdateExpression: 'SET logStartOffset = :to',
          ConditionExpression:
            'nextOffset >= :to AND (attribute_not_exists(logStartOffset) OR logStartOffset < :to)',
          ExpressionAttributeValues: { ':to': to },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Compaction by key: where the last completed pass cleaned up to (0 before any), and the oldest
   * timestamp of a tombstone it kept (so a quiet partition is still cleaned when that one expires).
   */
  async getCleaned(
    topic: Topic,
    partition: number,
  ): Promise<{ cleanedUpTo: number; oldestTombstone?: number }> {
    const item = await this.getMetaItem(metaKeys.cleaned(topic.topicId, partition));
    if (!item) return { cleanedUpTo: 0 };
    return {
      cleanedUpTo: Number(item.cleanedUpTo),
      ...(item.oldestTombstone !== undefined ? { oldestTombstone: Number(item.oldestTombstone) } : {}),
    };
  }

  /**
   * Moves a partition's cleaned-up-to offset, never backwards (the same offset again refreshes the
   * oldest tombstone), with a conditional write; false when another pass got further.
   */
  async advanceCleanedUpTo(
    topic: Topic,
    partition: number,
    to: number,
    now: number,
    oldestTombstone?: number,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.metaTable,
          Key: metaKeys.cleaned(topic.topicId, partition),
          UpdateExpression:
            oldestTombstone === undefined
              ? 'SET cleanedUpTo = :to, cleanedAt = :now REMOVE oldestTombstone'
              : 'SET cleanedUpTo = :to, cleanedAt = :now, oldestTombstone = :tomb',
          ConditionExpression: 'attribute_not_exists(cleanedUpTo) OR cleanedUpTo <= :to',
          ExpressionAttributeValues: {
            ':to': to,
            ':now': now,
            ...(oldestTombstone === undefined ? {} : { ':tomb': oldestTombstone }),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async deleteHead(topicId: string, partition: number): Promise<void> {
    await this.deleteItem(metaKeys.head(topicId, partition));
    await this.deleteItem(metaKeys.cleaned(topicId, partition));
  }

  async getHead(topic: Topic, partition: number): Promise<PartitionHead> {
    const res = await this.doc.send(
      new GetCommand({
        TableName: this.metaTable,
        Key: metaKeys.head(topic.topicId, partition),
        ConsistentRead: true,
      }),
    );
    return headFromItem(res.Item);
  }

  /** Heads of the given partitions (all of them by default), in partition order. */
  async getHeads(topic: Topic, partitions?: number[]): Promise<PartitionHead[]> {
    const wanted = partitions ?? Array.from({ length: topic.partitions }, (_, p) => p);
    return this.getHeadsOf(wanted.map((partition) => ({ topic, partition })));
  }

  /**
   * Heads of partitions of any topics, in the order asked: consistent reads, as getHead's, in one
   * BatchGetItem per 100 distinct partitions.
   */
  async getHeadsOf(partitions: readonly { topic: Topic; partition: number }[]): Promise<PartitionHead[]> {
    const keys = partitions.map((p) => metaKeys.head(p.topic.topicId, p.partition));
    const items = await this.batchGetMeta(keys);
    return keys.map((k) => headFromItem(items.get(k.pk + k.sk)));
  }

  /**
   * Index entries whose last offset is >= fromOffset, in offset order. Because the sort key is the
   * batch's last offset, the first entry returned is the batch that holds fromOffset.
   */
  async queryIndex(
    topic: Topic,
    partition: number,
    fromOffset: number,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ entries: IndexEntry[]; nextKey?: Record<string, unknown> }> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.indexTable,
        KeyConditionExpression: 'pk = :pk AND sk >= :from',
        ExpressionAttributeValues: {
          ':pk': indexKeys.partition(topic.topicId, partition),
          ':from': fromOffset,
        },
        ConsistentRead: true,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      entries: (res.Items ?? []).map(indexEntryFromItem),
      ...(res.LastEvaluatedKey ? { nextKey: res.LastEvaluatedKey } : {}),
    };
  }

  /**
   * The first index entry at or after `fromOffset` whose max timestamp is >= `timestamp`. Scans the
   * partition's index with a filter (timestamps are not ordered in Kafka, so no key can serve this).
   */
  async findBatchAtOrAfterTimestamp(
    topic: Topic,
    partition: number,
    fromOffset: number,
    timestamp: number,
  ): Promise<IndexEntry | undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const res: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.indexTable,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          FilterExpression: 'maxTimestamp >= :ts',
          ExpressionAttributeValues: {
            ':pk': indexKeys.partition(topic.topicId, partition),
            ':from': fromOffset,
            ':ts': timestamp,
          },
          ConsistentRead: true,
          Limit: 1000,
          ExclusiveStartKey: start,
        }),
      );
      const first = res.Items?.[0];
      if (first) return indexEntryFromItem(first);
      start = res.LastEvaluatedKey;
    } while (start);
    return undefined;
  }

  /** Records that an uploaded object will never be committed, so that cleanup can delete it. */
  async recordOrphan(objectKey: string, reason: string, now: number): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.metaTable,
        Item: { ...metaKeys.orphan(objectKey), reason: reason.slice(0, 1000), orphanedAt: now },
      }),
    );
  }

  /** Objects recorded as orphans, with when. */
  async orphans(): Promise<{ objectKey: string; orphanedAt: number }[]> {
    return (await queryCollection(this.doc, this.metaTable, metaKeys.orphansPk)).map((i) => ({
      objectKey: String(i.sk),
      orphanedAt: Number(i.orphanedAt),
    }));
  }

  async dropOrphan(objectKey: string): Promise<void> {
    await this.deleteItem(metaKeys.orphan(objectKey));
  }

  /** Topics deleted by the admin API whose heads and index entries may still be stored. */
  async deletedTopics(): Promise<{ topicId: string; name: string; partitions: number }[]> {
    return (await queryCollection(this.doc, this.metaTable, metaKeys.deletedTopicsPk)).map((i) => ({
      topicId: String(i.sk),
      name: String(i.name),
      partitions: Number(i.partitions),
    }));
  }

  /** The cleanup of a deleted topic is done. */
  async dropDeletedTopic(topicId: string): Promise<void> {
    await this.deleteItem(metaKeys.deletedTopic(topicId));
  }

  /** When each orphan was recorded: one paginated Query projecting only the timestamp. */
  orphanTimes(): Promise<number[]> {
    return this.collectionTimes(metaKeys.orphansPk, 'orphanedAt');
  }

  /** When each not yet cleaned-up topic was deleted. */
  deletedTopicTimes(): Promise<number[]> {
    return this.collectionTimes(metaKeys.deletedTopicsPk, 'deletedAt');
  }

  private async collectionTimes(pk: string, attribute: string): Promise<number[]> {
    const items = await queryAll(this.doc, {
      TableName: this.metaTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: '#t',
      ExpressionAttributeNames: { '#t': attribute },
    });
    return items.map((i) => Number(i[attribute]));
  }

  async getMetaItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.metaTable, Key: key, ConsistentRead: true }),
    );
    return res.Item;
  }

  /**
   * Consistent BatchGet of meta items, keyed by pk + sk: the distinct keys in calls of at most 100,
   * run in parallel. Keys DynamoDB leaves unprocessed (throttling, the 16 MB response limit) are
   * asked again after a jittered exponential backoff, up to BATCH_GET_ATTEMPTS calls per chunk;
   * then it fails with KafkaStorageError (retriable) rather than wait on a throttled table forever.
   */
  async batchGetMeta(keys: { pk: string; sk: string }[]): Promise<Map<string, Record<string, unknown>>> {
    const distinct = [...new Map(keys.map((k) => [k.pk + k.sk, k])).values()];
    const out = new Map<string, Record<string, unknown>>();
    const chunks: { pk: string; sk: string }[][] = [];
    for (let i = 0; i < distinct.length; i += BATCH_GET_LIMIT)
      chunks.push(distinct.slice(i, i + BATCH_GET_LIMIT));
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: Record<string, unknown>[] | undefined = chunk;
        for (let attempt = 0; pending && pending.length > 0; attempt++) {
          if (attempt >= BATCH_GET_ATTEMPTS) {
            throw new KafkaStorageError(
              `DynamoDB left ${pending.length} of ${chunk.length} keys unprocessed after ${BATCH_GET_ATTEMPTS} BatchGetItem calls; retry`,
            );
          }
          if (attempt > 0) await sleep(backoffMs(attempt));
          const res: BatchGetCommandOutput = await this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.metaTable]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of res.Responses?.[this.metaTable] ?? [])
            out.set(String(item.pk) + String(item.sk), item);
          pending = res.UnprocessedKeys?.[this.metaTable]?.Keys;
        }
      }),
    );
    return out;
  }

  async deleteItem(key: { pk: string; sk: string }): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.metaTable, Key: key }));
  }
}

function topicItem(topic: Topic) {
  return {
    topicId: topic.topicId,
    partitions: topic.partitions,
    config: topic.config,
    ...(topic.configOverrides ? { configOverrides: [...topic.configOverrides] } : {}),
    ...(topic.configVersion !== undefined ? { configVersion: topic.configVersion } : {}),
    createdAt: topic.createdAt,
  };
}

export function isConditionFailure(err: unknown): boolean {
  if (err instanceof ConditionalCheckFailedException) return true;
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
