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
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../contract/metrics.js';
import { ROUTES } from '../contract/routes.js';
import { metaKeys } from '../engine/storage/keys.js';
import { BUNDLING, functionEntry, STRATA_FUNCTIONS, type StrataFunctionName } from './bundling.js';

/** The repository root: function entries, the lock file and tsconfig live here. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

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
   */
  readonly encryption?: 'aws-managed' | 'kms';
  readonly encryptionKey?: kms.IKey;
  readonly retention?: {
    /** Days an object stays under `orphans/` before the lifecycle rule expires it. Default 7. */
    readonly orphanedSegmentDays?: number;
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
}

/** DynamoDB data-plane actions and the partition-key prefixes (LeadingKeys) a function may use. */
interface TableAccess {
  actions: readonly string[];
  /** Partition key patterns (IAM StringLike) the function's items live under. */
  leadingKeys?: readonly string[];
}

export interface FunctionAccess {
  meta?: TableAccess;
  index?: TableAccess;
  /** Object-level S3 actions on `segments/*`. */
  segments?: readonly string[];
  /** s3:ListBucket, limited to the `segments/` prefix (storage GC finds objects that never got committed). */
  listSegments?: boolean;
}

/** `head#<topicId>#<p>` -> `head#*`: the IAM pattern for one kind of meta item. */
const kind = (key: string) => `${key.slice(0, key.indexOf('#') + 1)}*`;

const pk = {
  topics: metaKeys.topicsPk,
  heads: kind(metaKeys.head('t', 0).pk),
  segments: kind(metaKeys.segment('k').pk),
  orphans: metaKeys.orphansPk,
  deletedTopics: metaKeys.deletedTopicsPk,
  groups: metaKeys.groupsPk,
  group: kind(metaKeys.groupPk('g')),
  producer: kind(metaKeys.producer('p').pk),
  transactionalId: kind(metaKeys.transactionalId('t').pk),
  producerState: kind(metaKeys.producerPartition('p', 't', 0).pk),
  gcCandidates: metaKeys.gcCandidatesPk,
} as const;

/**
 * What each function may do, and nothing more: the actions its code paths send (the IAM test in
 * test/infra/template.test.ts replays every route against this and fails on a missing or unused
 * permission), on the items it owns (LeadingKeys on the meta table's partition key).
 */
export const FUNCTION_ACCESS: Record<StrataFunctionName, FunctionAccess> = {
  health: {},
  topics: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
      ],
      leadingKeys: [pk.topics, pk.heads, pk.deletedTopics],
    },
    // DeleteRecords finds the first batch it keeps.
    index: { actions: ['dynamodb:Query'] },
  },
  produce: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ],
      // Idempotent producers: ids, transactional ids, per-partition sequence state. Exactly-once
      // consume-transform-produce: the group's offsets (group#<id>) commit in the same transaction.
      leadingKeys: [
        pk.topics,
        pk.heads,
        pk.segments,
        pk.orphans,
        pk.producer,
        pk.transactionalId,
        pk.producerState,
        pk.group,
      ],
    },
    index: { actions: ['dynamodb:PutItem'] },
    segments: ['s3:PutObject'],
  },
  fetch: {
    meta: { actions: ['dynamodb:GetItem'], leadingKeys: [pk.topics, pk.heads] },
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
  groups: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:Query',
        'dynamodb:BatchWriteItem',
      ],
      leadingKeys: [pk.groups, pk.group, pk.topics, pk.heads],
    },
    // Resetting a group's offsets to a timestamp reads the index and the batches it points at.
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
  // Retention (trims heads, removes index entries), compaction (reads small batches, writes one
  // object and its index entries), storage GC (deletes dereferenced, orphaned and never-committed
  // objects, which takes a LIST of segments/), and the backlog survey.
  maintenance: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      leadingKeys: [pk.topics, pk.heads, pk.segments, pk.orphans, pk.deletedTopics, pk.gcCandidates],
    },
    index: { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] },
    segments: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    listSegments: true,
  },
  tail: {
    meta: { actions: ['dynamodb:GetItem'], leadingKeys: [pk.topics, pk.heads] },
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
};

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
 */
