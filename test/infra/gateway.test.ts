/**
 * The Kafka gateway in a StrataCluster's template (issue 11): absent by default; with
 * `kafkaGateway`, an arm64 Fargate service behind an NLB whose listener, health check, idle
 * timeouts, task settings, least-privilege task role, scaling policies and cdk-nag result are
 * asserted here. Two configurations: TLS terminated at the NLB (ACM certificate), and TLS passed
 * through to the gateway (a Secrets Manager secret) on a custom domain. test/infra/
 * gateway-bundle.test.ts runs the image's bundle itself.
 */
import { Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AclBinding } from '../../lib/contract/acl.js';
import { createEngine } from '../../lib/engine/engine.js';
import { ACCESS, FUNCTION_ACCESS, GATEWAY_ACCESS } from '../../lib/infra/access.js';
import { GATEWAY_DEFAULTS, type KafkaGatewayProps } from '../../lib/infra/kafka-gateway.js';
import type { StrataClusterProps } from '../../lib/infra/strata-cluster.js';
import { DEFAULT_GATEWAY_CONFIG } from '../../lib/kafka/config.js';
import { startGateway } from '../../lib/kafka/gateway.js';
import { createTestEngine } from '../support/stack.js';
import { type AwsCall, allows, describeCall, policyOf, recordCalls, resourceMatches } from './iam-replay.js';
import { nagErrors, type SynthesizedCluster, synthCluster } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is read freely and asserted on.
type Json = any;

const CERT_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata-kafka-tls-AbCdEf';
const imports = new Stack();
const certificate = Certificate.fromCertificateArn(imports, 'Cert', CERT_ARN);
const secret = Secret.fromSecretCompleteArn(imports, 'TlsSecret', SECRET_ARN);
const zone = HostedZone.fromHostedZoneAttributes(imports, 'Zone', {
  hostedZoneId: 'Z0000000000000000000',
  zoneName: 'example.com',
});

interface Variant {
  synth: SynthesizedCluster;
  resources: Record<string, Json>;
}
const variant = (kafkaGateway?: KafkaGatewayProps, acls?: StrataClusterProps['acls']): Variant => {
  const synth = synthCluster({ ...(kafkaGateway ? { kafkaGateway } : {}), ...(acls ? { acls } : {}) });
  return { synth, resources: synth.template.toJSON().Resources };
};

let plain: Variant;
let atNlb: Variant;
let passthrough: Variant;

beforeAll(() => {
  plain = variant();
  atNlb = variant({ tls: { mode: 'nlb', certificate } }, { enabled: true, superUsers: ['User:admin'] });
  passthrough = variant({
    tls: { mode: 'passthrough', secret },
    domainName: 'kafka.example.com',
    hostedZone: zone,
    minTasks: 2,
    maxTasks: 6,
    clientCidrs: ['203.0.113.0/24'],
  });
}, 180_000);

const ofType = (v: Variant, type: string): [string, Json][] =>
  Object.entries(v.resources).filter(([, r]) => r.Type === type);
const only = (v: Variant, type: string): Json => {
  const found = ofType(v, type);
  expect(found, type).toHaveLength(1);
  return (found[0] as [string, Json])[1].Properties;
};
const logicalId = (v: Variant, construct: { node: { defaultChild?: unknown } }) =>
  v.synth.stack.getLogicalId(construct.node.defaultChild as never);
const getAtt = (v: Variant, construct: { node: { defaultChild?: unknown } }, attr = 'Arn') => ({
  'Fn::GetAtt': [logicalId(v, construct), attr],
});
const env = (v: Variant): Record<string, Json> => {
  const [container] = only(v, 'AWS::ECS::TaskDefinition').ContainerDefinitions;
  return Object.fromEntries(container.Environment.map((e: Json) => [e.Name, e.Value]));
};
const gw = (v: Variant) => {
  const g = v.synth.cluster.kafkaGateway;
  if (!g) throw new Error('no gateway in this variant');
  return g;
};

describe('off by default', () => {
  it('a cluster without kafkaGateway has no VPC, ECS, load balancer or scaling, and AWS-managed encryption', () => {
    expect(plain.synth.cluster.kafkaGateway).toBeUndefined();
    const types = new Set(Object.values(plain.resources).map((r) => r.Type as string));
    for (const t of types)
      expect(t, t).not.toMatch(/^AWS::(EC2|ECS|ElasticLoadBalancingV2|ApplicationAutoScaling|Route53)::/);
    expect(types.has('AWS::KMS::Key')).toBe(false);
    expect(Object.keys(plain.synth.template.toJSON().Outputs).some((k) => k.includes('Kafka'))).toBe(false);
  });
});

