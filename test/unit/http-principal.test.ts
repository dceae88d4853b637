/** lib/engine/http/principal.ts: who an HTTP request is, from what API Gateway's authorizer put in the event. */
import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lib/engine/http/api.js';
import { httpHost, httpPrincipal } from '../../lib/engine/http/principal.js';
import { principalName } from '../../lib/engine/principal.js';

function event(authorizer?: unknown, sourceIp = '192.0.2.7'): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'GET /v1/topics',
    rawPath: '/v1/topics',
    rawQueryString: '',
    headers: { 'x-strata-local-principal': 'admin', authorization: 'Bearer x' },
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'd',
      domainPrefix: 'd',
      http: { method: 'GET', path: '/v1/topics', protocol: 'HTTP/1.1', sourceIp, userAgent: 'vitest' },
      requestId: 'r',
      routeKey: 'GET /v1/topics',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(authorizer === undefined ? {} : { authorizer }),
    },
    isBase64Encoded: false,
  } as HttpEvent;
}

const name = (e: HttpEvent, claim = 'sub') => principalName(httpPrincipal(e, claim));

describe('httpPrincipal', () => {
  it('an IAM caller is User:<its ARN>', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/App/session-1';
    expect(name(event({ iam: { userArn: arn, accountId: '123456789012' } }))).toBe(`User:${arn}`);
  });

  it('a JWT caller is User:<the configured claim>, sub by default', () => {
    const jwt = { jwt: { claims: { sub: 'u-42', email: 'alice@example.com' }, scopes: null } };
    expect(name(event(jwt))).toBe('User:u-42');
    expect(name(event(jwt), 'email')).toBe('User:alice@example.com');
    expect(name(event({ jwt: { claims: { sub: 7 } } }))).toBe('User:7');
  });

  it('without an authorizer, or without the claim, it is User:anonymous; headers never name anyone', () => {
    expect(name(event())).toBe('User:anonymous');
    expect(name(event({ jwt: { claims: { email: 'a@b' } } }))).toBe('User:anonymous');
    expect(name(event({ jwt: { claims: { sub: '' } } }))).toBe('User:anonymous');
    expect(name(event({ jwt: { claims: { sub: ['a', 'b'] } } }))).toBe('User:anonymous');
    expect(name(event({ iam: { userArn: null } }))).toBe('User:anonymous');
  });

  it('IAM wins when both are present (API Gateway gives one authorizer per route)', () => {
    expect(name(event({ iam: { userArn: 'arn:aws:iam::1:user/a' }, jwt: { claims: { sub: 'b' } } }))).toBe(
      'User:arn:aws:iam::1:user/a',
    );
  });

  it('the host is the source address', () => {
    expect(httpHost(event(undefined, '10.1.2.3'))).toBe('10.1.2.3');
  });
});
