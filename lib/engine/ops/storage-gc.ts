import type { Engine } from '../engine.js';
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

  for (const deleted of await engine.metadata.deletedTopics()) {
    const { topicId } = deleted;
    let clean = true;
    for (let p = 0; p < deleted.partitions; p++) {
      if (await removeAllIndexEntries(engine, topicId, deleted.name, p)) {
        await engine.metadata.deleteHead(topicId, p);
      } else {
        clean = false;
      }
    }
    // The record goes last, so a partition left behind (a race with compaction) is retried next run.
    if (clean) {
      await engine.metadata.dropDeletedTopic(topicId);
      result.deletedTopicsCleaned++;
    }
  }

  for (const candidate of await engine.references.gcCandidates()) {
    const { objectKey } = candidate;
    if (now - candidate.since < options.graceMs) continue;
    const live = await engine.references.liveBatches(objectKey);
    if (live !== undefined && live > 0) {
      await engine.references.dropCandidateIfUnchanged(candidate);
      continue;
    }
    await engine.segments.delete(objectKey);
    // False when references came back meanwhile: the record stays; the object is gone either way.
    await engine.references.forgetCollected(objectKey);
    result.objectsDeleted++;
  }

  for (const orphan of await engine.metadata.orphans()) {
    const { objectKey } = orphan;
    if (now - orphan.orphanedAt < options.graceMs) continue;
    // An ambiguous commit may have landed after the produce recorded the orphan: then it is live.
    if (!(await engine.references.isCommitted(objectKey))) {
      await engine.segments.delete(objectKey);
      result.orphansDeleted++;
    }
    await engine.metadata.dropOrphan(objectKey);
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
    await engine.references.removeIndexEntries(topicId, partition, entries, () => engine.now());
  }
  return (await allIndexEntries(engine, { topicId, name }, partition)).length === 0;
}

async function sweepUnreferenced(engine: Engine, olderThan: number): Promise<number> {
  let deleted = 0;
  for await (const keys of engine.segments.keysOlderThan(olderThan)) {
    const committed = await engine.references.committed(keys);
    for (const key of keys) {
      if (committed.has(key)) continue;
      await engine.segments.delete(key);
      deleted++;
    }
  }
  return deleted;
}
