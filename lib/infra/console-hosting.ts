/**
 * The web console in AWS (issue 13, StrataClusterProps.console): its static files in a private S3
 * bucket behind CloudFront with Origin Access Control, and the API and live tail on the same
 * origin (`/v1/tail*` -> the tail Function URL; `/v1/*`, `/healthz` -> the HTTP API), so the console
 * calls relative paths and needs no CORS. docs/deploy.md "Console", docs/decisions.md "Issue 13".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { buildConsole } from '../../console/build.js';

/** Where the console lives on its distribution; it calls the API at `/v1/...` and the tail at TAIL_PATH. */
export const CONSOLE_PATH = '/console/';
export const TAIL_PATH = '/v1/tail';

/** How the browser signs in, written to `/console/config.json` for the console to read. */
export type ConsoleSignIn =
  /** An OIDC client of the JWT authorizer's issuer (authorization: jwt): the browser sends Bearer tokens. */
  | { readonly type: 'oidc'; readonly clientId: string; readonly scopes?: readonly string[] }
  /**
   * A Cognito identity pool (authorization: iam): the browser exchanges a sign-in for temporary
   * credentials and signs each request with SigV4 (lib/client/sigv4.ts). Grant the pool's
   * authenticated role with `cluster.grantClientAccess(role)`.
   */
  | { readonly type: 'cognito-identity'; readonly identityPoolId: string };

export interface StrataConsoleProps {
  /** Host the console (a bucket, a CloudFront distribution and the deployment of the files). */
  readonly enabled: boolean;
  /** Sign-in settings handed to the console in config.json. Default: none (the console asks). */
  readonly signIn?: ConsoleSignIn;
  /**
   * Serve the console on your own domain: CloudFront then requires TLS 1.2 or later. The
   * certificate must be in us-east-1 (CloudFront's rule). Default: the *.cloudfront.net name.
   */
  readonly domain?: { readonly domainName: string; readonly certificate: acm.ICertificate };
  /** An AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) on the distribution. Default: none. */
  readonly webAclArn?: string;
  /**
   * The Content-Security-Policy of every response. Default CONSOLE_CSP, and with a JWT authorizer
   * its issuer's origin in connect-src (the browser fetches its discovery document and tokens).
   */
  readonly contentSecurityPolicy?: string;
}

/**
 * Same-origin scripts, styles and API calls; connections to AWS endpoints for sign-in (Cognito
 * user and identity pools, `*.amazonaws.com` and `*.amazoncognito.com`); no framing, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' https://*.amazonaws.com https://*.amazoncognito.com",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function consoleCsp(authorization: ConsoleHostingProps['authorization']): string {
  if (authorization.type !== 'jwt' || Token.isUnresolved(authorization.issuer)) return CONSOLE_CSP;
  const issuer = new URL(authorization.issuer).origin;
  return CONSOLE_CSP.replace("connect-src 'self'", `connect-src 'self' ${issuer}`);
}

/**
 * Viewer requests to the bucket: `/` and `/console` redirect to `/console/`, a directory gets its
 * index.html, and a path under /console/ without a file extension is the console's own route
 * (index.html answers it). Everything else is a key in the bucket.
 */
const REWRITE = `function handler(event) {
  var uri = event.request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (uri.endsWith('/')) event.request.uri = uri + 'index.html';
  else if (uri.startsWith('${CONSOLE_PATH}') && uri.slice(uri.lastIndexOf('/')).indexOf('.') === -1)
    event.request.uri = '${CONSOLE_PATH}index.html';
  return event.request;
}`;

export interface ConsoleHostingProps extends StrataConsoleProps {
  readonly clusterName: string;
  readonly api: apigw.HttpApi;
  readonly tailUrl: lambda.FunctionUrl;
  /** The cluster's server access log bucket: the console's buckets log into it. */
  readonly accessLogs: s3.IBucket;
  readonly accessLogDays: number;
  /** The cluster's bucket removal policy: the CloudFront log bucket follows the access-log bucket. */
  readonly logsRemovalPolicy: RemovalPolicy;
  /** The API's authorization, for config.json. */
  readonly authorization: { type: 'iam' } | { type: 'jwt'; issuer: string; scopes?: string[] };
}

