/**
 * The Kafka gateway in the cloud (issue 11): `strata gateway` as an ECS Fargate service (arm64)
 * behind a Network Load Balancer, over the cluster's tables and bucket. StrataCluster creates it
 * when its `kafkaGateway` prop is set; docs/deploy.md ("The Kafka gateway") explains each choice.
 *
 * Safe defaults: TLS on the client side always (the NLB terminates it with an ACM certificate, or
 * passes it through to the gateway's own listener), SASL and ACL authorization on, tasks that only
 * the NLB can reach, a task role from the same access table as the functions (GATEWAY_ACCESS).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GATEWAY_ACCESS, grantFunctionAccess, type StrataStores } from './access.js';
import { GATEWAY_CONTAINER_PORT, writeGatewayContext } from './gateway-image.js';

/** How clients' TLS ends. Plaintext to the internet is not offered: SASL PLAIN would leak passwords. */
export type KafkaGatewayTls =
  /** The NLB's TLS listener terminates TLS with an ACM certificate and forwards TCP to the task. */
  | { readonly mode: 'nlb'; readonly certificate: acm.ICertificate; readonly sslPolicy?: elbv2.SslPolicy }
  /**
   * A TCP listener passes TLS through to the gateway's own TLS listener. The secret is JSON with
   * the PEM fields `certificate` (the chain) and `privateKey`; ECS injects them at task start.
   */
  | { readonly mode: 'passthrough'; readonly secret: secretsmanager.ISecret };

export interface KafkaGatewayProps {
  readonly tls: KafkaGatewayTls;
  /** The listener port clients connect to. Default 9094 (Kafka's customary SASL_SSL port). */
  readonly port?: number;
  /** Tasks at all times (the service never scales below). Default 1. */
  readonly minTasks?: number;
  /** Tasks at most. Default the larger of 4 and minTasks. */
  readonly maxTasks?: number;
  /** Fargate CPU units per task. Default 512 (0.5 vCPU). */
  readonly cpu?: number;
  /** Memory per task, MiB. Default 1024. */
  readonly memoryMiB?: number;
  /**
   * The name clients use: advertised in Metadata instead of the NLB's DNS name. With `hostedZone`
   * an alias record is created; otherwise point a CNAME at the `KafkaLoadBalancerDns` output. With
   * `tls.mode: 'nlb'` the certificate must cover this name.
   */
  readonly domainName?: string;
  readonly hostedZone?: route53.IHostedZone;
  /** SASL authentication (PLAIN, SCRAM) of every connection. Default true. */
  readonly sasl?: boolean;
  /**
   * How long a client connection with nothing in flight stays open (the gateway closes it,
   * STRATA_KAFKA_IDLE_MS). Default 10 min (Kafka's connections.max.idle.ms) with a TCP listener,
   * whose idle timeout is raised above it; 340 s with the NLB's TLS listener, whose idle timeout
   * is fixed at 350 s, so that the gateway's clean close comes before the NLB forgets the flow.
   */
  readonly idleTimeout?: Duration;
  /** How long the NLB keeps a stopping task's connections before it stops. Default 30 s. */
  readonly deregistrationDelay?: Duration;
  /** Target average CPU utilization, percent. Default 60. */
  readonly targetCpuPercent?: number;
  /** Target open connections per healthy task. Default 500. */
  readonly targetConnectionsPerTask?: number;
  /** Who may connect. Default anyone (0.0.0.0/0): TLS and SASL guard the port. */
  readonly clientCidrs?: readonly string[];
  /** An internet-facing NLB. Default true; false keeps the gateway inside the VPC. */
  readonly internetFacing?: boolean;
  /**
   * Run in this VPC (tasks in its private subnets with egress, the NLB in its public ones, or in
   * its private ones when not internet facing). Default: a VPC of its own (below).
   */
  readonly vpc?: ec2.IVpc;
  /** Container Insights on the ECS cluster (per-task metrics, billed as custom metrics). Default false. */
  readonly containerInsights?: boolean;
  /** More gateway settings (STRATA_KAFKA_AUTO_CREATE_TOPICS, STRATA_KAFKA_NUM_PARTITIONS, ...). */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface StrataKafkaGatewayProps extends KafkaGatewayProps {
  readonly clusterName: string;
  readonly stores: StrataStores;
  /** The cluster's ACL settings (StrataClusterProps.acls), the same as the functions'. */
  readonly acls: ClusterAcls;
  readonly logRetention: logs.RetentionDays;
  readonly projectRoot: string;
}

/** Defaults, exported so that the tests and docs name one source. */
export const GATEWAY_DEFAULTS = {
  port: 9094,
  minTasks: 1,
  maxTasks: 4,
  cpu: 512,
  memoryMiB: 1024,
  idleTcp: Duration.minutes(10),
  /** The NLB's TLS listener idle timeout is 350 s and cannot be changed. */
  idleTls: Duration.seconds(340),
  /** A TCP listener's idle timeout: the gateway's plus this, so the gateway always closes first. */
  nlbIdleMargin: Duration.seconds(60),
  deregistrationDelay: Duration.seconds(30),
  targetCpuPercent: 60,
  targetConnectionsPerTask: 500,
} as const;

export class StrataKafkaGateway extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly listener: elbv2.NetworkListener;
  readonly targetGroup: elbv2.NetworkTargetGroup;
  readonly scaling: appscaling.ScalableTarget;
  /** host:port clients bootstrap from (and Metadata advertises). */
  readonly bootstrap: string;

