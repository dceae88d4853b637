/**
 * The hosted web console (issue 13, StrataClusterProps.console): a private bucket read by CloudFront
 * through Origin Access Control, the API and the live tail on the same origin, security headers,
 * the deployment of the built files, and nothing of it when the option is off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_PATH, TAIL_PATH } from '../../lib/infra/console-hosting.js';
import { nagErrors, type SynthesizedCluster, synthCluster } from './support.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is read freely and asserted on.
type Json = any;

const CONSOLE_TYPES = [
  'AWS::CloudFront::Distribution',
  'AWS::CloudFront::OriginAccessControl',
  'AWS::CloudFront::ResponseHeadersPolicy',
  'AWS::CloudFront::Function',
  'Custom::CDKBucketDeployment',
];

let on: SynthesizedCluster;
let resources: Record<string, Json>;

const ofType = (json: Record<string, Json>, type: string): [string, Json][] =>
  Object.entries(json).filter(([, r]) => r.Type === type);
const idOf = (s: SynthesizedCluster, construct: { node: { defaultChild?: unknown } }) =>
  s.stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  on = synthCluster({ console: { enabled: true } });
  resources = on.template.toJSON().Resources;
});

function distribution(): Json {
  const found = ofType(resources, 'AWS::CloudFront::Distribution');
  expect(found).toHaveLength(1);
  return (found[0] as [string, Json])[1].Properties.DistributionConfig;
}
const behavior = (pattern: string): Json =>
  distribution().CacheBehaviors.find((b: Json) => b.PathPattern === pattern);
const origin = (id: string): Json => distribution().Origins.find((o: Json) => o.Id === id);

describe('console off (the default)', () => {
  it('no distribution, origin access control, deployment or console bucket', () => {
    for (const props of [{}, { console: { enabled: false } }]) {
      const off = synthCluster(props);
      const json = off.template.toJSON();
      for (const type of CONSOLE_TYPES) expect(ofType(json.Resources, type), type).toEqual([]);
      // The segment and access-log buckets only.
      expect(ofType(json.Resources, 'AWS::S3::Bucket')).toHaveLength(2);
      expect(off.cluster.console).toBeUndefined();
      expect(Object.keys(json.Outputs).filter((k) => k.includes('ConsoleUrl'))).toEqual([]);
    }
  });
});

describe('console on', () => {
  it('the files bucket: private, TLS only, encrypted, access-logged', () => {
    const bucket = resources[idOf(on, on.cluster.console?.bucket as never)].Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({ SSEAlgorithm: 'AES256' });
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucket.LoggingConfiguration.LogFilePrefix).toBe('console-bucket/');
    // No website hosting: CloudFront reads objects through the S3 REST API.
    expect(bucket.WebsiteConfiguration).toBeUndefined();
  });

  it('an origin access control: S3, always signing with SigV4', () => {
    const oacs = ofType(resources, 'AWS::CloudFront::OriginAccessControl');
    expect(oacs).toHaveLength(1);
    const [oacId, oac] = oacs[0] as [string, Json];
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const s3Origin = origin(distribution().DefaultCacheBehavior.TargetOriginId);
    expect(s3Origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    // Not the legacy origin access identity.
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(ofType(resources, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual([]);
  });

  it('the bucket policy: s3:GetObject for cloudfront.amazonaws.com from this distribution only; TLS denied otherwise', () => {
    const bucketId = idOf(on, on.cluster.console?.bucket as never);
    const distributionId = idOf(on, on.cluster.console?.distribution as never);
    const [[, policy]] = ofType(resources, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => p.Properties.Bucket.Ref === bucketId,
    ) as [[string, Json]];
    const statements: Json[] = policy.Properties.PolicyDocument.Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    const [allow] = allows;
    expect(allow.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(allow.Action).toBe('s3:GetObject');
    expect(JSON.stringify(allow.Resource)).toContain(bucketId);
    const sourceArn = JSON.stringify(allow.Condition.StringEquals['AWS:SourceArn']);
    expect(sourceArn).toContain(':distribution/');
    expect(sourceArn).toContain(distributionId);
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies.some((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
  });

  it('viewers: HTTPS only (the files redirect, the API and tail refuse HTTP), security headers everywhere', () => {
    const d = distribution();
    expect(d.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(d.CacheBehaviors.length).toBeGreaterThan(0);
    for (const b of d.CacheBehaviors) expect(b.ViewerProtocolPolicy, b.PathPattern).toBe('https-only');
    const [[policyId, policy]] = ofType(resources, 'AWS::CloudFront::ResponseHeadersPolicy') as [
      [string, Json],
    ];
    for (const b of [d.DefaultCacheBehavior, ...d.CacheBehaviors])
      expect(b.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toContain("connect-src 'self'");
    // Every origin over TLS 1.2.
    for (const o of d.Origins.filter((x: Json) => x.CustomOriginConfig)) {
      expect(o.CustomOriginConfig).toMatchObject({
        OriginProtocolPolicy: 'https-only',
        OriginSSLProtocols: ['TLSv1.2'],
      });
    }
  });

  it('the console: under /console/ (/ redirects there), served from the bucket, cached', () => {
    const d = distribution();
    expect(d.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    // Managed-CachingOptimized.
    expect(d.DefaultCacheBehavior.CachePolicyId).toBe('658327ea-f89d-4fab-a63d-7e88639e58f6');
    const [[fnId, fn]] = ofType(resources, 'AWS::CloudFront::Function') as [[string, Json]];
    expect(d.DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } },
    ]);
    // The viewer-request function, run as CloudFront would.
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (e: Json) => Json;
    const run = (uri: string) => handler({ request: { uri } });
    expect(run('/').headers.location.value).toBe(CONSOLE_PATH);
    expect(run('/console').statusCode).toBe(302);
    expect(run('/console/').uri).toBe('/console/index.html');
    expect(run('/console/topics/orders').uri).toBe('/console/index.html');
    expect(run('/console/assets/app.js').uri).toBe('/console/assets/app.js');
  });

  it('/v1/* (and /healthz) go to the HTTP API: all methods, not cached, every viewer header but Host', () => {
    const apiId = idOf(on, on.cluster.api);
    for (const pattern of ['/v1/*', '/healthz']) {
      const b = behavior(pattern);
      expect(b, pattern).toBeDefined();
      expect(b.AllowedMethods.sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
      // Managed-CachingDisabled and Managed-AllViewerExceptHostHeader (Authorization, X-Amz-*,
      // query strings reach the API; Host is the API's own, which SigV4 and API Gateway need).
      expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
      const o = origin(b.TargetOriginId);
      expect(JSON.stringify(o.DomainName)).toContain(apiId);
      expect(JSON.stringify(o.DomainName)).toContain('.execute-api.');
    }
  });

  it(`${TAIL_PATH}* goes to the live tail's Function URL, not cached, the viewer's SigV4 passed through`, () => {
    const b = behavior(`${TAIL_PATH}*`);
    expect(b).toBeDefined();
    // CloudFront takes the first matching pattern: the tail must come before /v1/*.
    const patterns = (distribution().CacheBehaviors as Json[]).map((x) => x.PathPattern);
    expect(patterns.indexOf(`${TAIL_PATH}*`)).toBeLessThan(patterns.indexOf('/v1/*'));
    expect(b.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const o = origin(b.TargetOriginId);
    const urlId = on.stack.getLogicalId(on.cluster.tailUrl.node.defaultChild as never);
    expect(o.DomainName).toEqual({
      'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [urlId, 'FunctionUrl'] }] }],
    });
    // The tail URL stays AWS_IAM, with no OAC: CloudFront does not sign as itself, so the caller
    // is still the viewer, and no resource policy lets CloudFront invoke the tail.
    expect(o.OriginAccessControlId).toBeUndefined();
    const [[, url]] = ofType(resources, 'AWS::Lambda::Url').filter(([id]) => id === urlId) as [
      [string, Json],
    ];
    expect(url.Properties).toMatchObject({ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    const permissions = ofType(resources, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions.filter((p) => p.Principal === 'cloudfront.amazonaws.com')).toEqual([]);
    expect(o.CustomOriginConfig.OriginReadTimeout).toBe(60);
  });

  it('logs to a bucket of its own (CloudFront standard logs need ACLs), private and TLS only', () => {
    const logging = distribution().Logging;
    const logsId = logging.Bucket['Fn::GetAtt'][0];
    const logs = resources[logsId].Properties;
    expect(logs.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerPreferred' }]);
    expect(logs.PublicAccessBlockConfiguration.BlockPublicAcls).toBe(true);
    expect(logs.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    expect(logs.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(90);
  });

  it('a BucketDeployment of the built files and config.json to console/, invalidating /console/*', () => {
    const deployments = ofType(resources, 'Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(1);
    const [[, deployment]] = deployments as [[string, Json]];
    expect(deployment.Properties).toMatchObject({
      DestinationBucketName: { Ref: idOf(on, on.cluster.console?.bucket as never) },
      DestinationBucketKeyPrefix: 'console/',
      Prune: true,
      RetainOnDelete: false,
      DistributionId: { Ref: idOf(on, on.cluster.console?.distribution as never) },
      DistributionPaths: ['/console/*'],
    });
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
  });

  it('the deployed assets: the console built at synth, and config.json naming paths, region and signing hosts', () => {
    const assembly = on.app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'StrataTest.assets.json'), 'utf8'));
    const dirs = Object.values(manifest.files as Record<string, Json>)
      .filter((f) => f.source.packaging === 'zip')
      .map((f) => join(assembly.directory, f.source.path));
    const read = (file: string) =>
      dirs.flatMap((d) => (existsSync(join(d, file)) ? [readFileSync(join(d, file), 'utf8')] : []));
    const [html, ...moreHtml] = read('index.html');
    expect(moreHtml).toEqual([]);
    expect(html).toContain('<');
    const [config] = read('config.json');
    expect(config).toBeDefined();
    const parsed = JSON.parse(config as string);
    expect(parsed).toMatchObject({
      apiBase: '/v1',
      tailPath: TAIL_PATH,
      region: 'eu-west-1',
      authorization: 'iam',
    });
    // Deploy-time values (the API id, the tail URL) are markers the deployment fills in.
    expect(parsed.signingHosts.api).toMatch(/execute-api\.eu-west-1\./);
    expect(parsed.signingHosts.tail).toMatch(/<<marker:/);
  });

  it('outputs the console URL', () => {
    const outputs = on.template.toJSON().Outputs as Record<string, Json>;
    const [url] = Object.entries(outputs).filter(([k]) => k.includes('ConsoleUrl'));
    expect(url).toBeDefined();
    expect(JSON.stringify(url?.[1].Value)).toContain('/console/');
    expect(on.cluster.console?.url).toMatch(/^https:\/\/.+\/console\/$/);
  });

  it('sign-in settings must match the API authorization', () => {
    expect(() =>
      synthCluster({ console: { enabled: true, signIn: { type: 'oidc', clientId: 'abc' } } }),
    ).toThrow(/oidc/);
    expect(() =>
      synthCluster({
        authorization: { type: 'jwt', issuer: 'https://issuer.example.com/', audience: ['strata'] },
        console: { enabled: true, signIn: { type: 'cognito-identity', identityPoolId: 'eu-west-1:x' } },
      }),
    ).toThrow(/cognito-identity/);
  });
});

describe('cdk-nag AwsSolutions with the console', () => {
  const violations = (s: SynthesizedCluster) =>
    new AwsSolutionsChecks(s.app).validateScope(s.app).violations.map((v) => `${v.severity} ${v.ruleName}`);

  it('no errors and no warnings (each finding acknowledged with its reason)', () => {
    expect(nagErrors(on)).toEqual([]);
    expect(violations(on)).toEqual([]);
  });

  it('with DESTROY removal: none either; the CloudFront log bucket goes with the access logs', () => {
    const s = synthCluster({ console: { enabled: true }, bucketRemovalPolicy: RemovalPolicy.DESTROY });
    expect(violations(s)).toEqual([]);
    const json = s.template.toJSON().Resources as Record<string, Json>;
    const logsId = idOf(s, s.cluster.console?.distribution as never);
    const logBucket = json[json[logsId].Properties.DistributionConfig.Logging.Bucket['Fn::GetAtt'][0]];
    expect(logBucket.DeletionPolicy).toBe('Delete');
    expect(resources[distribution().Logging.Bucket['Fn::GetAtt'][0]].DeletionPolicy).toBe('Retain');
  });

  it('with JWT, a custom domain and a web ACL: none either, and TLS 1.2 for viewers', () => {
    const s = synthCluster({
      authorization: { type: 'jwt', issuer: 'https://issuer.example.com/', audience: ['strata'] },
      console: { enabled: true, signIn: { type: 'oidc', clientId: 'console' } },
    });
    expect(violations(s)).toEqual([]);
    const [[, headers]] = ofType(s.template.toJSON().Resources, 'AWS::CloudFront::ResponseHeadersPolicy') as [
      [string, Json],
    ];
    expect(
      headers.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy
        .ContentSecurityPolicy,
    ).toContain("connect-src 'self' https://issuer.example.com ");
    const custom = synthCluster({
      console: {
        enabled: true,
        signIn: { type: 'cognito-identity', identityPoolId: 'eu-west-1:0000' },
        domain: {
          domainName: 'console.example.com',
          certificate: Certificate.fromCertificateArn(
            new Stack(),
            'Cert',
            'arn:aws:acm:us-east-1:123456789012:certificate/abc',
          ),
        },
        webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/strata/abc',
      },
    });
    expect(violations(custom)).toEqual([]);
    const [[, d]] = ofType(custom.template.toJSON().Resources, 'AWS::CloudFront::Distribution') as [
      [string, Json],
    ];
    expect(d.Properties.DistributionConfig.Aliases).toEqual(['console.example.com']);
    expect(d.Properties.DistributionConfig.ViewerCertificate.MinimumProtocolVersion).toBe('TLSv1.2_2021');
    expect(d.Properties.DistributionConfig.WebACLId).toContain('wafv2');
  });
});
