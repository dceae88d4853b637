import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Engine } from '../engine.js';
import { metaKeys } from '../storage/keys.js';
import { isConditionFailure } from '../storage/metadata-store.js';
import { queryCollection } from '../storage/query-all.js';
import { SEGMENT_PREFIX } from '../storage/segment-store.js';
import { removeIndexEntries } from './index-removal.js';
import { allIndexEntries } from './retention.js';

export interface GcOptions {
  /**
   * How long an unreferenced object is kept before it is deleted. Longer than the longest fetch
   * (an API request lives at most 30 s), so a reader in flight never meets a deleted object.
   */
  graceMs: number;
  /** Also LIST the bucket for objects with no segment record (crashes between upload and commit). */
  sweepUnreferenced: boolean;
}

export interface GcResult {
  objectsDeleted: number;
  orphansDeleted: number;
  deletedTopicsCleaned: number;
  unreferencedDeleted: number;
}

/**
 * Storage lifecycle, in order:
 *  1. deleted topics: their index entries are removed (their objects become GC candidates);
 *  2. GC candidates whose segment record counts no live batch, untouched for the grace period:
 *     the object, its segment record and the candidate are deleted;
 *  3. orphans (failed commits) older than the grace period, unless a segment record shows the
 *     commit did land after all;
 *  4. optionally, objects older than the grace period that no segment record claims.
 */
export async function collectGarbage(engine: Engine, options: GcOptions): Promise<GcResult> {
  const now = engine.now();
  const result: GcResult = {
    objectsDeleted: 0,
    orphansDeleted: 0,
    deletedTopicsCleaned: 0,
    unreferencedDeleted: 0,
  };

  for (const item of await queryMeta(engine, metaKeys.deletedTopicsPk)) {
    const topicId = String(item.sk);
    let clean = true;
    for (let p = 0; p < Number(item.partitions); p++) {
      if (await removeAllIndexEntries(engine, topicId, String(item.name), p)) {
        await engine.metadata.deleteItem(metaKeys.head(topicId, p));
      } else {
        clean = false;
      }
    }
    // The record goes last, so a partition left behind (a race with compaction) is retried next run.
    if (clean) {
      await engine.metadata.deleteItem({ pk: metaKeys.deletedTopicsPk, sk: topicId });
      result.deletedTopicsCleaned++;
    }
  }

  for (const candidate of await queryMeta(engine, metaKeys.gcCandidatesPk)) {
    const objectKey = String(candidate.sk);
    if (now - Number(candidate.since) < options.graceMs) continue;
    const segment = await engine.metadata.getMetaItem(metaKeys.segment(objectKey));
    if (segment && Number(segment.liveBatches) > 0) {
      await deleteIfUnchanged(engine, metaKeys.gcCandidate(objectKey), 'since', candidate.since);
      continue;
    }
    await deleteObject(engine, objectKey);
    try {
      await engine.clients.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: engine.config.metaTable,
                Key: metaKeys.segment(objectKey),
                ConditionExpression: 'attribute_not_exists(pk) OR liveBatches <= :zero',
                ExpressionAttributeValues: { ':zero': 0 },
              },
            },
            { Delete: { TableName: engine.config.metaTable, Key: metaKeys.gcCandidate(objectKey) } },
          ],
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    result.objectsDeleted++;
  }

  for (const orphan of await queryMeta(engine, metaKeys.orphansPk)) {
    const objectKey = String(orphan.sk);
    if (now - Number(orphan.orphanedAt) < options.graceMs) continue;
    // An ambiguous commit may have landed after the produce recorded the orphan: then it is live.
    const segment = await engine.metadata.getMetaItem(metaKeys.segment(objectKey));
    if (!segment) {
      await deleteObject(engine, objectKey);
      result.orphansDeleted++;
    }
    await engine.metadata.deleteItem(metaKeys.orphan(objectKey));
  }

  if (options.sweepUnreferenced)
    result.unreferencedDeleted = await sweepUnreferenced(engine, now - options.graceMs);
  return result;
}

/** Removes a partition's whole index (a few passes, as a racing compaction may rewrite entries). */
async function removeAllIndexEntries(
  engine: Engine,
  topicId: string,
  name: string,
  partition: number,
): Promise<boolean> {
  for (let pass = 0; pass < 3; pass++) {
    const entries = await allIndexEntries(engine, { topicId, name }, partition);
    if (entries.length === 0) return true;
    await removeIndexEntries(engine, topicId, partition, entries);
  }
  return (await allIndexEntries(engine, { topicId, name }, partition)).length === 0;
}

async function sweepUnreferenced(engine: Engine, olderThan: number): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await engine.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: engine.config.bucket,
        Prefix: SEGMENT_PREFIX,
        ContinuationToken: token,
      }),
    );
    const old = (page.Contents ?? []).filter(
      (o) => o.Key && o.LastModified && o.LastModified.getTime() < olderThan,
    );
    const records = await engine.metadata.batchGetMeta(old.map((o) => metaKeys.segment(o.Key as string)));
    for (const o of old) {
      const key = metaKeys.segment(o.Key as string);
      if (records.has(key.pk + key.sk)) continue;
      await deleteObject(engine, o.Key as string);
      deleted++;
    }
    token = page.NextContinuationToken;
  } while (token);
  return deleted;
}

async function deleteObject(engine: Engine, key: string): Promise<void> {
  await engine.clients.s3.send(new DeleteObjectCommand({ Bucket: engine.config.bucket, Key: key }));
}

async function deleteIfUnchanged(
  engine: Engine,
  key: { pk: string; sk: string },
  attribute: string,
  value: unknown,
) {
  try {
    await engine.clients.doc.send(
      new DeleteCommand({
        TableName: engine.config.metaTable,
        Key: key,
        ConditionExpression: '#a = :v',
        ExpressionAttributeNames: { '#a': attribute },
        ExpressionAttributeValues: { ':v': value },
      }),
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

function queryMeta(engine: Engine, pk: string): Promise<Record<string, unknown>[]> {
  return queryCollection(engine.clients.doc, engine.config.metaTable, pk);
}
