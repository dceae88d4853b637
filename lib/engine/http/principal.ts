/**
 * Who is calling over HTTP. API Gateway has authenticated the caller before the function runs
 * (lib/infra/strata-cluster.ts: IAM SigV4 or a JWT authorizer) and put the result in the event:
 *
 * - IAM: `requestContext.authorizer.iam.userArn`, the caller's ARN -> `User:<arn>`;
 * - JWT: the claim `config.jwtPrincipalClaim` (default `sub`) of
 *   `requestContext.authorizer.jwt.claims` -> `User:<value>`;
 * - neither (an unauthenticated route, the local stack without a principal): `User:anonymous`.
 *
 * A Lambda Function URL with AuthType AWS_IAM (the produce and fetch URLs of StrataCluster's
 * `functionUrls`) is authenticated by Lambda, which puts the caller in the same place with the
 * same shape: `requestContext.authorizer.iam.userArn` (next to accessKey, accountId, callerId,
 * userId), so a caller is the same principal through the URL as through the HTTP API's IAM
 * authorizer. A Function URL never carries a JWT.
 *
 * Nothing a client sends in a header or body can name the principal; only the authorizer can.
 */
import { ANONYMOUS, type Principal, user } from '../principal.js';
import type { HttpEvent } from './api.js';

/**
 * The part of requestContext.authorizer that names the caller (payload format 2.0): API Gateway's
 * IAM or JWT authorizer, or a Function URL's AWS_IAM auth (`iam`, the same shape).
 */
export interface HttpAuthorizerContext {
  iam?: { userArn?: string | null };
  jwt?: { claims?: Record<string, string | number | boolean | string[]> };
}

export function httpPrincipal(event: HttpEvent, jwtPrincipalClaim: string): Principal {
  const authorizer = (event.requestContext as { authorizer?: HttpAuthorizerContext } | undefined)?.authorizer;
  const arn = authorizer?.iam?.userArn;
  if (typeof arn === 'string' && arn !== '') return user(arn);
  const claim = authorizer?.jwt?.claims?.[jwtPrincipalClaim];
  // A claim is a string or a number (API Gateway passes claims as strings); lists name no one.
  if ((typeof claim === 'string' && claim !== '') || typeof claim === 'number') return user(String(claim));
  return ANONYMOUS;
}

/** The client's address as API Gateway saw it (the host of an ACL binding). */
export function httpHost(event: HttpEvent): string {
  return event.requestContext?.http?.sourceIp || '*';
}
