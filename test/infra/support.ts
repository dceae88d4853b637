import { randomUUID } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { matchRoute, ROUTES } from '../../lib/contract/routes.js';
import type { HttpEvent } from '../../lib/engine/http/api.js';
import { StrataCluster, type StrataClusterProps } from '../../lib/infra/strata-cluster.js';

export interface SynthesizedCluster {
  app: App;
  stack: Stack;
  cluster: StrataCluster;
  template: Template;
}

/**
 * One StrataCluster in one stack. Without `bundle`, NodejsFunction skips esbuild (the CLI's own
 * `aws:cdk:bundling-stacks` switch): the template is the same, minus the bundled code.
 */
export function synthCluster(
  props: StrataClusterProps = {},
  options: { bundle?: boolean; outdir?: string } = {},
): SynthesizedCluster {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'StrataTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const cluster = new StrataCluster(stack, 'Strata', props);
  return { app, stack, cluster, template: Template.fromStack(stack) };
}

/** cdk-nag's AwsSolutions errors on the whole app, each as `rule: construct paths`. */
export function nagErrors(s: SynthesizedCluster): string[] {
  return new AwsSolutionsChecks(s.app)
    .validateScope(s.app)
    .violations.filter((v) => v.severity === 'error')
    .map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

/** The event API Gateway (HTTP API, payload 2.0) hands a function for this request. */
export function httpEvent(
  method: string,
  path: string,
  options: {
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
    /** A binary body: base64-encoded in the event, as API Gateway passes one. */
    rawBody?: Uint8Array;
  } = {},
): HttpEvent {
  const match = matchRoute(ROUTES, method, path);
  const routeKey = match && !('methodNotAllowed' in match) ? match.routeKey : '$default';
  const pathParameters = match && !('methodNotAllowed' in match) ? match.pathParameters : undefined;
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: `req-${randomUUID()}`,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(options.rawBody
      ? { body: Buffer.from(options.rawBody).toString('base64'), isBase64Encoded: true }
      : body === undefined
        ? { isBase64Encoded: false }
        : { body, isBase64Encoded: false }),
  };
}

/** The IAM caller functionUrlEvent names unless told otherwise. */
export const FUNCTION_URL_CALLER = 'arn:aws:sts::123456789012:assumed-role/App/session-1';

/** The event a Function URL with AuthType AWS_IAM hands its function (AWS's documented shape). */
export function functionUrlEvent(
  method: string,
  path: string,
  options: { query?: Record<string, string>; body?: unknown; caller?: string; base64?: boolean } = {},
): HttpEvent {
  const text = options.body === undefined ? undefined : JSON.stringify(options.body);
  const body = text !== undefined && options.base64 ? Buffer.from(text).toString('base64') : text;
  const host = 'abcdefghij.lambda-url.eu-west-1.on.aws';
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { host, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdefghij',
      authentication: null,
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLE:session-1',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: options.caller ?? FUNCTION_URL_CALLER,
          userId: 'AROAEXAMPLE:session-1',
        },
      },
      domainName: host,
      domainPrefix: 'abcdefghij',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '07/Dec/2026:00:00:00 +0000',
      timeEpoch: now,
    },
    // Function URLs send null for both.
    pathParameters: null,
    stageVariables: null,
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 === true,
  } as unknown as HttpEvent;
}
