import type { Engine } from '../engine.js';
import { isCompacted } from '../key-compaction.js';
import { type CompactionResult, compactPartition } from './compaction.js';
import { compactTopicByKey } from './key-compaction.js';
import { applyRetention, type RetentionResult } from './retention.js';
import { collectGarbage, type GcResult } from './storage-gc.js';

/** What storage cleanup will have to do: read-only, so it is safe to run on any schedule. */
export interface StorageSurvey {
  /** Segment objects whose commit failed (recorded by produce), awaiting deletion. */
  orphans: number;
  /** Age of the oldest orphan record, ms; 0 when there is none. */
  oldestOrphanAgeMs: number;
  /** Topics deleted by the admin API whose heads, index entries and objects are still stored. */
  deletedTopics: number;
  oldestDeletedTopicAgeMs: number;
}

/**
 * Counts the cleanup backlog: one paginated Query per item collection (`orphans`, `deleted-topics`),
 * projecting only the timestamp (MetadataStore.orphanTimes, deletedTopicTimes). Deleting anything is the retention work of a later change; until
 * then the backlog is measured, so that a growing one is visible on the dashboard.
 */
export async function surveyStorage(engine: Engine): Promise<StorageSurvey> {
  const now = engine.now();
  const [orphans, deleted] = await Promise.all([
    engine.metadata.orphanTimes().then(backlog),
    engine.metadata.deletedTopicTimes().then(backlog),
  ]);
  return {
    orphans: orphans.count,
    oldestOrphanAgeMs: orphans.oldest === undefined ? 0 : Math.max(0, now - orphans.oldest),
    deletedTopics: deleted.count,
    oldestDeletedTopicAgeMs: deleted.oldest === undefined ? 0 : Math.max(0, now - deleted.oldest),
  };
}

function backlog(times: number[]): { count: number; oldest: number | undefined } {
  let oldest: number | undefined;
  for (const t of times) {
    if (Number.isFinite(t) && (oldest === undefined || t < oldest)) oldest = t;
  }
  return { count: times.length, oldest };
}

export interface MaintenanceOptions {
  /** See GcOptions.graceMs. */
  graceMs: number;
  sweepUnreferenced: boolean;
  compaction: { smallBytes: number; targetBytes: number } | false;
}

export interface MaintenanceReport extends RetentionResult, GcResult, CompactionResult {
  topics: number;
  /** Compaction by key (cleanup.policy includes compact): partitions cleaned, records removed. */
  partitionsCleanedByKey: number;
  recordsRemovedByKey: number;
}

/**
 * One maintenance pass (the scheduled function in AWS, a timer in the local stack): retention per
 * topic, compaction by key for topics whose cleanup.policy includes compact (else compaction of
 * small objects), then storage GC. Every step is conditional and idempotent,
 * so overlapping or interrupted runs are safe.
 */
export async function runMaintenance(
  engine: Engine,
  options: MaintenanceOptions,
): Promise<MaintenanceReport> {
  const report: MaintenanceReport = {
    topics: 0,
    partitionsCleanedByKey: 0,
    recordsRemovedByKey: 0,
    partitionsTrimmed: 0,
    indexEntriesRemoved: 0,
    runs: 0,
    entriesMerged: 0,
    objectsDeleted: 0,
    orphansDeleted: 0,
    deletedTopicsCleaned: 0,
    unreferencedDeleted: 0,
  };
  for (const topic of await engine.metadata.listTopics()) {
    report.topics++;
    const retention = await applyRetention(engine, topic, engine.now());
    report.partitionsTrimmed += retention.partitionsTrimmed;
    report.indexEntriesRemoved += retention.indexEntriesRemoved;
    if (isCompacted(topic.config as unknown as Record<string, unknown>)) {
      // Compaction by key rewrites these partitions whole; small-object compaction would only race it.
      for (const r of await compactTopicByKey(engine, topic)) {
        if (r.cleaned) report.partitionsCleanedByKey++;
        report.recordsRemovedByKey += r.recordsBefore - r.recordsAfter;
      }
    } else if (options.compaction) {
      for (let p = 0; p < topic.partitions; p++) {
        const compaction = await compactPartition(engine, topic, p, options.compaction);
        report.runs += compaction.runs;
        report.entriesMerged += compaction.entriesMerged;
      }
    }
  }
  Object.assign(report, await collectGarbage(engine, options));
  return report;
}

/** Maintenance options from the engine's configuration. */
export function maintenanceOptions(engine: Engine): MaintenanceOptions {
  const c = engine.config;
  return {
    graceMs: c.segmentGraceMs,
    sweepUnreferenced: true,
    compaction:
      c.compactionSmallBytes > 0
        ? { smallBytes: c.compactionSmallBytes, targetBytes: c.compactionTargetBytes }
        : false,
  };
}