describe('TLS at the NLB (ACM certificate)', () => {
  it('a TLS listener on 9094 with the certificate and a TLS 1.3/1.2 policy, forwarding TCP to the tasks', () => {
    const listener = only(atNlb, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener).toEqual({
      LoadBalancerArn: { Ref: logicalId(atNlb, gw(atNlb).loadBalancer) },
      Port: 9094,
      Protocol: 'TLS',
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: logicalId(atNlb, gw(atNlb).targetGroup) } }],
    });
    // A TLS listener's idle timeout is fixed at 350 s: no attribute, and the gateway closes idle
    // connections first (340 s).
    expect(listener.ListenerAttributes).toBeUndefined();
    expect(env(atNlb).STRATA_KAFKA_IDLE_MS).toBe('340000');
  });

  it('the target group: TCP to port 9092 of each task (IP targets), TCP health check, 30 s deregistration', () => {
    expect(only(atNlb, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toEqual({
      Port: 9092,
      Protocol: 'TCP',
      TargetType: 'ip',
      VpcId: { Ref: logicalId(atNlb, gw(atNlb).vpc as never) },
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: 'traffic-port',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    });
  });

  it('the NLB: internet facing, cross-zone, its security group admits clients on 9094 only and reaches the tasks on 9092 only', () => {
    const nlb = only(atNlb, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(nlb).toMatchObject({ Type: 'network', Scheme: 'internet-facing' });
    expect(nlb.LoadBalancerAttributes).toContainEqual({
      Key: 'load_balancing.cross_zone.enabled',
      Value: 'true',
    });
    const groups = ofType(atNlb, 'AWS::EC2::SecurityGroup').map(([id, g]) => [id, g.Properties] as const);
    const nlbSg = groups.find(([id]) => nlb.SecurityGroups[0]['Fn::GetAtt'][0] === id)?.[1];
    expect(nlbSg.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094 }),
    ]);
    const egress = ofType(atNlb, 'AWS::EC2::SecurityGroupEgress').map(([, e]) => e.Properties);
    expect(egress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 9092, ToPort: 9092 })]);
    // The tasks' only inbound rule: from the NLB's security group, on the Kafka port.
    const taskSg = groups.find(([id]) => id !== nlb.SecurityGroups[0]['Fn::GetAtt'][0])?.[1];
    expect(taskSg.SecurityGroupIngress).toBeUndefined();
    const ingress = ofType(atNlb, 'AWS::EC2::SecurityGroupIngress').map(([, i]) => i.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 9092,
        ToPort: 9092,
        SourceSecurityGroupId: nlb.SecurityGroups[0],
      }),
    ]);
  });

  it('the task: arm64 Linux, 0.5 vCPU and 1 GB, read-only root, logs, the tables, bucket, advertised NLB address and auth settings', () => {
    const task = only(atNlb, 'AWS::ECS::TaskDefinition');
    expect(task).toMatchObject({
      Cpu: '512',
      Memory: '1024',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      TaskRoleArn: getAtt(atNlb, gw(atNlb).taskDefinition.taskRole as never),
    });
    const [container] = task.ContainerDefinitions;
    expect(container).toMatchObject({
      Essential: true,
      ReadonlyRootFilesystem: true,
      PortMappings: [{ ContainerPort: 9092, Protocol: 'tcp' }],
      StopTimeout: 30,
      LogConfiguration: { LogDriver: 'awslogs' },
      MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
    });
    // The image: the asset built from the generated context, in the bootstrap ECR repository.
    expect(JSON.stringify(container.Image)).toMatch(/container-assets-123456789012-eu-west-1:[0-9a-f]{64}/);
    expect(container.Secrets).toBeUndefined();
    const cluster = atNlb.synth.cluster;
    expect(env(atNlb)).toEqual({
      STRATA_CLUSTER_NAME: 'Strata',
      STRATA_META_TABLE: { Ref: logicalId(atNlb, cluster.metaTable) },
      STRATA_INDEX_TABLE: { Ref: logicalId(atNlb, cluster.indexTable) },
      STRATA_BUCKET: { Ref: logicalId(atNlb, cluster.bucket) },
      AWS_REGION: { Ref: 'AWS::Region' },
      STRATA_KAFKA_HOST: '0.0.0.0',
      STRATA_KAFKA_PORT: '9092',
      STRATA_KAFKA_ADVERTISED: {
        'Fn::Join': ['', [getAtt(atNlb, gw(atNlb).loadBalancer, 'DNSName'), ':9094']],
      },
      STRATA_KAFKA_CLUSTER_ID: 'Strata',
      STRATA_KAFKA_IDLE_MS: '340000',
      // The NLB has removed TLS: the task speaks SASL over plain TCP inside the VPC.
      STRATA_KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      STRATA_AUTH: 'on',
      STRATA_SUPER_USERS: 'User:admin',
      STRATA_SEGMENT_CACHE_BYTES: String(128 * 1024 * 1024),
      NODE_OPTIONS: '--max-old-space-size=768',
    });
    const outputs = atNlb.synth.template.toJSON().Outputs as Record<string, Json>;
    const bootstrap = Object.entries(outputs).find(([k]) => k.includes('KafkaBootstrap'))?.[1];
    expect(bootstrap.Value).toEqual(env(atNlb).STRATA_KAFKA_ADVERTISED);
  });

  it('the service: one task, rolling with a rollback circuit breaker, public IP in its own VPC (no NAT), only the NLB in front', () => {
    const service = only(atNlb, 'AWS::ECS::Service');
    expect(service).toMatchObject({
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      PlatformVersion: 'LATEST',
      HealthCheckGracePeriodSeconds: 30,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      LoadBalancers: [
        {
          ContainerName: 'gateway',
          ContainerPort: 9092,
          TargetGroupArn: { Ref: logicalId(atNlb, gw(atNlb).targetGroup) },
        },
      ],
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
    expect(ofType(atNlb, 'AWS::EC2::NatGateway')).toEqual([]);
    const endpoints = ofType(atNlb, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties);
    expect(endpoints.map((e) => e.VpcEndpointType)).toEqual(['Gateway', 'Gateway']);
    expect(JSON.stringify(endpoints)).toContain('.dynamodb');
    expect(JSON.stringify(endpoints)).toContain('.s3');
    expect(only(atNlb, 'AWS::EC2::FlowLog')).toMatchObject({ TrafficType: 'ALL', ResourceType: 'VPC' });
  });

  it('scaling: 1 to 4 tasks, on CPU (60%) and on open connections per healthy task (500), scale-in slower than scale-out', () => {
    expect(only(atNlb, 'AWS::ApplicationAutoScaling::ScalableTarget')).toMatchObject({
      MinCapacity: 1,
      MaxCapacity: 4,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
      RoleARN: {
        'Fn::Join': [
          '',
          expect.arrayContaining([
            ':iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
          ]),
        ],
      },
    });
    const policies = ofType(atNlb, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(
      ([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration,
    );
    expect(policies).toHaveLength(2);
    expect(policies).toContainEqual({
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      TargetValue: 60,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    });
    const connections = policies.find((p) => p.CustomizedMetricSpecification);
    expect(connections).toMatchObject({ TargetValue: 500, ScaleOutCooldown: 60, ScaleInCooldown: 600 });
    const [flows, healthy, perTask] = connections.CustomizedMetricSpecification.Metrics;
    expect(flows).toMatchObject({
      Id: 'flows',
      ReturnData: false,
      MetricStat: {
        Stat: 'Sum',
        Metric: {
          Namespace: 'AWS/NetworkELB',
          MetricName: 'ActiveFlowCount',
          Dimensions: [
            { Name: 'LoadBalancer', Value: getAtt(atNlb, gw(atNlb).loadBalancer, 'LoadBalancerFullName') },
          ],
        },
      },
    });
    expect(healthy).toMatchObject({
      Id: 'healthy',
      ReturnData: false,
      MetricStat: {
        Stat: 'Average',
        Metric: { Namespace: 'AWS/NetworkELB', MetricName: 'HealthyHostCount' },
      },
    });
    expect(healthy.MetricStat.Metric.Dimensions.map((d: Json) => d.Name)).toEqual([
      'LoadBalancer',
      'TargetGroup',
    ]);
    expect(perTask).toEqual({
      Id: 'perTask',
      Label: 'open connections per healthy task',
      Expression: 'flows / healthy',
      ReturnData: true,
    });
  });

  it('the task role: exactly the gateway access table entry, on the two tables, segments/ and the KMS key', () => {
    const cluster = atNlb.synth.cluster;
    const roleId = logicalId(atNlb, gw(atNlb).taskDefinition.taskRole as never);
    const statements = ofType(atNlb, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        Resource: getAtt(atNlb, cluster.metaTable),
        Condition: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [
              'acls',
              'deleted-topics',
              'gc-candidates',
              'group#*',
              'groups',
              'head#*',
              'orphans',
              'producer#*',
              'pstate#*',
              'segment#*',
              'topics',
              'txnid#*',
              'user#*',
              'users',
            ],
          },
        },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Resource: getAtt(atNlb, cluster.indexTable),
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [getAtt(atNlb, cluster.bucket), '/segments/*']] },
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: getAtt(atNlb, cluster.encryptionKey as never),
      },
    ]);
    // No managed policies, no inline ones.
    expect(atNlb.resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    expect(atNlb.resources[roleId].Properties.Policies).toBeUndefined();
  });

  it('the execution role pulls the image from its repository and writes its log group; only GetAuthorizationToken is on "*"', () => {
    const roleId = logicalId(atNlb, gw(atNlb).taskDefinition.executionRole as never);
    const statements = ofType(atNlb, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const wildcard = statements.filter((s: Json) => s.Resource === '*');
    expect(wildcard).toEqual([{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]);
    const actions = statements.flatMap((s: Json) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('the SASL credentials live in the meta table, encrypted with a rotated customer-managed key by default', () => {
    const cluster = atNlb.synth.cluster;
    const table = atNlb.resources[logicalId(atNlb, cluster.metaTable)].Properties;
    expect(table.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: getAtt(atNlb, cluster.encryptionKey as never),
    });
    expect(only(atNlb, 'AWS::KMS::Key').EnableKeyRotation).toBe(true);
  });
});

describe('alarm', () => {
  it('fires when the NLB sees no healthy task for 3 minutes (missing data counts as none)', () => {
    const alarms = ofType(atNlb, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms).toHaveLength(5); // the cluster's four, and this one
    expect(alarms.filter((a) => a.Namespace === 'AWS/NetworkELB')).toEqual([
      expect.objectContaining({
        MetricName: 'HealthyHostCount',
        Statistic: 'Minimum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 3,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    ]);
    expect(atNlb.synth.cluster.alarms).toHaveLength(5);
  });
});

describe('TLS passthrough on a custom domain', () => {
  it('a TCP listener whose idle timeout is raised above the gateway idle close (600 s + 60 s)', () => {
    const listener = only(passthrough, 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listener).toMatchObject({ Port: 9094, Protocol: 'TCP' });
    expect(listener.Certificates).toBeUndefined();
    expect(listener.ListenerAttributes).toEqual([{ Key: 'tcp.idle_timeout.seconds', Value: '660' }]);
    expect(env(passthrough).STRATA_KAFKA_IDLE_MS).toBe(String(GATEWAY_DEFAULTS.idleTcp.toMilliseconds()));
  });

  it('one ACL setting for both front ends: the functions get what the gateway gets', () => {
    const functions = ofType(atNlb, 'AWS::Lambda::Function').filter(
      ([, r]) => r.Properties?.Environment?.Variables?.STRATA_META_TABLE,
    );
    expect(functions.length).toBeGreaterThan(3);
    for (const [id, r] of functions) {
      expect(r.Properties.Environment.Variables, id).toMatchObject({
        STRATA_AUTH: 'on',
        STRATA_SUPER_USERS: 'User:admin',
      });
    }
    for (const [id, r] of ofType(passthrough, 'AWS::Lambda::Function').filter(
      ([, r]) => r.Properties?.Environment?.Variables?.STRATA_META_TABLE,
    ))
      expect(r.Properties.Environment.Variables.STRATA_AUTH, id).toBe('off');
  });

  it('the gateway terminates TLS itself: PEMs from the secret, SASL_SSL, the domain advertised, an alias record', () => {
    const [container] = only(passthrough, 'AWS::ECS::TaskDefinition').ContainerDefinitions;
    expect(container.Secrets).toEqual([
      { Name: 'STRATA_KAFKA_TLS_CERT', ValueFrom: `${SECRET_ARN}:certificate::` },
      { Name: 'STRATA_KAFKA_TLS_KEY', ValueFrom: `${SECRET_ARN}:privateKey::` },
    ]);
    expect(env(passthrough)).toMatchObject({
      STRATA_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      STRATA_KAFKA_ADVERTISED: 'kafka.example.com:9094',
      STRATA_AUTH: 'off',
    });
    expect(env(passthrough).STRATA_SUPER_USERS).toBeUndefined();
    expect(only(passthrough, 'AWS::Route53::RecordSet')).toMatchObject({
      Name: 'kafka.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0000000000000000000',
    });
    // Only the execution role reads the secret (ECS injects it at start), and only this one.
    const execId = logicalId(passthrough, gw(passthrough).taskDefinition.executionRole as never);
    const reads = ofType(passthrough, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.map((s: Json) => [p.Properties.Roles, s]))
      .filter(([, s]) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(reads).toEqual([
      [
        [{ Ref: execId }],
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: SECRET_ARN,
        },
      ],
    ]);
  });

  it('minTasks and maxTasks bound the service; clientCidrs replace 0.0.0.0/0', () => {
    expect(only(passthrough, 'AWS::ECS::Service').DesiredCount).toBe(2);
    expect(only(passthrough, 'AWS::ApplicationAutoScaling::ScalableTarget')).toMatchObject({
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    const ingress = ofType(passthrough, 'AWS::EC2::SecurityGroup').flatMap(
      ([, g]) => g.Properties.SecurityGroupIngress ?? [],
    );
    expect(ingress).toEqual([expect.objectContaining({ CidrIp: '203.0.113.0/24', FromPort: 9094 })]);
  });
});

describe('settings checked at synth time', () => {
  it('refuses an idle timeout the NLB would cut first, and maxTasks below minTasks', () => {
    expect(() =>
      synthCluster({
        kafkaGateway: { tls: { mode: 'nlb', certificate }, idleTimeout: GATEWAY_DEFAULTS.idleTcp },
      }),
    ).toThrow(/350 s/);
    expect(() =>
      synthCluster({ kafkaGateway: { tls: { mode: 'nlb', certificate }, minTasks: 3, maxTasks: 2 } }),
    ).toThrow(/minTasks <= maxTasks/);
  }, 60_000);
});

describe('the access table', () => {
  it("the gateway's entry is the union of topics, produce, fetch and groups, plus the ACLs and the SASL users", () => {
    expect(ACCESS.gateway).toBe(GATEWAY_ACCESS);
    const parts = [
      FUNCTION_ACCESS.topics,
      FUNCTION_ACCESS.produce,
      FUNCTION_ACCESS.fetch,
      FUNCTION_ACCESS.groups,
    ];
    const union = (
      pick: (a: (typeof parts)[number]) => readonly string[] | undefined,
      extra: string[] = [],
    ) => [...new Set([...parts.flatMap((p) => pick(p) ?? []), ...extra])].sort();
    expect(GATEWAY_ACCESS.meta?.actions).toEqual(union((p) => p.meta?.actions));
    expect(GATEWAY_ACCESS.meta?.leadingKeys).toEqual(union((p) => p.meta?.leadingKeys, ['acls', 'user#*']));
    expect(GATEWAY_ACCESS.index?.actions).toEqual(union((p) => p.index?.actions));
    expect(GATEWAY_ACCESS.segments).toEqual(union((p) => p.segments));
    // Not maintenance's work: no deletes of objects, no LIST of the bucket.
    expect(GATEWAY_ACCESS.listSegments).toBeUndefined();
    expect(GATEWAY_ACCESS.segments).not.toContain('s3:DeleteObject');
  });
});

describe('the task role against the gateway code', () => {
  it('allows every AWS call the gateway makes serving Kafka clients (kafkajs, authorization on), and the data path uses its grants', async () => {
    const base = await createTestEngine();
    // Authorization on: requests the Kafka handlers authorize read the ACL bindings (a Query of
    // `acls`, not cached here).
    const engine = createEngine({ ...base.config, authEnabled: true, aclCacheMs: 0 });
    const calls: AwsCall[] = [];
    recordCalls(engine, 'gateway', calls);
    // What CreateAcls / DeleteAcls store and remove (the store the gateway's handlers call).
    const everything: AclBinding = {
      principal: 'User:*',
      host: '*',
      resourceType: 'TOPIC',
      resourceName: '*',
      patternType: 'LITERAL',
      operation: 'ALL',
      permission: 'ALLOW',
    };
    for (const resourceType of ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const) {
      await engine.acls.create({
        ...everything,
        resourceType,
        resourceName: resourceType === 'CLUSTER' ? 'kafka-cluster' : '*',
      });
    }
    const gateway = await startGateway({
      engine,
      config: { ...DEFAULT_GATEWAY_CONFIG, port: 0, initialRebalanceDelayMs: 0 },
    });
    const kafka = new Kafka({ clientId: 'iam', brokers: [gateway.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: 'iam-g' });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'iam', numPartitions: 1 }, { topic: 'gone' }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'iam', count: 2 }] });
      await admin.fetchTopicMetadata({ topics: ['iam'] });
      await admin.describeConfigs({ resources: [{ type: 2, name: 'iam' }], includeSynonyms: false });
      await producer.connect();
      for (let i = 0; i < 3; i++) {
        await producer.send({ topic: 'iam', messages: [{ key: 'k', value: `v${i}`, partition: 0 }] });
      }
      await producer.send({ topic: 'gone', messages: [{ value: 'x' }] });
      // A classic group: join, sync, fetch, commit, heartbeat, leave.
      await consumer.connect();
      await consumer.subscribe({ topic: 'iam', fromBeginning: true });
      let seen = 0;
      const consumed = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            seen++;
            if (seen === 3) resolve();
          },
        });
      });
      await consumed;
      await consumer.commitOffsets([{ topic: 'iam', partition: 0, offset: '3' }]);
      await consumer.disconnect();
      await admin.fetchOffsets({ groupId: 'iam-g', topics: ['iam'] });
      await admin.fetchTopicOffsets('iam');
      await admin.fetchTopicOffsetsByTimestamp('iam', Date.now() - 60_000);
      await admin.describeGroups(['iam-g']);
      await admin.listGroups();
      await admin.setOffsets({ groupId: 'iam-g', topic: 'iam', partitions: [{ partition: 0, offset: '1' }] });
      await admin.deleteTopicRecords({ topic: 'iam', partitions: [{ partition: 0, offset: '1' }] });
      await admin.deleteGroups(['iam-g']);
      await admin.deleteTopics({ topics: ['gone'] });
    } finally {
      await producer.disconnect().catch(() => {});
      await consumer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await gateway.close(1000);
    }
    await engine.acls.list();
    await engine.acls.delete(everything);

    const policy = policyOf(atNlb.synth, gw(atNlb).taskDefinition.taskRole);
    const problems: string[] = [];
    for (const call of calls) {
      if (!policy.some((s) => allows(atNlb.synth, s, call)))
        problems.push(`not allowed: ${describeCall(call)}`);
    }
    const used = new Set<string>();
    for (const s of policy) {
      for (const action of [s.Action].flat().map(String)) {
        if (calls.some((c) => c.action === action && resourceMatches(atNlb.synth, s.Resource, c)))
          used.add(action);
      }
    }
    expect(problems).toEqual([]);
    // The ACL store's three calls (CreateAcls, DescribeAcls and each authorized request, DeleteAcls).
    expect(calls.filter((c) => c.keys.includes('acls')).map((c) => c.action)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem']),
    );
    // The grant is the union of four functions' grants (one statement per table), so a Kafka
    // session need not use every action; it must use most, and the data path's all.
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
      's3:GetObject',
      's3:PutObject',
    ]) {
      expect(used, action).toContain(action);
    }
  }, 120_000);
});

