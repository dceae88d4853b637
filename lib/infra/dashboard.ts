/**
 * What an operator watches: the CloudWatch dashboard (API, produce and fetch traffic, commit
 * conflicts, throttling, functions, DynamoDB, maintenance) and the alarms, on the metrics of
 * lib/contract/metrics.ts that the functions emit. docs/deploy.md lists them.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../contract/metrics.js';
import { STRATA_FUNCTIONS, type StrataFunctionName } from './bundling.js';

/** The parts of a cluster that are watched. */
export interface WatchedCluster {
  readonly clusterName: string;
  readonly api: apigw.HttpApi;
  readonly functions: Record<StrataFunctionName, lambda.IFunction>;
  readonly metaTable: dynamodb.Table;
  readonly indexTable: dynamodb.Table;
}

const ALL_FUNCTIONS: readonly StrataFunctionName[] = STRATA_FUNCTIONS;

/** One of Strata's own metrics, for one function of this cluster. */
function strataMetric(
  cluster: WatchedCluster,
  name: string,
  service: StrataFunctionName,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: {
      [METRIC_DIMENSIONS.service]: service,
      [METRIC_DIMENSIONS.cluster]: cluster.clusterName,
    },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...options,
  });
}

/** The dashboard, created in `scope` (the cluster construct) as `Dashboard`. */
export function createDashboard(scope: Construct, cluster: WatchedCluster): cloudwatch.Dashboard {
  const { api, clusterName, functions: fns } = cluster;
  const m = (name: string, service: StrataFunctionName, options?: cloudwatch.MetricOptions) =>
    strataMetric(cluster, name, service, options);
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
  const width = 8;
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'API requests and errors',
      width,
      left: [api.metricCount({ statistic: 'Sum' })],
      right: [api.metricClientError({ statistic: 'Sum' }), api.metricServerError({ statistic: 'Sum' })],
    }),
    new cloudwatch.GraphWidget({
      title: 'API latency (ms)',
      width,
      left: [
        api.metricLatency({ statistic: 'p50' }),
        api.metricLatency({ statistic: 'p99' }),
        api.metricIntegrationLatency({ statistic: 'p99' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Errors by code',
      width,
      left: [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},${METRIC_DIMENSIONS.cluster},${METRIC_DIMENSIONS.errorCode},${METRIC_DIMENSIONS.service}} MetricName="${METRIC.errors}" ${METRIC_DIMENSIONS.cluster}="${clusterName}"', 'Sum', 300)`,
          label: '',
          period: Duration.minutes(5),
        }),
      ],
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Produced',
      width,
      left: [m(METRIC.recordsProduced, 'produce')],
      right: [m(METRIC.bytesProduced, 'produce')],
    }),
    new cloudwatch.GraphWidget({
      title: 'Fetched',
      width,
      left: [m(METRIC.recordsFetched, 'fetch'), m(METRIC.recordsFetched, 'tail')],
      right: [m(METRIC.bytesFetched, 'fetch'), m(METRIC.segmentBytesRead, 'fetch')],
    }),
    new cloudwatch.GraphWidget({
      title: 'Commit conflicts and storage throttling',
      width,
      left: [m(METRIC.commitConflicts, 'produce'), m(METRIC.commitConflicts, 'groups')],
      right: (['produce', 'fetch', 'groups', 'topics'] as const).map((s) => m(METRIC.storageThrottles, s)),
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Fetch wait time (ms) and lag (records)',
      width,
      left: [
        m(METRIC.fetchWaitTime, 'fetch', { statistic: 'p50' }),
        m(METRIC.fetchWaitTime, 'fetch', { statistic: 'p99' }),
      ],
      right: [m(METRIC.fetchLag, 'fetch', { statistic: 'Maximum' })],
    }),
    new cloudwatch.GraphWidget({
      title: 'Function duration p99 (ms)',
      width,
      left: ALL_FUNCTIONS.filter((f) => f !== 'tail').map((f) =>
        fns[f].metricDuration({ statistic: 'p99', label: f }),
      ),
    }),
    new cloudwatch.GraphWidget({
      title: 'Function errors and throttles',
      width,
      left: ALL_FUNCTIONS.map((f) => fns[f].metricErrors({ statistic: 'Sum', label: `${f} errors` })),
      right: ALL_FUNCTIONS.map((f) => fns[f].metricThrottles({ statistic: 'Sum', label: `${f} throttles` })),
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'DynamoDB capacity used',
      width,
      left: [cluster.metaTable, cluster.indexTable].flatMap((t) => [
        t.metricConsumedWriteCapacityUnits({ statistic: 'Sum' }),
        t.metricConsumedReadCapacityUnits({ statistic: 'Sum' }),
      ]),
    }),
    new cloudwatch.GraphWidget({
      title: 'Maintenance: work done per hour',
      width,
      left: [
        METRIC.segmentsDeleted,
        METRIC.indexEntriesRemoved,
        METRIC.entriesCompacted,
        METRIC.partitionsTrimmed,
      ].map((name) => m(name, 'maintenance', { period: Duration.hours(1) })),
    }),
    new cloudwatch.GraphWidget({
      title: 'Maintenance: backlog left after each run',
      width,
      left: [
        m(METRIC.orphanedSegments, 'maintenance', { statistic: 'Maximum', period: Duration.hours(1) }),
        m(METRIC.deletedTopicsPending, 'maintenance', { statistic: 'Maximum', period: Duration.hours(1) }),
      ],
      right: [m(METRIC.oldestOrphanAge, 'maintenance', { statistic: 'Maximum', period: Duration.hours(1) })],
    }),
  );
  return dashboard;
}

