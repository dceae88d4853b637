#!/usr/bin/env node
/**
 * The ready-to-deploy CDK app: one stack holding one StrataCluster.
 *
 *   npm run synth            # offline; writes cdk.out/
 *   npm run deploy           # needs credentials and a bootstrapped account (cdk bootstrap)
 *   npm run destroy          # tables and bucket are retained unless configured otherwise
 *
 * Context (cdk.json or -c key=value): stackName, clusterName, authorization (iam|jwt),
 * jwtIssuer, jwtAudience (comma-separated), jwtScopes, logLevel, dataRemoval (retain|destroy).
 */
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type StrataAuthorization, StrataCluster } from '../lib/infra/index.js';

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
