/**
 * StrataCluster: everything one Strata deployment needs, as one L3 construct. Drop it into any CDK
 * app (bin/app.ts is the ready-made one). Secure by default: IAM (SigV4) on every route, TLS-only
 * and private storage, one least-privilege role per function, retained data. docs/deploy.md lists
 * the resources and explains each sizing and permission.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../contract/metrics.js';
import { ROUTES } from '../contract/routes.js';
import { FUNCTION_ACCESS, grantFunctionAccess } from './access.js';
import { BUNDLING, functionEntry, STRATA_FUNCTIONS, type StrataFunctionName } from './bundling.js';
import { StrataConsole, type StrataConsoleProps } from './console-hosting.js';
import { createAlarms, createDashboard } from './dashboard.js';
import {
  aclEnvironment,
  type ClusterAcls,
  type KafkaGatewayProps,
  StrataKafkaGateway,
} from './kafka-gateway.js';

/** The repository root: function entries, the lock file and tsconfig live here. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export { ACCESS, FUNCTION_ACCESS, type FunctionAccess, GATEWAY_ACCESS } from './access.js';
export {
  CONSOLE_CSP,
  CONSOLE_PATH,
  type ConsoleSignIn,
  StrataConsole,
  type StrataConsoleProps,
  TAIL_PATH,
} from './console-hosting.js';
export {
  GATEWAY_DEFAULTS,
  type KafkaGatewayProps,
  type KafkaGatewayTls,
  StrataKafkaGateway,
} from './kafka-gateway.js';
export type { StrataFunctionName };

export type StrataAuthorization =
  /** SigV4-signed requests from IAM principals granted execute-api:Invoke (see grantClientAccess). */
  | { type: 'iam' }
  /** Bearer tokens from an OIDC issuer, for user-facing deployments: iss, aud and exp are checked. */
  | { type: 'jwt'; issuer: string; audience: string[]; scopes?: string[] };

export interface StrataClusterProps {
  /** Names this cluster in metrics (the `cluster` dimension) and descriptions. Default: the construct id. */
  readonly clusterName?: string;
  /** What happens to the segment bucket when the stack is deleted. Default RETAIN: data outlives stacks. */
  readonly bucketRemovalPolicy?: RemovalPolicy;
  /** What happens to the two tables when the stack is deleted. Default RETAIN. */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection on both tables. Default true. */
  readonly deletionProtection?: boolean;
  /**
   * Encryption at rest. 'aws-managed' (default): SSE-S3 on the bucket, AWS-owned keys on the tables.
   * 'kms': a customer-managed KMS key (given, or created with rotation) for the bucket and tables.
   * With `kafkaGateway` the default is 'kms': the meta table then holds the SASL users' credentials
   * (salted SCRAM keys), and the key policy is a second gate next to IAM (docs/decisions.md).
   */
  readonly encryption?: 'aws-managed' | 'kms';
  readonly encryptionKey?: kms.IKey;
  readonly retention?: {
    /** CloudWatch Logs retention of the functions and the API access log. Default one month. */
    readonly logs?: logs.RetentionDays;
    /** Days S3 server access logs are kept. Default 90. */
    readonly accessLogDays?: number;
  };
  /** Application log level of every function. Default INFO. */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Who may call the HTTP API. Default IAM (SigV4) on every route. */
  readonly authorization?: StrataAuthorization;
  /** Serve the HTTP API on your own domain (an ACM certificate in the stack's region). */
  readonly customDomain?: { readonly domainName: string; readonly certificate: acm.ICertificate };
  /** When the maintenance function runs. Default every hour. */
  readonly maintenanceSchedule?: events.Schedule;
  /** Where alarms notify. Default: alarms only change state (visible on the dashboard). */
  readonly alarmTopic?: sns.ITopic;
  /** X-Ray active tracing. Default true. */
  readonly tracing?: boolean;
  /** Steady-state and burst request limits for the whole API. Default: the account's API Gateway limits. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Bundle the AWS SDK v3 into each function instead of using the runtime's copy. Default false:
   * smaller bundles and faster cold starts; true pins the SDK version to this repository's lock file.
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * The Kafka gateway as an ECS Fargate service behind a Network Load Balancer (off by default).
   * Kafka clients connect over TLS (and SASL) to the `KafkaBootstrap` output; docs/deploy.md.
   */
  readonly kafkaGateway?: KafkaGatewayProps;
  /** ACL authorization on both front ends (off by default; docs/security.md). */
  readonly acls?: ClusterAcls;
  /**
   * Lambda Function URLs (AuthType AWS_IAM) on the produce and fetch functions, next to the HTTP
   * API (off by default). The data plane without API Gateway's per-request fee, which meters HTTP
   * API requests in 512 KB steps (a 4 MiB produce bills as 8 or 9); you pay Lambda alone.
   * Each URL serves its function's routes of the same API (`ProduceUrl`, `FetchUrl` outputs);
   * clients sign with SigV4 service `lambda` and need lambda:InvokeFunctionUrl (grantClientAccess
   * grants it). Nothing is public. The HTTP API still serves every route, these two included.
   * docs/deploy.md "Function URLs for the data plane".
   */
  readonly functionUrls?: boolean;
  /**
   * The web console on CloudFront (off by default): its files in a private bucket read through
   * Origin Access Control, the API (`/v1/*`) and the live tail (`/v1/tail`) on the same origin.
   * The `ConsoleUrl` output; docs/deploy.md "Console".
   */
  readonly console?: StrataConsoleProps;
  /**
   * Read-only mode (STRATA_READ_ONLY on every function; default off): the HTTP API serves only
   * GET routes and refuses every other with 403 CLUSTER_AUTHORIZATION_FAILED, and the console
   * shows no mutating control. docs/console.md "Read-only mode".
   */
  readonly readOnly?: boolean;
}