export class StrataConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly deployment: s3deploy.BucketDeployment;
  /** The console's address: https://<domain>/console/. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.signIn?.type === 'oidc' && props.authorization.type !== 'jwt')
      throw new Error("StrataCluster: console.signIn 'oidc' needs authorization: { type: 'jwt', ... }");
    if (props.signIn?.type === 'cognito-identity' && props.authorization.type !== 'iam')
      throw new Error(
        "StrataCluster: console.signIn 'cognito-identity' needs authorization: { type: 'iam' }",
      );

    // Build output only, deployed again by every deploy: it goes with the stack (the deployment
    // empties it on delete, so no auto-delete function is needed).
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-bucket/',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudFront's standard logs are written with object ACLs: a bucket of their own that allows them.
    const cdnLogs = new s3.Bucket(this, 'CdnLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-cdn-logs-bucket/',
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: props.logsRemovalPolicy,
      autoDeleteObjects: props.logsRemovalPolicy === RemovalPolicy.DESTROY,
    });

    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Strata ${props.clusterName}: console security headers`,
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentSecurityPolicy: {
          contentSecurityPolicy: props.contentSecurityPolicy ?? consoleCsp(props.authorization),
          override: true,
        },
      },
    });

    // The API and the tail: never cached, every viewer header (Authorization, X-Amz-*) and query
    // string forwarded, Host set to the origin's (what API Gateway and Lambda route and verify by).
    const passThrough = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
    };
    const apiHost = `${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    const apiOrigin = new origins.HttpOrigin(apiHost, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // The functions answer within 28 s (a long poll waits up to 20 s): the HTTP API's 30 s.
      readTimeout: Duration.seconds(30),
    });
    // No OAC on the tail: OAC would sign every request as CloudFront, so anyone reaching the
    // distribution could tail any topic. The viewer signs (SigV4, service lambda, for the Function
    // URL's host) and CloudFront passes the signature through.
    const tailOrigin = new origins.FunctionUrlOrigin(props.tailUrl, {
      // Between two chunks of the stream: the tail writes at least a keepalive per long poll.
      readTimeout: Duration.seconds(60),
    });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      ...passThrough,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Strata ${props.clusterName}: web console`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessLevels: [cloudfront.AccessLevel.READ],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        functionAssociations: [
          {
            eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
            function: new cloudfront.Function(this, 'Rewrite', {
              comment: 'Strata console: /console/ paths to their files',
              code: cloudfront.FunctionCode.fromInline(REWRITE),
              runtime: cloudfront.FunctionRuntime.JS_2_0,
            }),
          },
        ],
      },
      // In order: CloudFront takes the first pattern that matches, so the tail precedes /v1/*.
      additionalBehaviors: {
        [`${TAIL_PATH}*`]: {
          origin: tailOrigin,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          ...passThrough,
        },
        '/v1/*': apiBehavior,
        '/healthz': apiBehavior,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      enableLogging: true,
      logBucket: cdnLogs,
      logFilePrefix: 'console/',
      ...(props.domain
        ? {
            domainNames: [props.domain.domainName],
            certificate: props.domain.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    const host = props.domain?.domainName ?? this.distribution.distributionDomainName;
    this.url = `https://${host}${CONSOLE_PATH}`;

    // The files, built now (synth) by the console's own build, plus the settings it reads at start.
    const built = mkdtempSync(join(tmpdir(), 'strata-console-'));
    buildConsole(built);
    const files = new s3assets.Asset(this, 'Build', { path: built });
    // Staging copied the files into the cloud assembly; unless staging is off (the asset then
    // points at the directory itself), the temporary directory has served.
    if (!this.node.tryGetContext(cxapi.DISABLE_ASSET_STAGING_CONTEXT))
      rmSync(built, { recursive: true, force: true });
    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [
        s3deploy.Source.bucket(files.bucket, files.s3ObjectKey),
        s3deploy.Source.jsonData('config.json', {
          apiBase: '/v1',
          tailPath: TAIL_PATH,
          region: stack.region,
          authorization: props.authorization.type,
          ...(props.authorization.type === 'jwt' ? { issuer: props.authorization.issuer } : {}),
          ...(props.signIn ? { signIn: props.signIn } : {}),
          // SigV4 signs the Host header: through CloudFront the origin sees its own host, so a
          // browser signs for these (and sends the request to the relative path).
          signingHosts: {
            api: apiHost,
            tail: tailHost(props.tailUrl),
          },
        }),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      retainOnDelete: false,
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
      memoryLimit: 256,
    });

    this.acknowledgeNag(props, files);
    new CfnOutput(scope, 'ConsoleUrl', { value: this.url, description: 'Strata web console (CloudFront)' });
  }

  private acknowledgeNag(props: StrataConsoleProps, files: s3assets.Asset): void {
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Operators sign in from anywhere, as they reach the HTTP API; IAM or JWT decides who gets in.',
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'Every API and tail request is authenticated (SigV4 or JWT) at its origin and the files are public build output; console.webAclArn adds a web ACL.',
      });
    }
    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate allows TLSv1 whatever the policy; console.domain (a us-east-1 certificate) gets TLSv1.2_2021.',
      });
    }
    // The deployment's handler: one function per stack, shared by every BucketDeployment, its
    // role granted by BucketDeployment itself (read the asset, write and prune the bucket,
    // invalidate the distribution). Acknowledged finding by finding, so that a new one still fails.
    const stack = Stack.of(this);
    const assetObjects = nagText(stack.resolve(`arn:${stack.partition}:s3:::${files.s3BucketName}/*`));
    const filesArn = `<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const wildcards = [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::${assetObjects}`,
      `Resource::${filesArn}/*`,
      // cloudfront:CreateInvalidation / GetInvalidation have no resource-level permissions.
      'Resource::*',
    ];
    const handler = stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    for (const scope of handler) {
      Validations.of(scope).acknowledge(
        ...wildcards.map((finding) => ({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason:
            "CDK's BucketDeployment handler: read the console's asset, write and prune the console bucket, invalidate the distribution (no resource-level permissions).",
        })),
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "CDK's BucketDeployment handler: the basic execution policy (its CloudWatch Logs) is CDK's.",
        },
        {
          id: 'AwsSolutions-L1',
          reason: "CDK's BucketDeployment handler: its runtime is CDK's choice and moves with aws-cdk-lib.",
        },
      );
    }
  }
}

/** A resolved CloudFormation value as cdk-nag names it in a finding: `<Ref>`, `<Id.Attr>`. */
// biome-ignore lint/suspicious/noExplicitAny: resolved CloudFormation values.
function nagText(value: any): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `<${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(nagText).join(value['Fn::Join'][0]);
  if (value['Fn::Sub']) return String(value['Fn::Sub']).replace(/\$\{([^}]+)\}/g, '<$1>');
  return JSON.stringify(value);
}

/** The host of a Function URL (`https://<id>.lambda-url.<region>.on.aws/`), as a token. */
function tailHost(url: lambda.FunctionUrl): string {
  return Fn.select(2, Fn.split('/', url.url));
}
