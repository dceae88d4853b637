import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Engine } from '../lib/engine.js';
import { METRIC } from '../lib/metrics.js';
import { type StorageSurvey, surveyStorage } from '../lib/ops/maintenance.js';
import { observe, type Telemetry } from './observability.js';
import { lambdaEngine } from './runtime.js';

/**
 * The scheduled maintenance run (EventBridge). For now it measures the cleanup backlog (orphaned
 * segment objects, deleted topics still stored) and reports it as metrics and one log line.
 * Retention and storage cleanup (deleting or moving orphans to the bucket's `orphans/` prefix,
 * which a lifecycle rule expires) arrive with the retention change; this function is where they run.
 */
export function createMaintenanceHandler(engine: Engine) {
  return async (_event: unknown, { logger, metrics }: Telemetry): Promise<StorageSurvey> => {
    const survey = await surveyStorage(engine);
    metrics.addMetric(METRIC.orphanedSegments, MetricUnit.Count, survey.orphans);
    metrics.addMetric(
      METRIC.oldestOrphanAge,
      MetricUnit.Seconds,
      Math.round(survey.oldestOrphanAgeMs / 1000),
    );
    metrics.addMetric(METRIC.deletedTopicsPending, MetricUnit.Count, survey.deletedTopics);
    metrics.addMetric(
      METRIC.oldestDeletedTopicAge,
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