/** The Function URLs of the data plane (StrataClusterProps.functionUrls). */
export interface StrataDataPlaneUrls {
  readonly produce: lambda.FunctionUrl;
  readonly fetch: lambda.FunctionUrl;
}

/** The functions that get a Function URL with `functionUrls`: the data plane, by request volume. */
export const DATA_PLANE_FUNCTIONS = ['produce', 'fetch'] as const;

interface FunctionSizing {
  memoryMiB: number;
  timeout: Duration;
  /** Segment cache bound (STRATA_SEGMENT_CACHE_BYTES), a share of the memory. */
  cacheMiB: number;
  description: string;
}

/**
 * Memory buys CPU on Lambda (1,769 MB = one vCPU) and network bandwidth; the bill is GB-seconds,
 * so a faster function at more memory often costs the same. docs/deploy.md has the reasoning.
 *
 * Produce and fetch are sized from measured CPU time (bench/lambda-memory.ts, issue 12; the
 * reasoning in docs/decisions.md "Issue 12: Lambda memory from measured CPU"). Below one vCPU the
 * CPU part of a request costs the same at any size, and only the wait on S3 and DynamoDB costs
 * more at a larger one: so each gets the smallest size (in 128 MB steps) at which a 4 MiB
 * request's CPU time, measured on a shared 2-core Xeon VM (x64, Node 20) and multiplied by 1.5
 * for Lambda's arm64 vCPU and TLS, stays within 250 ms, and its working set plus cache fits; of
 * five runs, the size that covers four (the fifth was the noisiest):
 *
 *   function  CPU ms/MiB, 1 MiB reqs  CPU ms per 4 MiB req  x1.5     implied by the runs           chosen
 *   produce   21-39 (min 21.3)        75-118 (80 last run)  112-176  896, 896, 1024, 1024, 1280 MB 1,024 MB
 *   fetch     20-28 (min 20.3)        48-67 (48 last run)   72-100   640, 640, 640, 768, 768 MB    768 MB
 *
 * The machine is not Lambda's: re-run the bench on the target (or read Max Memory Used and
 * Duration from the functions' REPORT lines) before trusting the last 10%.
 */
