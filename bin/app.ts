#!/usr/bin/env node
/**
 * The ready-to-deploy CDK app: one stack holding one StrataCluster.
 *
 *   npm run synth            # offline; writes cdk.out/
 *   npm run deploy           # needs credentials and a bootstrapped account (cdk bootstrap)
 *   npm run destroy          # tables and bucket are retained unless configured otherwise
 *
 * Context (cdk.json or -c key=value): stackName, clusterName, authorization (iam|jwt),
 * jwtIssuer, jwtAudience (comma-separated), jwtScopes, logLevel, dataRemoval (retain|destroy),
 * acls (on: ACL enforcement on both front ends), superUsers (comma-separated User:<name>) and
 * readOnly (true: the HTTP API serves only GET routes; docs/console.md),
 * functionUrls (true: IAM-auth Lambda Function URLs on produce and fetch, the ProduceUrl and
 * FetchUrl outputs, next to the HTTP API) and console (true: the web console on CloudFront, the
 * ConsoleUrl output; with consoleClientId an OIDC client of the JWT issuer, with
 * consoleIdentityPoolId a Cognito identity pool, for its sign-in).
 *
 * The Kafka gateway (off unless kafkaGateway=true): kafkaCertificateArn (an ACM certificate: the
 * NLB terminates TLS) or kafkaTlsSecretArn (a Secrets Manager secret {certificate, privateKey}:
 * TLS passes through to the gateway), kafkaDomain, kafkaMinTasks, kafkaMaxTasks, kafkaSasl
 * (true|false).
 */
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type KafkaGatewayProps,
  type StrataAuthorization,
  StrataCluster,
  type StrataConsoleProps,
} from '../lib/infra/index.js';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === '' ? undefined : String(v);
};

function authorization(): StrataAuthorization {
  if (ctx('authorization') !== 'jwt') return { type: 'iam' };
  const issuer = ctx('jwtIssuer');
  const audience = ctx('jwtAudience')?.split(',').filter(Boolean);
  if (!issuer || !audience?.length)
    throw new Error('authorization=jwt needs -c jwtIssuer=... -c jwtAudience=...');
  const scopes = ctx('jwtScopes')?.split(',').filter(Boolean);
  return { type: 'jwt', issuer, audience, ...(scopes ? { scopes } : {}) };
}

function kafkaGateway(scope: Stack): KafkaGatewayProps | undefined {
  if (ctx('kafkaGateway') !== 'true') return undefined;
  const certificateArn = ctx('kafkaCertificateArn');
  const secretArn = ctx('kafkaTlsSecretArn');
  if (!certificateArn === !secretArn) {
    throw new Error(
      'kafkaGateway=true needs exactly one of -c kafkaCertificateArn=<ACM certificate ARN> (TLS at the NLB) or -c kafkaTlsSecretArn=<secret ARN> (TLS passthrough)',
    );
  }
  const count = (key: string): number | undefined => {
    const raw = ctx(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${key} must be a positive integer, got ${raw}`);
    return n;
  };
  const domainName = ctx('kafkaDomain');
  const minTasks = count('kafkaMinTasks');
  const maxTasks = count('kafkaMaxTasks');
  return {
    tls: certificateArn
      ? {
          mode: 'nlb',
          certificate: Certificate.fromCertificateArn(scope, 'KafkaCertificate', certificateArn),
        }
      : {
          mode: 'passthrough',
          secret: Secret.fromSecretCompleteArn(scope, 'KafkaTlsSecret', secretArn as string),
        },
    ...(domainName ? { domainName } : {}),
    ...(minTasks ? { minTasks } : {}),
    ...(maxTasks ? { maxTasks } : {}),
    ...(ctx('kafkaSasl') === 'false' ? { sasl: false } : {}),
  };
}

function consoleProps(): StrataConsoleProps {
  const clientId = ctx('consoleClientId');
  const identityPoolId = ctx('consoleIdentityPoolId');
  if (clientId && identityPoolId)
    throw new Error('console: consoleClientId or consoleIdentityPoolId, not both');
  const scopes = ctx('jwtScopes')?.split(',').filter(Boolean);
  return {
    enabled: true,
    ...(clientId ? { signIn: { type: 'oidc', clientId, ...(scopes ? { scopes } : {}) } } : {}),
    ...(identityPoolId ? { signIn: { type: 'cognito-identity', identityPoolId } } : {}),
  };
}

const destroyData = ctx('dataRemoval') === 'destroy';
const stack = new Stack(app, ctx('stackName') ?? 'Strata', {
  description: 'Strata: a Kafka-model log on S3, DynamoDB and Lambda',
  // Region and account come from the CLI's credentials at deploy time; synth stays offline.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
new StrataCluster(stack, 'Strata', {
  clusterName: ctx('clusterName') ?? stack.stackName,
  authorization: authorization(),
  logLevel: (ctx('logLevel') as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
  kafkaGateway: kafkaGateway(stack),
  // ACLs on both front ends: -c acls=on [-c superUsers=User:a,User:b] (docs/security.md).
  ...(ctx('acls') === 'on'
    ? { acls: { enabled: true, superUsers: ctx('superUsers')?.split(',').filter(Boolean) ?? [] } }
    : {}),
  // The data plane without API Gateway's per-request fee: -c functionUrls=true (docs/deploy.md).
  ...(ctx('functionUrls') === 'true' ? { functionUrls: true } : {}),
  // The HTTP API refuses every mutation, and the console hides them: -c readOnly=true.
  ...(ctx('readOnly') === 'true' ? { readOnly: true } : {}),
  // The web console on CloudFront: -c console=true (docs/deploy.md "Console").
  ...(ctx('console') === 'true' ? { console: consoleProps() } : {}),
  ...(destroyData
    ? {
        bucketRemovalPolicy: RemovalPolicy.DESTROY,
        tableRemovalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
      }
    : {}),
});

// cdk-nag's AwsSolutions pack: an unacknowledged error fails synth (and so deploy).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