/** The alarms, created in `scope` (the cluster construct); each notifies `topic` when one is given. */
export function createAlarms(
  scope: Construct,
  cluster: WatchedCluster,
  topic: sns.ITopic | undefined,
): cloudwatch.Alarm[] {
  const { api, clusterName, functions: fns } = cluster;
  const alarms: cloudwatch.Alarm[] = [];
  const add = (alarm: cloudwatch.Alarm) => {
    if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
    alarms.push(alarm);
  };
  const period = Duration.minutes(5);

  // 5xx rate, not count: a busy cluster with a handful of 503s (retriable) is healthy.
  add(
    new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        requests: api.metricCount({ statistic: 'Sum', period }),
        errors: api.metricServerError({ statistic: 'Sum', period }),
      },
      label: '5xx rate (%)',
      period,
    }).createAlarm(scope, 'Api5xxRateAlarm', {
      alarmDescription: `Strata ${clusterName}: more than 1% of API requests failed with a 5xx in 2 of the last 3 five-minute periods`,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // Lambda throttling: the account's concurrency is exhausted and requests are being refused.
  const lambdaThrottles: Record<string, cloudwatch.IMetric> = {};
  for (const f of ALL_FUNCTIONS) lambdaThrottles[f] = fns[f].metricThrottles({ statistic: 'Sum', period });
  add(
    new cloudwatch.MathExpression({
      expression: Object.keys(lambdaThrottles).join(' + '),
      usingMetrics: lambdaThrottles,
      label: 'Lambda throttles',
      period,
    }).createAlarm(scope, 'LambdaThrottleAlarm', {
      alarmDescription: `Strata ${clusterName}: Lambda throttled invocations (concurrency exhausted)`,
      threshold: 0,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // Storage throttling (S3 SlowDown, DynamoDB throttles), per attempt: the SDK retries absorb a
  // little; a sustained rate means a hot partition key or prefix.
  const storageThrottles: Record<string, cloudwatch.IMetric> = {};
  for (const f of ['topics', 'produce', 'fetch', 'groups', 'maintenance', 'tail'] as const) {
    storageThrottles[f] = strataMetric(cluster, METRIC.storageThrottles, f, { period });
  }
  add(
    new cloudwatch.MathExpression({
      expression: Object.keys(storageThrottles).join(' + '),
      usingMetrics: storageThrottles,
      label: 'Storage throttles',
      period,
    }).createAlarm(scope, 'StorageThrottleAlarm', {
      alarmDescription: `Strata ${clusterName}: S3 or DynamoDB throttled more than 50 requests in each of 3 five-minute periods`,
      threshold: 50,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  add(
    fns.maintenance
      .metricErrors({ statistic: 'Sum', period: Duration.hours(1) })
      .createAlarm(scope, 'MaintenanceFailureAlarm', {
        alarmDescription: `Strata ${clusterName}: the scheduled maintenance run failed`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
  );
  return alarms;
}