export const FUNCTION_SIZING: Record<StrataFunctionName, FunctionSizing> = {
  // No I/O at all: the smallest size answers in a millisecond.
  health: { memoryMiB: 128, timeout: Duration.seconds(3), cacheMiB: 0, description: 'GET /healthz' },
  // A few DynamoDB calls; describing 1,000 partitions is 10 BatchGetItem calls.
  topics: { memoryMiB: 256, timeout: Duration.seconds(10), cacheMiB: 0, description: 'topic admin' },
  // Parses up to 6 MB of JSON, encodes and CRCs (and may gzip) the batches, then one S3 PUT and one
  // transaction: CPU-bound at the front. 1 GB (~0.58 vCPU), measured: ~20 CPU ms per MiB at one
  // vCPU, so a 4 MiB request's CPU is ~210 ms here (gzip doubles it). 28 s: under the HTTP API's
  // hard 30 s, so the function, not the gateway, reports a timeout, and bounded commit retries fit.
  produce: { memoryMiB: 1024, timeout: Duration.seconds(28), cacheMiB: 16, description: 'produce' },
  // Up to 4 MiB of records per answer after ranged GETs; a long poll waits up to 20 s, plus the read.
  // 768 MB (~0.43 vCPU), measured: ~12-17 CPU ms per MiB at 4 MiB answers, so a 4 MiB answer's
  // CPU is ~170-230 ms here; a waiting long poll is billed by memory, so smaller is cheaper.
  // A third of the memory caches recently read segment ranges for consumers reading the same data.
  fetch: {
    memoryMiB: 768,
    timeout: Duration.seconds(28),
    cacheMiB: 256,
    description: 'fetch and list offsets',
  },
  // Heartbeats and commits: small conditional writes; the assignor is cheap for thousands of partitions.
  groups: { memoryMiB: 512, timeout: Duration.seconds(10), cacheMiB: 32, description: 'consumer groups' },
  // Retention, compaction and GC over every topic: compaction decodes and re-encodes batches (CPU)
  // and GC lists the bucket, so 1 GB and Lambda's maximum 15 min; a run cut short is safe (every
  // step is conditional) and the next one continues.
  maintenance: {
    memoryMiB: 1024,
    timeout: Duration.minutes(15),
    cacheMiB: 64,
    description: 'scheduled maintenance',
  },
  // Holds one stream open: mostly waiting. 15 min is Lambda's maximum; the stream ends itself 3 s
  // before with an `end` event, and EventSource reconnects from the last id.
  tail: { memoryMiB: 512, timeout: Duration.minutes(15), cacheMiB: 64, description: 'live tail (SSE)' },
};

const HTTP_FUNCTIONS = ['health', 'topics', 'produce', 'fetch', 'groups'] as const;
const ALL_FUNCTIONS: readonly StrataFunctionName[] = STRATA_FUNCTIONS;

