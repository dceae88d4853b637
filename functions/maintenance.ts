import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Engine } from '../lib/engine.js';
import { type StorageSurvey, surveyStorage } from '../lib/ops/maintenance.js';
import { observe, type Telemetry } from './observability.js';
import { lambdaEngine } from './runtime.js';

/** Metric names the construct's dashboard reads. */
export const MAINTENANCE_METRIC = {
  orphans: 'OrphanedSegments',
  oldestOrphanAge: 'OldestOrphanAge',
  deletedTopics: 'DeletedTopicsPending',
  oldestDeletedTopicAge: 'OldestDeletedTopicAge',
} as const;

/**
 * The scheduled maintenance run (EventBridge). For now it measures the cleanup backlog (orphaned
 * segment objects, deleted topics still stored) and reports it as metrics and one log line.
 * Retention and storage cleanup (deleting or moving orphans to the bucket's `orphans/` prefix,
 * which a lifecycle rule expires) arrive with the retention change; this function is where they run.
 */
export function createMaintenanceHandler(engine: Engine) {
  return async (_event: unknown, { logger, metrics }: Telemetry): Promise<StorageSurvey> => {
    const survey = await surveyStorage(engine);
    metrics.addMetric(MAINTENANCE_METRIC.orphans, MetricUnit.Count, survey.orphans);
    metrics.addMetric(
      MAINTENANCE_METRIC.oldestOrphanAge,
      MetricUnit.Seconds,
      Math.round(survey.oldestOrphanAgeMs / 1000),
    );
    metrics.addMetric(MAINTENANCE_METRIC.deletedTopics, MetricUnit.Count, survey.deletedTopics);
    metrics.addMetric(
      MAINTENANCE_METRIC.oldestDeletedTopicAge,
      MetricUnit.Seconds,
      Math.round(survey.oldestDeletedTopicAgeMs / 1000),
    );
    logger.info('storage survey', { ...survey });
    return survey;
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