export const FUNCTION_SIZING: Record<StrataFunctionName, FunctionSizing> = {
  // No I/O at all: the smallest size answers in a millisecond.
  health: { memoryMiB: 128, timeout: Duration.seconds(3), cacheMiB: 0, description: 'GET /healthz' },
  // A few DynamoDB calls; describing 1,000 partitions is 10 BatchGetItem calls.
  topics: { memoryMiB: 256, timeout: Duration.seconds(10), cacheMiB: 0, description: 'topic admin' },
  // Parses up to 6 MB of JSON, encodes and CRCs (and may gzip) the batches, then one S3 PUT and one
  // transaction: CPU-bound at the front, so 1 GB (~0.6 vCPU). 28 s: under the HTTP API's hard 30 s,
  // so the function, not the gateway, reports a timeout, and bounded commit retries fit.
  produce: { memoryMiB: 1024, timeout: Duration.seconds(28), cacheMiB: 16, description: 'produce' },
  // Up to 4 MiB of records per answer after ranged GETs; a long poll waits up to 20 s, plus the read.
  // A quarter of the memory caches recently read segment ranges for consumers reading the same data.
  fetch: {
    memoryMiB: 1024,
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

/** Where the lifecycle rule expires objects; the maintenance function moves unreferenced segments here. */
export const ORPHAN_PREFIX = 'orphans/';
export const SEGMENT_PREFIX = 'segments/';

export class StrataCluster extends Construct {
  readonly bucket: s3.Bucket;
  readonly metaTable: dynamodb.Table;
  readonly indexTable: dynamodb.Table;
  readonly functions: Record<StrataFunctionName, nodejs.NodejsFunction>;
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly tailUrl: lambda.FunctionUrl;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly encryptionKey?: kms.IKey;
  /** The base URL clients use: the custom domain when there is one. */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: StrataClusterProps = {}) {
    super(scope, id);
    // S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (which needs
    // ACLs enabled); set here so that the construct does not depend on the app's cdk.json.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const clusterName = props.clusterName ?? id;
    const logRetention = props.retention?.logs ?? logs.RetentionDays.ONE_MONTH;

    if (props.encryption === 'kms') {
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

    new events.Rule(this, 'MaintenanceSchedule', {
      description: `Strata ${clusterName}: maintenance`,
      schedule: props.maintenanceSchedule ?? events.Schedule.rate(Duration.hours(1)),
      // No retries: the next scheduled run does the same work, and the failure alarm fires now.
      targets: [new targets.LambdaFunction(fns.maintenance, { retryAttempts: 0 })],
    });

    this.dashboard = this.createDashboard(clusterName);
    this.createAlarms(clusterName, props.alarmTopic);

    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'Strata HTTP API (SigV4 unless JWT)' });
    new CfnOutput(this, 'TailUrl', {
      value: this.tailUrl.url,
      description: 'Live tail (SSE, SigV4 service lambda): ?topic=&partition=&offset=',
    });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  /** Lets a principal call every route of the API (execute-api:Invoke) and open the live tail. */
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
        {
          id: 'expire-orphaned-segments',
          // Segments whose commit failed: the maintenance function moves them here after a grace
          // period (or deletes them outright); this rule is the backstop that empties the prefix.
          prefix: ORPHAN_PREFIX,
          expiration: Duration.days(props.retention?.orphanedSegmentDays ?? 7),
        },
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
    this.grantAccess(role, FUNCTION_ACCESS[name]);

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

  private grantAccess(role: iam.Role, access: FunctionAccess): void {
    const tables = [
      ['Meta', this.metaTable, access.meta],
      ['Index', this.indexTable, access.index],
    ] as const;
    for (const [, table, tableAccess] of tables) {
      if (!tableAccess) continue;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [...tableAccess.actions],
          // The table only: Strata has no secondary indexes, so no `table/index/*`.
          resources: [table.tableArn],
          ...(tableAccess.leadingKeys
            ? {
                conditions: {
                  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...tableAccess.leadingKeys] },
                },
              }
            : {}),
        }),
      );
    }
    if (access.segments) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [...access.segments],
          resources: [this.bucket.arnForObjects(`${SEGMENT_PREFIX}*`)],
        }),
      );
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${SEGMENT_PREFIX}*]`,
        reason:
          'Object actions need object ARNs; segment keys are random UUIDs, so the grant is the segments/ prefix of this one bucket.',
      });
    }
    if (access.listSegments) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${SEGMENT_PREFIX}*`] } },
        }),
      );
    }
    if (this.encryptionKey) {
      // Explicit actions rather than grantEncryptDecrypt's wildcards (kms:ReEncrypt*, kms:GenerateDataKey*).
      const actions = ['kms:Decrypt', 'kms:DescribeKey'];
      if (access.segments?.includes('s3:PutObject') || access.meta || access.index) {
        actions.push('kms:Encrypt', 'kms:GenerateDataKey');
      }
      role.addToPolicy(new iam.PolicyStatement({ actions, resources: [this.encryptionKey.keyArn] }));
    }
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

  private metric(
    name: string,
    service: StrataFunctionName,
    clusterName: string,
    options: cloudwatch.MetricOptions = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [METRIC_DIMENSIONS.service]: service, [METRIC_DIMENSIONS.cluster]: clusterName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...options,
    });
  }

  private createDashboard(clusterName: string): cloudwatch.Dashboard {
    const fns = this.functions;
    const m = (name: string, service: StrataFunctionName, options?: cloudwatch.MetricOptions) =>
      this.metric(name, service, clusterName, options);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const width = 8;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        width,
        left: [this.api.metricCount({ statistic: 'Sum' })],
        right: [
          this.api.metricClientError({ statistic: 'Sum' }),
          this.api.metricServerError({ statistic: 'Sum' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        width,
        left: [
          this.api.metricLatency({ statistic: 'p50' }),
          this.api.metricLatency({ statistic: 'p99' }),
          this.api.metricIntegrationLatency({ statistic: 'p99' }),
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
        right: ALL_FUNCTIONS.map((f) =>
          fns[f].metricThrottles({ statistic: 'Sum', label: `${f} throttles` }),
        ),
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB capacity used',
        width,
        left: [this.metaTable, this.indexTable].flatMap((t) => [
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
        right: [
          m(METRIC.oldestOrphanAge, 'maintenance', { statistic: 'Maximum', period: Duration.hours(1) }),
        ],
      }),
    );
    return dashboard;
  }

  private createAlarms(clusterName: string, topic: sns.ITopic | undefined): void {
    const fns = this.functions;
    const add = (alarm: cloudwatch.Alarm) => {
      if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
      this.alarms.push(alarm);
    };
    const period = Duration.minutes(5);

    // 5xx rate, not count: a busy cluster with a handful of 503s (retriable) is healthy.
    add(
      new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          requests: this.api.metricCount({ statistic: 'Sum', period }),
          errors: this.api.metricServerError({ statistic: 'Sum', period }),
        },
        label: '5xx rate (%)',
        period,
      }).createAlarm(this, 'Api5xxRateAlarm', {
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
      }).createAlarm(this, 'LambdaThrottleAlarm', {
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
      storageThrottles[f] = this.metric(METRIC.storageThrottles, f, clusterName, { period });
    }
    add(
      new cloudwatch.MathExpression({
        expression: Object.keys(storageThrottles).join(' + '),
        usingMetrics: storageThrottles,
        label: 'Storage throttles',
        period,
      }).createAlarm(this, 'StorageThrottleAlarm', {
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
        .createAlarm(this, 'MaintenanceFailureAlarm', {
          alarmDescription: `Strata ${clusterName}: the scheduled maintenance run failed`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
  }
}