export class StrataCluster extends Construct {
  readonly bucket: s3.Bucket;
  readonly metaTable: dynamodb.Table;
  readonly indexTable: dynamodb.Table;
  readonly functions: Record<StrataFunctionName, nodejs.NodejsFunction>;
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly tailUrl: lambda.FunctionUrl;
  /** The produce and fetch Function URLs, when `functionUrls` is on. */
  readonly dataPlaneUrls?: StrataDataPlaneUrls;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];
  readonly encryptionKey?: kms.IKey;
  /** The Kafka gateway, when `kafkaGateway` is set. */
  readonly kafkaGateway?: StrataKafkaGateway;
  /** The base URL clients use: the custom domain when there is one. */
  readonly apiUrl: string;
  /** The hosted web console, when `console.enabled`. */
  readonly console?: StrataConsole;
  /** Server access logs of the cluster's buckets. */
  private accessLogs?: s3.Bucket;

  constructor(scope: Construct, id: string, props: StrataClusterProps = {}) {
    super(scope, id);
    // S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (which needs
    // ACLs enabled); set here so that the construct does not depend on the app's cdk.json.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const clusterName = props.clusterName ?? id;
    const logRetention = props.retention?.logs ?? logs.RetentionDays.ONE_MONTH;

    const encryption = props.encryption ?? (props.kafkaGateway ? 'kms' : 'aws-managed');
    if (encryption === 'kms') {
      this.encryptionKey =
        props.encryptionKey ??
        new kms.Key(this, 'Key', {
          description: `Strata ${clusterName}: segments and metadata at rest`,
          enableKeyRotation: true,
          removalPolicy: props.bucketRemovalPolicy ?? RemovalPolicy.RETAIN,
        });
    } else if (props.encryptionKey) {
      throw new Error("StrataCluster: encryptionKey needs encryption: 'kms'");
    }

    this.bucket = this.createBucket(props);
    this.metaTable = this.createTable('MetaTable', dynamodb.AttributeType.STRING, props);
    this.indexTable = this.createTable('IndexTable', dynamodb.AttributeType.NUMBER, props);

    const fns = {} as Record<StrataFunctionName, nodejs.NodejsFunction>;
    for (const name of ALL_FUNCTIONS) fns[name] = this.createFunction(name, clusterName, logRetention, props);
    this.functions = fns;

    ({ api: this.api, stage: this.stage } = this.createApi(props, logRetention));
    this.apiUrl = props.customDomain
      ? `https://${props.customDomain.domainName}/`
      : (this.stage.url as string);

    // The HTTP API cannot stream responses; a Function URL can (up to 200 MB, up to 15 minutes).
    this.tailUrl = fns.tail.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    // The data plane without API Gateway: IAM auth only, buffered (the functions answer JSON), and
    // no resource policy for anyone (grantClientAccess adds the caller's identity policy).
    if (props.functionUrls) {
      const url = (fn: nodejs.NodejsFunction) =>
        fn.addFunctionUrl({
          authType: lambda.FunctionUrlAuthType.AWS_IAM,
          invokeMode: lambda.InvokeMode.BUFFERED,
        });
      this.dataPlaneUrls = { produce: url(fns.produce), fetch: url(fns.fetch) };
    }

    new events.Rule(this, 'MaintenanceSchedule', {
      description: `Strata ${clusterName}: maintenance`,
      schedule: props.maintenanceSchedule ?? events.Schedule.rate(Duration.hours(1)),
      // No retries: the next scheduled run does the same work, and the failure alarm fires now.
      targets: [new targets.LambdaFunction(fns.maintenance, { retryAttempts: 0 })],
    });

    const watched = {
      clusterName,
      api: this.api,
      functions: fns,
      metaTable: this.metaTable,
      indexTable: this.indexTable,
    };
    if (props.kafkaGateway) {
      this.kafkaGateway = new StrataKafkaGateway(this, 'KafkaGateway', {
        ...props.kafkaGateway,
        clusterName,
        logRetention,
        projectRoot: PROJECT_ROOT,
        acls: props.acls ?? {},
        stores: {
          metaTable: this.metaTable,
          indexTable: this.indexTable,
          bucket: this.bucket,
          encryptionKey: this.encryptionKey,
        },
      });
    }

    if (props.console?.enabled) {
      const auth = props.authorization ?? { type: 'iam' };
      this.console = new StrataConsole(this, 'Console', {
        ...props.console,
        clusterName,
        api: this.api,
        tailUrl: this.tailUrl,
        accessLogs: this.accessLogs as s3.Bucket,
        accessLogDays: props.retention?.accessLogDays ?? 90,
        logsRemovalPolicy: props.bucketRemovalPolicy ?? RemovalPolicy.RETAIN,
        authorization:
          auth.type === 'jwt'
            ? { type: 'jwt', issuer: auth.issuer, ...(auth.scopes ? { scopes: auth.scopes } : {}) }
            : { type: 'iam' },
      });
    }

    this.dashboard = createDashboard(this, watched);
    this.alarms = createAlarms(this, watched, props.alarmTopic);
    if (this.kafkaGateway) this.alarms.push(this.kafkaGateway.createAlarm(clusterName, props.alarmTopic));
    if (this.dataPlaneUrls) this.alarms.push(this.createFunctionUrlAlarm(clusterName, props.alarmTopic));

    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Strata HTTP API (SigV4 unless JWT)' });
    new CfnOutput(this, 'TailUrl', {
      value: this.tailUrl.url,
      description: 'Live tail (SSE, SigV4 service lambda): ?topic=&partition=&offset=',
    });
    if (this.dataPlaneUrls) {
      // The routes each URL serves, from the route table (routes added to a group appear here too).
      const served = (group: 'produce' | 'fetch') =>
        ROUTES.filter((r) => r.group === group)
          .map((r) => `${r.method} ${r.path}`)
          .join(', ');
      new CfnOutput(this, 'ProduceUrl', {
        value: this.dataPlaneUrls.produce.url,
        description: `Produce Function URL (SigV4 service lambda): ${served('produce')}`,
      });
      new CfnOutput(this, 'FetchUrl', {
        value: this.dataPlaneUrls.fetch.url,
        description: `Fetch Function URL (SigV4 service lambda): ${served('fetch')}`,
      });
    }
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  /**
   * Lets a principal call every route of the API (execute-api:Invoke) and open the live tail; with
   * `functionUrls`, also the produce and fetch Function URLs (lambda:InvokeFunctionUrl, and
   * lambda:InvokeFunction only when invoked via a Function URL, as Lambda now requires both).
   */
  grantClientAccess(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: '*',
        }),
      ],
    });
    this.functions.tail.grantInvokeUrl(grantee);
    if (this.dataPlaneUrls) {
      for (const name of DATA_PLANE_FUNCTIONS) this.functions[name].grantInvokeUrl(grantee);
    }
  }

  /**
   * The API's 5xx-rate alarm for the Function URLs, which API Gateway's metrics do not see:
   * Lambda's Url5xxCount over UrlRequestCount of produce and fetch, with the same thresholds.
   */
  private createFunctionUrlAlarm(clusterName: string, topic: sns.ITopic | undefined): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (const name of DATA_PLANE_FUNCTIONS) {
      usingMetrics[`${name}Requests`] = this.functions[name].metric('UrlRequestCount', {
        statistic: 'Sum',
        period,
      });
      usingMetrics[`${name}Errors`] = this.functions[name].metric('Url5xxCount', {
        statistic: 'Sum',
        period,
      });
    }
    const sum = (kind: string) => DATA_PLANE_FUNCTIONS.map((n) => `${n}${kind}`).join(' + ');
    const alarm = new cloudwatch.MathExpression({
      expression: `IF((${sum('Requests')}) > 0, 100 * (${sum('Errors')}) / (${sum('Requests')}), 0)`,
      usingMetrics,
      label: 'Function URL 5xx rate (%)',
      period,
    }).createAlarm(this, 'FunctionUrl5xxRateAlarm', {
      alarmDescription: `Strata ${clusterName}: more than 1% of Function URL requests (produce, fetch) failed with a 5xx in 2 of the last 3 five-minute periods`,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
    return alarm;
  }

  private createBucket(props: StrataClusterProps): s3.Bucket {
    const removalPolicy = props.bucketRemovalPolicy ?? RemovalPolicy.RETAIN;
    const autoDelete = removalPolicy === RemovalPolicy.DESTROY;
    // Server access logs: an audit trail of every object request, kept in a bucket of their own.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // S3 log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.retention?.accessLogDays ?? 90) }],
      removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    this.accessLogs = accessLogs;

    const kmsKey = this.encryptionKey;
    const bucket = new s3.Bucket(this, 'Segments', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(kmsKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: kmsKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'segments-bucket/',
      lifecycleRules: [
        // Strata writes single-part objects, but a client-side SDK retry can leave parts behind.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    return bucket;
  }

  private createTable(
    id: string,
    sortKeyType: dynamodb.AttributeType,
    props: StrataClusterProps,
  ): dynamodb.Table {
    // Key schemas as in lib/engine/storage/provision.ts (the local stack creates the same tables).
    return new dynamodb.Table(this, id, {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: sortKeyType },
      // Traffic follows producers and consumers, idle most of the time for small clusters.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      ...(this.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  private createFunction(
    name: StrataFunctionName,
    clusterName: string,
    logRetention: logs.RetentionDays,
    props: StrataClusterProps,
  ): nodejs.NodejsFunction {
    const sizing = FUNCTION_SIZING[name];
    const id = name.charAt(0).toUpperCase() + name.slice(1);
    const logLevel = props.logLevel ?? 'INFO';
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logRetention,
      // Operational data with a bounded retention: it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, no managed policies: CloudWatch Logs on its log group plus FUNCTION_ACCESS.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Strata ${clusterName}: ${sizing.description} function`,
    });
    logGroup.grantWrite(role);
    grantFunctionAccess(role, FUNCTION_ACCESS[name], {
      metaTable: this.metaTable,
      indexTable: this.indexTable,
      bucket: this.bucket,
      encryptionKey: this.encryptionKey,
    });

    const fn = new nodejs.NodejsFunction(this, `${id}Function`, {
      entry: join(PROJECT_ROOT, functionEntry(name)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: sizing.memoryMiB,
      timeout: sizing.timeout,
      description: `Strata ${clusterName}: ${sizing.description}`,
      role,
      logGroup,
      // Lambda wraps console output as JSON with the Lambda request id; Powertools lines carry it too.
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      environment: {
        STRATA_CLUSTER_NAME: clusterName,
        STRATA_META_TABLE: this.metaTable.tableName,
        STRATA_INDEX_TABLE: this.indexTable.tableName,
        STRATA_BUCKET: this.bucket.bucketName,
        STRATA_SEGMENT_CACHE_BYTES: String(sizing.cacheMiB * 1024 * 1024),
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: logLevel,
        ...aclEnvironment(props.acls ?? {}),
        ...(props.readOnly ? { STRATA_READ_ONLY: 'true' } : {}),
        ...(props.tracing === false ? { POWERTOOLS_TRACE_ENABLED: 'false' } : {}),
      },
      bundling: {
        // Local esbuild (a devDependency): bundling never asks for Docker.
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        // The runtime's AWS SDK v3: smaller bundles, and its clients are reused across invocations
        // because the engine (and its clients) is created once per cold start (functions/runtime.ts).
        externalModules: props.bundleAwsSdk ? [] : [...BUNDLING.externalModules],
        bundleAwsSDK: props.bundleAwsSdk ?? false,
        banner: BUNDLING.banner,
      },
    });
    if (props.tracing !== false) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (added by Tracing.ACTIVE).',
      });
    }
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime Strata is built and tested for (the issue pins it); moving to 24 is a deliberate upgrade.',
    });
    return fn;
  }

  private createApi(
    props: StrataClusterProps,
    logRetention: logs.RetentionDays,
  ): { api: apigw.HttpApi; stage: apigw.HttpStage } {
    const auth = props.authorization ?? { type: 'iam' };
    const authorizer: apigw.IHttpRouteAuthorizer =
      auth.type === 'jwt'
        ? new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: auth.audience })
        : new HttpIamAuthorizer();
    const api = new apigw.HttpApi(this, 'Api', {
      description: 'Strata HTTP API: the routes of lib/contract/routes.ts',
      createDefaultStage: false,
      // With a custom domain, the execute-api URL stays on so that SigV4 clients can use either.
      disableExecuteApiEndpoint: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new apigw.HttpStage(this, 'ApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            user: '$context.identity.user',
            jwtSubject: '$context.authorizer.claims.sub',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integration.latency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
      ...(props.throttle ? { throttle: props.throttle } : {}),
    });
    if (props.customDomain) {
      const domainName = new apigw.DomainName(this, 'Domain', {
        domainName: props.customDomain.domainName,
        certificate: props.customDomain.certificate,
      });
      new apigw.ApiMapping(this, 'DomainMapping', { api, domainName, stage });
    }

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const group of HTTP_FUNCTIONS) {
      integrations.set(
        group,
        new HttpLambdaIntegration(`${group}Integration`, this.functions[group], {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        }),
      );
    }
    // One route per entry of the shared route table: the local server serves exactly these.
    for (const route of ROUTES) {
      new apigw.HttpRoute(this, `Route ${route.method} ${route.path.replaceAll('/', ' ').trim()}`, {
        httpApi: api,
        routeKey: apigw.HttpRouteKey.with(route.path, apigw.HttpMethod[route.method]),
        integration: integrations.get(route.group) as HttpLambdaIntegration,
        authorizer,
        ...(auth.type === 'jwt' && auth.scopes ? { authorizationScopes: auth.scopes } : {}),
      });
    }
    return { api, stage };
  }
}
