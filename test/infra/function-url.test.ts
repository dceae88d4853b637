/**
 * StrataCluster's `functionUrls`: the produce and fetch functions answer a Lambda Function URL event
 * (payload format 2.0, routeKey `$default`, no pathParameters, the caller in
 * requestContext.authorizer.iam) exactly as they answer API Gateway's, on the local stack.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../functions/fetch.js';
import { createProduceHandler } from '../../functions/produce.js';
import { createTopicsHandler } from '../../functions/topics.js';
import type { Engine } from '../../lib/engine/engine.js';
import type { HttpEvent, HttpHandler } from '../../lib/engine/http/api.js';
import { routedEvent } from '../../lib/engine/http/routing.js';
import { createTestEngine } from '../support/stack.js';
import { FUNCTION_URL_CALLER as CALLER, functionUrlEvent, httpEvent } from './support.js';

/** The API Gateway event of the same request, with its IAM authorizer's caller. */
function apiGatewayEvent(
  method: string,
  path: string,
  options: { query?: Record<string, string>; body?: unknown; caller?: string } = {},
): HttpEvent {
  const event = httpEvent(method, path, options);
  return {
    ...event,
    requestContext: { ...event.requestContext, authorizer: { iam: { userArn: options.caller ?? CALLER } } },
  } as HttpEvent;
}

const parsed = async (res: Promise<{ statusCode: number; body?: string }>) => {
  const r = await res;
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
};