  constructor(scope: Construct, id: string, props: StrataKafkaGatewayProps) {
    super(scope, id);
    const d = GATEWAY_DEFAULTS;
    const port = props.port ?? d.port;
    const minTasks = props.minTasks ?? d.minTasks;
    const maxTasks = props.maxTasks ?? Math.max(d.maxTasks, minTasks);
    const cpu = props.cpu ?? d.cpu;
    const memoryMiB = props.memoryMiB ?? d.memoryMiB;
    const tlsAtNlb = props.tls.mode === 'nlb';
    const idle = props.idleTimeout ?? (tlsAtNlb ? d.idleTls : d.idleTcp);
    const nlbIdleSeconds = idle.toSeconds() + d.nlbIdleMargin.toSeconds();
    if (minTasks < 1 || maxTasks < minTasks) {
      throw new Error(`kafkaGateway: need 1 <= minTasks <= maxTasks, got ${minTasks} and ${maxTasks}`);
    }
    if (tlsAtNlb && idle.toSeconds() >= 350) {
      throw new Error('kafkaGateway: the NLB closes idle TLS flows after 350 s; idleTimeout must be shorter');
    }
    if (!tlsAtNlb && nlbIdleSeconds > 6000) {
      throw new Error(
        'kafkaGateway: idleTimeout at most 5940 s (the NLB TCP idle timeout maximum is 6000 s)',
      );
    }
    const internetFacing = props.internetFacing ?? true;

    this.vpc = props.vpc ?? this.createVpc(props.logRetention);
    // Our own VPC has public subnets only (no NAT gateway: ~$32/month each plus data): tasks get a
    // public IP for ECR, CloudWatch Logs and Secrets Manager; their security group admits the NLB
    // only. DynamoDB and S3 traffic stays inside AWS through the VPC's free gateway endpoints.
    const ownVpc = props.vpc === undefined;
    const taskSubnets: ec2.SubnetSelection = {
      subnetType: ownVpc ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: props.containerInsights
        ? ecs.ContainerInsights.ENABLED
        : ecs.ContainerInsights.DISABLED,
    });
    if (!props.containerInsights) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-ECS4',
        reason:
          'ECS publishes service CPU and memory and the NLB its flow and health metrics for free; Container Insights (per-task metrics, billed) is the containerInsights prop.',
      });
    }

    // The task role: what the gateway's code paths do, and nothing more (lib/infra/access.ts).
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Strata ${props.clusterName}: Kafka gateway tasks`,
    });
    grantFunctionAccess(taskRole, GATEWAY_ACCESS, props.stores);

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu,
      memoryLimitMiB: memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole,
      // A writable /tmp on a read-only root file system (the passthrough TLS PEMs are written there).
      volumes: [{ name: 'tmp' }],
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The image context: written at synth time into the cloud assembly's directory, then hashed
    // and staged by the asset; `cdk deploy` builds it for linux/arm64 and pushes it to the
    // bootstrap ECR repository. Skipped (placeholder) when the CLI does not need this stack's assets.
    const contextDir = join(Stage.of(this)?.outdir ?? props.projectRoot, `.strata-gateway-${this.node.addr}`);
    writeGatewayContext(contextDir, {
      projectRoot: props.projectRoot,
      bundle: Stack.of(this).bundlingRequired,
    });

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc: this.vpc,
      internetFacing,
      vpcSubnets: {
        subnetType: internetFacing || ownVpc ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
      },
      // One task can serve every zone: without cross-zone balancing a zone with no task drops out.
      crossZoneEnabled: true,
      securityGroups: [
        new ec2.SecurityGroup(this, 'NlbSecurityGroup', {
          vpc: this.vpc,
          description: `Strata ${props.clusterName}: Kafka clients to the NLB`,
          allowAllOutbound: false,
        }),
      ],
    });
    const nlbSg = this.loadBalancer.connections.securityGroups[0] as ec2.ISecurityGroup;
    const clientCidrs = props.clientCidrs ?? ['0.0.0.0/0'];
    for (const cidr of clientCidrs) {
      nlbSg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), 'Kafka clients (TLS)');
    }
    if (clientCidrs.includes('0.0.0.0/0')) {
      Validations.of(nlbSg).acknowledge({
        id: 'AwsSolutions-EC23',
        reason:
          'A Kafka endpoint for clients anywhere, as the HTTP API is: TLS and SASL guard the port; clientCidrs narrows it.',
      });
    }
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'NLB access logs cover TLS listeners only and record connections, not requests; the gateway logs each connection and failure itself.',
    });

    const advertisedHost = props.domainName ?? this.loadBalancer.loadBalancerDnsName;
    this.bootstrap = `${advertisedHost}:${port}`;
    const securityProtocol = `${props.sasl === false ? '' : 'SASL_'}${tlsAtNlb ? 'PLAINTEXT' : 'SSL'}`;
    const environment: Record<string, string> = {
      STRATA_CLUSTER_NAME: props.clusterName,
      STRATA_META_TABLE: props.stores.metaTable.tableName,
      STRATA_INDEX_TABLE: props.stores.indexTable.tableName,
      STRATA_BUCKET: props.stores.bucket.bucketName,
      AWS_REGION: Aws.REGION,
      STRATA_KAFKA_HOST: '0.0.0.0',
      STRATA_KAFKA_PORT: String(GATEWAY_CONTAINER_PORT),
      // Every task advertises the NLB (or the domain): any task serves any partition (docs/kafka.md).
      STRATA_KAFKA_ADVERTISED: this.bootstrap,
      STRATA_KAFKA_CLUSTER_ID: props.clusterName,
      STRATA_KAFKA_IDLE_MS: String(idle.toMilliseconds()),
      // What the task itself speaks: behind a TLS listener the NLB has already removed TLS.
      STRATA_KAFKA_SECURITY_PROTOCOL: securityProtocol,
      ...aclEnvironment(props.acls),
      // An eighth of the memory caches segment ranges; the heap may use three quarters.
      STRATA_SEGMENT_CACHE_BYTES: String(Math.floor(memoryMiB / 8) * 1024 * 1024),
      NODE_OPTIONS: `--max-old-space-size=${Math.floor(memoryMiB * 0.75)}`,
      ...props.environment,
    };
    const container = this.taskDefinition.addContainer('gateway', {
      image: ecs.ContainerImage.fromAsset(contextDir, { platform: Platform.LINUX_ARM64 }),
      essential: true,
      environment,
      ...(props.tls.mode === 'passthrough'
        ? {
            secrets: {
              STRATA_KAFKA_TLS_CERT: ecs.Secret.fromSecretsManager(props.tls.secret, 'certificate'),
              STRATA_KAFKA_TLS_KEY: ecs.Secret.fromSecretsManager(props.tls.secret, 'privateKey'),
            },
          }
        : {}),
      portMappings: [{ containerPort: GATEWAY_CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'gateway' }),
      readonlyRootFilesystem: true,
      // bin/gateway.ts lets requests in flight finish for 10 s after SIGTERM.
      stopTimeout: Duration.seconds(30),
    });
    // The asset has copied the context into the cloud assembly (asset.<hash>/); the written
    // original would only be a second copy. Kept when staging is off (the asset points at it).
    if (!this.node.tryGetContext('aws:cdk:disable-asset-staging')) {
      rmSync(contextDir, { recursive: true, force: true });
    }
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds settings only (table and bucket names, the advertised address, auth switches); the TLS key comes through ECS secrets.',
    });
    // The execution role (CDK's): ECR pulls and the log stream. ecr:GetAuthorizationToken has no
    // resource-level permissions.
    const executionRole = this.taskDefinition.obtainExecutionRole();
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken (pulling the image) has no resource-level permissions; every other grant names its repository or log group.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      vpcSubnets: taskSubnets,
      assignPublicIp: ownVpc,
      // New tasks start before old ones stop; a deployment that never gets healthy rolls back.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });
    this.service.connections.allowFrom(
      nlbSg,
      ec2.Port.tcp(GATEWAY_CONTAINER_PORT),
      'the NLB (traffic, health checks)',
    );
    nlbSg.addEgressRule(
      this.service.connections.securityGroups[0] as ec2.ISecurityGroup,
      ec2.Port.tcp(GATEWAY_CONTAINER_PORT),
      'to the gateway tasks',
    );

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'Targets', {
      vpc: this.vpc,
      port: GATEWAY_CONTAINER_PORT,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      targets: [
        this.service.loadBalancerTarget({ containerName: 'gateway', containerPort: GATEWAY_CONTAINER_PORT }),
      ],
      // TCP: a task that accepts connections on the Kafka port serves. (With passthrough TLS an
      // HTTP or TLS check would need a certificate the checker trusts; a connect needs nothing.)
      healthCheck: {
        protocol: elbv2.Protocol.TCP,
        port: 'traffic-port',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      // Kafka connections are long-lived: the NLB keeps a stopping task's flows this long, then
      // ECS sends SIGTERM and the gateway closes them; clients reconnect to another task.
      deregistrationDelay: props.deregistrationDelay ?? d.deregistrationDelay,
    });
    this.listener = this.loadBalancer.addListener('Kafka', {
      port,
      ...(props.tls.mode === 'nlb'
        ? {
            protocol: elbv2.Protocol.TLS,
            certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.tls.certificate)],
            sslPolicy: props.tls.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
          }
        : {
            protocol: elbv2.Protocol.TCP,
            // Above the gateway's own idle close (the NLB default, 350 s, would cut idle consumers).
            tcpIdleTimeout: Duration.seconds(nlbIdleSeconds),
          }),
      defaultTargetGroups: [this.targetGroup],
    });

    if (props.domainName && props.hostedZone) {
      new route53.ARecord(this, 'Alias', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    this.scaling = this.createScaling(props, minTasks, maxTasks);

    new CfnOutput(this, 'KafkaBootstrap', {
      value: this.bootstrap,
      description: 'Kafka bootstrap server (SASL_SSL unless sasl is off)',
    });
    new CfnOutput(this, 'KafkaLoadBalancerDns', { value: this.loadBalancer.loadBalancerDnsName });
  }

  /**
   * Fires when the NLB sees no healthy task for 3 minutes: Kafka clients cannot connect. (A
   * deployment's circuit breaker rolls back on its own; this is for the running service.)
   */
  createAlarm(clusterName: string, topic?: sns.ITopic): cloudwatch.Alarm {
    const alarm = this.targetGroup.metrics
      .healthyHostCount({ statistic: 'Minimum', period: Duration.minutes(1) })
      .createAlarm(this, 'NoHealthyTaskAlarm', {
        alarmDescription: `Strata ${clusterName}: the Kafka gateway has no healthy task behind its load balancer`,
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data points means no target reported healthy.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
    return alarm;
  }

  private createVpc(logRetention: logs.RetentionDays): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
      // Nothing uses the default security group; restricting it would add a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
  }

  /**
   * Two target-tracking policies; the service follows whichever asks for more tasks. CPU: the
   * gateway is one Node.js process, CPU-bound on encoding, CRCs and compression. Connections: the
   * NLB's ActiveFlowCount divided by the target group's HealthyHostCount (CloudWatch metric math):
   * ECS has no per-task connection metric and the NLB none per target. New connections go to new
   * tasks only, so scale-in waits longer than scale-out.
   */
  private createScaling(
    props: KafkaGatewayProps,
    minTasks: number,
    maxTasks: number,
  ): appscaling.ScalableTarget {
    const d = GATEWAY_DEFAULTS;
    const target = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${this.cluster.clusterName}/${this.service.serviceName}`,
      minCapacity: minTasks,
      maxCapacity: maxTasks,
      // The service-linked role Application Auto Scaling creates for ECS (as autoScaleTaskCount
      // uses), rather than a role of our own that would need its own grants.
      role: iam.Role.fromRoleArn(
        this,
        'ScalingRole',
        Stack.of(this).formatArn({
          service: 'iam',
          region: '',
          resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
          resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
        }),
      ),
    });
    target.scaleToTrackMetric('Cpu', {
      predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: props.targetCpuPercent ?? d.targetCpuPercent,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
    const flows = this.loadBalancer.metrics.activeFlowCount();
    const healthy = this.targetGroup.metrics.healthyHostCount();
    new appscaling.CfnScalingPolicy(this, 'Connections', {
      policyName: `${Stack.of(this).stackName}-kafka-connections`.slice(0, 256),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.targetConnectionsPerTask ?? d.targetConnectionsPerTask,
        scaleOutCooldown: 60,
        scaleInCooldown: 600,
        customizedMetricSpecification: {
          metrics: [
            // Each NLB node reports its own flows: their sum is the load balancer's. With
            // cross-zone balancing every node sees every target: the average is the count.
            metricStat('flows', flows, 'Sum'),
            metricStat('healthy', healthy, 'Average'),
            {
              id: 'perTask',
              label: 'open connections per healthy task',
              // No healthy task: no value, and target tracking leaves the count alone (the
              // CPU policy and the circuit breaker still act).
              expression: 'flows / healthy',
              returnData: true,
            },
          ],
        },
      },
    });
    return target;
  }
}

