import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../lib/contract/metrics.js';
import type { Engine } from '../lib/engine/engine.js';
import {
  type MaintenanceReport,
  maintenanceOptions,
  runMaintenance,
  type StorageSurvey,
  surveyStorage,
} from '../lib/engine/ops/maintenance.js';
import { observe, type Telemetry } from './observability.js';
import { lambdaEngine } from './runtime.js';

export interface MaintenanceResult {
  report: MaintenanceReport;
  /** The cleanup backlog left after the run (orphans and deleted topics still within their grace period). */
  backlog: StorageSurvey;
}

/**
 * The scheduled maintenance run (EventBridge, hourly by default): retention, compaction of small
 * objects, storage GC (lib/engine/ops/maintenance.ts runMaintenance, the same pass the local stack runs
 * on a timer), then a survey of what is left to clean. Everything it did and left goes out as
 * metrics and one log line. A failure is rethrown: Lambda counts it and the maintenance alarm fires.
 */
export function createMaintenanceHandler(engine: Engine) {
  return async (_event: unknown, { logger, metrics }: Telemetry): Promise<MaintenanceResult> => {
    const report = await runMaintenance(engine, maintenanceOptions(engine));
    const backlog = await surveyStorage(engine);
    const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
    count(METRIC.partitionsTrimmed, report.partitionsTrimmed);
    count(METRIC.indexEntriesRemoved, report.indexEntriesRemoved);
    count(METRIC.entriesCompacted, report.entriesMerged);
    count(METRIC.segmentsDeleted, report.objectsDeleted + report.orphansDeleted + report.unreferencedDeleted);
    count(METRIC.orphanedSegments, backlog.orphans);
    count(METRIC.deletedTopicsPending, backlog.deletedTopics);
    metrics.addMetric(
      METRIC.oldestOrphanAge,
      MetricUnit.Seconds,
      Math.round(backlog.oldestOrphanAgeMs / 1000),
    );
    metrics.addMetric(
      METRIC.oldestDeletedTopicAge,
      MetricUnit.Seconds,
      Math.round(backlog.oldestDeletedTopicAgeMs / 1000),
    );
    logger.info('maintenance run', { ...report, backlog });
    return { report, backlog };
  };
}

let maintenance: ReturnType<typeof createMaintenanceHandler> | undefined;
export const handler = observe(
  'maintenance',
  (event: unknown, telemetry) => {
    maintenance ??= createMaintenanceHandler(lambdaEngine());
    return maintenance(event, telemetry);
  },
  { engine: lambdaEngine },
);