describe('Function URL events', () => {
  let engine: Engine;
  let produce: HttpHandler;
  let fetch: HttpHandler;
  const topic = `fu-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    engine = await createTestEngine();
    const created = await createTopicsHandler(engine)(
      httpEvent('POST', '/v1/topics', { body: { name: topic, partitions: 2 } }),
    );
    expect(created.statusCode, created.body).toBe(201);
    produce = createProduceHandler(engine);
    fetch = createFetchHandler(engine);
  });

  it('produce: routed by method + rawPath and answered as through API Gateway', async () => {
    const body = { records: [{ key: 'k', value: 'a', partition: 0 }] };
    const viaApi = await parsed(produce(apiGatewayEvent('POST', `/v1/topics/${topic}/records`, { body })));
    const viaUrl = await parsed(produce(functionUrlEvent('POST', `/v1/topics/${topic}/records`, { body })));
    expect(viaApi).toEqual({ status: 200, body: { offsets: [{ partition: 0, offset: '0' }] } });
    expect(viaUrl).toEqual({ status: 200, body: { offsets: [{ partition: 0, offset: '1' }] } });
    // A binary-typed body arrives base64-encoded; it is decoded as through API Gateway.
    const base64 = await parsed(
      produce(functionUrlEvent('POST', `/v1/topics/${topic}/records`, { body, base64: true })),
    );
    expect(base64).toEqual({ status: 200, body: { offsets: [{ partition: 0, offset: '2' }] } });
    // The other produce route, which has no path parameters.
    const producer = await parsed(produce(functionUrlEvent('POST', '/v1/producers', { body: {} })));
    expect(producer.status).toBe(200);
    expect(producer.body).toMatchObject({ producerId: expect.anything(), producerEpoch: 0 });
  });

  it('fetch: the same records, offsets and answer shape as through API Gateway', async () => {
    const path = `/v1/topics/${topic}/partitions/0/records`;
    const query = { offset: '0', maxRecords: '10' };
    const viaApi = await parsed(fetch(apiGatewayEvent('GET', path, { query })));
    const viaUrl = await parsed(fetch(functionUrlEvent('GET', path, { query })));
    expect(viaApi.status).toBe(200);
    expect(viaUrl).toEqual(viaApi);
    expect(viaUrl.body.records.map((r: { value: string }) => r.value)).toEqual(['a', 'a', 'a']);
    const offsets = `/v1/topics/${topic}/partitions/0/offsets`;
    const latestApi = await parsed(fetch(apiGatewayEvent('GET', offsets, { query: { at: 'latest' } })));
    const latestUrl = await parsed(fetch(functionUrlEvent('GET', offsets, { query: { at: 'latest' } })));
    expect(latestUrl).toEqual({ status: 200, body: { offset: '3' } });
    expect(latestUrl).toEqual(latestApi);
  });

  it('errors are the same typed errors (validation, unknown topic)', async () => {
    const path = `/v1/topics/${topic}/partitions/9/records`;
    const bad = { query: { offset: 'x' } };
    expect(await parsed(fetch(functionUrlEvent('GET', path, bad)))).toEqual(
      await parsed(fetch(apiGatewayEvent('GET', path, bad))),
    );
    const missing = '/v1/topics/no-such-topic/records';
    const body = { records: [{ value: 'x' }] };
    const viaUrl = await parsed(produce(functionUrlEvent('POST', missing, { body })));
    expect(viaUrl.status).toBe(404);
    expect(viaUrl.body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(viaUrl).toEqual(await parsed(produce(apiGatewayEvent('POST', missing, { body }))));
  });

  it("a route of another function is 404, a known path with another method 405 (the URL serves its group's routes)", async () => {
    const other = await parsed(produce(functionUrlEvent('POST', '/v1/topics', { body: { name: 'x' } })));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    const fetchRoute = await parsed(
      produce(functionUrlEvent('GET', `/v1/topics/${topic}/partitions/0/records`)),
    );
    expect(fetchRoute.status).toBe(404);
    const wrongMethod = await parsed(produce(functionUrlEvent('GET', `/v1/topics/${topic}/records`)));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect((await parsed(fetch(functionUrlEvent('GET', '/nowhere')))).status).toBe(404);
  });

  it('routedEvent fills routeKey and pathParameters (still URL-encoded), and leaves routed events alone', () => {
    const routed = routedEvent(functionUrlEvent('GET', '/v1/topics/a%2Eb/partitions/3/offsets'), 'fetch');
    expect(routed.routeKey).toBe('GET /v1/topics/{topic}/partitions/{partition}/offsets');
    expect(routed.requestContext.routeKey).toBe(routed.routeKey);
    expect(routed.pathParameters).toEqual({ topic: 'a%2Eb', partition: '3' });
    const viaApi = apiGatewayEvent('GET', '/v1/topics/t/partitions/0/offsets');
    expect(routedEvent(viaApi, 'fetch')).toBe(viaApi);
    const unknown = functionUrlEvent('GET', '/v1/groups');
    expect(routedEvent(unknown, 'fetch')).toBe(unknown);
  });

  it('with ACLs: the Function URL caller is User:<its ARN>, the same principal as through the HTTP API', async () => {
    const acled = await createTestEngine({ authEnabled: true });
    const t = `acl-${randomUUID().slice(0, 8)}`;
    await acled.acls.create({
      principal: 'User:*',
      host: '*',
      resourceType: 'CLUSTER',
      resourceName: 'kafka-cluster',
      patternType: 'LITERAL',
      operation: 'ALL',
      permission: 'ALLOW',
    });
    const created = await createTopicsHandler(acled)(
      apiGatewayEvent('POST', '/v1/topics', { body: { name: t, partitions: 1 } }),
    );
    expect(created.statusCode, created.body).toBe(201);
    await acled.acls.create({
      principal: `User:${CALLER}`,
      host: '*',
      resourceType: 'TOPIC',
      resourceName: t,
      patternType: 'LITERAL',
      operation: 'WRITE',
      permission: 'ALLOW',
    });
    const secured = createProduceHandler(acled);
    const body = { records: [{ value: 'v' }] };
    const path = `/v1/topics/${t}/records`;
    expect((await parsed(secured(functionUrlEvent('POST', path, { body })))).status).toBe(200);
    expect((await parsed(secured(apiGatewayEvent('POST', path, { body })))).status).toBe(200);
    const stranger = 'arn:aws:iam::123456789012:user/stranger';
    const refused = await parsed(secured(functionUrlEvent('POST', path, { body, caller: stranger })));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(refused).toEqual(await parsed(secured(apiGatewayEvent('POST', path, { body, caller: stranger }))));
  });
});