function metricStat(
  id: string,
  metric: { namespace: string; metricName: string; dimensions?: Record<string, unknown> },
  stat: string,
): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty {
  return {
    id,
    returnData: false,
    metricStat: {
      stat,
      metric: {
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: Object.entries(metric.dimensions ?? {}).map(([name, value]) => ({
          name,
          value: Token.asString(value),
        })),
      },
    },
  };
}

/** ACL authorization, one setting for both front ends (docs/security.md). */
export interface ClusterAcls {
  /**
   * Enforce ACLs on the HTTP API and the Kafka gateway (STRATA_AUTH). Default false, as Kafka
   * without an authorizer: IAM or JWT at the HTTP door and SASL on the gateway still decide who
   * gets in. When true, a request no ACL allows is refused, except for super users.
   */
  readonly enabled?: boolean;
  /** Principals (`User:<name>`, e.g. `User:arn:aws:iam::123456789012:role/admin`) that may do everything. */
  readonly superUsers?: readonly string[];
  /** With a JWT authorizer: the claim that names the principal. Default `sub`. */
  readonly jwtPrincipalClaim?: string;
}

/** The environment that carries the ACL settings to a function or a gateway task. */
export function aclEnvironment(acls: ClusterAcls): Record<string, string> {
  return {
    STRATA_AUTH: acls.enabled ? 'on' : 'off',
    ...(acls.superUsers?.length ? { STRATA_SUPER_USERS: acls.superUsers.join(',') } : {}),
    ...(acls.jwtPrincipalClaim ? { STRATA_JWT_PRINCIPAL_CLAIM: acls.jwtPrincipalClaim } : {}),
  };
}