describe('cdk-nag AwsSolutions', () => {
  it('no unacknowledged errors in either configuration', () => {
    expect(nagErrors(atNlb.synth)).toEqual([]);
    expect(nagErrors(passthrough.synth)).toEqual([]);
  });

  it("the gateway's acknowledgements are the justified ones only", () => {
    const acknowledged = (s: SynthesizedCluster) => {
      const ids = new Set<string>();
      for (const c of s.app.node.findAll()) {
        if (!c.node.path.includes('/KafkaGateway/')) continue;
        for (const entry of c.node.metadata) {
          if (entry.type === 'aws:cdk:acknowledged-rules' && entry.data) {
            for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
              // Ours only: aws-cdk-lib acknowledges some CloudFormation-Validate rules itself.
              if (!id.includes('AwsSolutions-')) continue;
              expect(reason.length, id).toBeGreaterThan(40);
              ids.add(id.replace(/^annotation::/i, '').replace(/<[^>]+>/g, '<id>'));
            }
          }
        }
      }
      return [...ids].sort();
    };
    expect(acknowledged(atNlb.synth)).toEqual([
      'AwsSolutions-EC23',
      'AwsSolutions-ECS2',
      'AwsSolutions-ECS4',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<id>/segments/*]',
    ]);
    // Narrowed client CIDRs: no 0.0.0.0/0 acknowledgement.
    expect(acknowledged(passthrough.synth)).not.toContain('AwsSolutions-EC23');
  });
});
