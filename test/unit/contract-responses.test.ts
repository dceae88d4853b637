/**
 * The real handlers answer what the contract says: every route is called over HTTP (local server,
 * emulators) and its body is parsed with the route's response schema. A schema strips keys it does
 * not know, so "parses to itself" also catches a field the server sends that the contract lacks.
 */
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { parseTailRequest } from '../../functions/tail.js';
import { ENDPOINTS } from '../../lib/contract/endpoints.js';
import { ERRORS, isErrorCode } from '../../lib/contract/errors.js';
import { encodeUncompressedBatch, RECORD_BATCH_CONTENT_TYPE } from '../../lib/contract/record-batch.js';
import type { RouteKey } from '../../lib/contract/routes.js';
import { errorResponse } from '../../lib/contract/schemas.js';
import { InvalidRequestError } from '../../lib/engine/errors.js';
import type { HttpEvent } from '../../lib/engine/http/api.js';
import { type JsonBody, useTestServer } from '../support/stack.js';

const ctx = useTestServer();
const seen = new Set<RouteKey>();

/** Calls a route and checks status and body against its endpoint contract. */
async function call(
  key: RouteKey,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<JsonBody> {
  const method = key.slice(0, key.indexOf(' '));
  const res = await ctx.http.request(method, path, body, headers);
  const endpoint: {
    status: number;
    response?: z.ZodMiniType;
    binary?: { request?: string; response?: string };
  } = ENDPOINTS[key];
  expect(res.status, `${key}: ${JSON.stringify(res.body)}`).toBe(endpoint.status);
  if (endpoint.binary?.response) {
    expect(res.headers.get('content-type'), key).toBe(endpoint.binary.response);
  } else if (endpoint.response) {
    const parsed = endpoint.response.safeParse(res.body);
    expect(parsed.success, `${key}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    expect(parsed.data, `${key} sends only the fields of its schema`).toEqual(res.body);
  } else {
    expect(res.body).toBeUndefined();
  }
  seen.add(key);
  return res.body;
}

describe('every route answers its response schema', () => {
  it('walks through topics, produce, fetch and groups', async () => {
    await call('GET /healthz', '/healthz');
    expect(await call('GET /v1/cluster', '/v1/cluster')).toEqual({ readOnly: false, authorization: false });
    await call('POST /v1/topics', '/v1/topics', {
      name: 'contract',
      partitions: 2,
      config: { 'retention.ms': '86400000' },
    });
    await call('GET /v1/topics', '/v1/topics');
    await call('POST /v1/topics/{topic}/partitions', '/v1/topics/contract/partitions', { count: 3 });
    await call('POST /v1/topics/{topic}/configs', '/v1/topics/contract/configs', {
      changes: [{ name: 'retention.ms', value: 3_600_000 }],
    });
    const producer = await call('POST /v1/producers', '/v1/producers', { transactionalId: 'contract-tx' });
    await call('POST /v1/topics/{topic}/records', '/v1/topics/contract/records', {
      records: [
        { key: 'k', value: 'v', headers: { h: 'x', n: null }, partition: 0, timestamp: 1_700_000_000_000 },
        { value: null, partition: 1 },
      ],
    });
    await call('POST /v1/topics/{topic}/records', '/v1/topics/contract/records', {
      records: [{ value: 'a', partition: 0 }],
      producer: { ...producer, sequences: [{ partition: 0, baseSequence: 0 }] },
    });
    await call('GET /v1/topics/{topic}', '/v1/topics/contract');
    const fetched = await call(
      'GET /v1/topics/{topic}/partitions/{partition}/records',
      '/v1/topics/contract/partitions/0/records?offset=0&encoding=base64',
    );
    expect(fetched.records).toHaveLength(2);
    await call(
      'GET /v1/topics/{topic}/partitions/{partition}/offsets',
      '/v1/topics/contract/partitions/0/offsets?at=earliest',
    );
    await call(
      'POST /v1/topics/{topic}/partitions/{partition}/batches',
      '/v1/topics/contract/partitions/1/batches',
      encodeUncompressedBatch([
        { key: null, value: new TextEncoder().encode('b'), headers: [], timestamp: 1_700_000_000_000 },
      ]),
      { 'content-type': RECORD_BATCH_CONTENT_TYPE },
    );
    await call(
      'GET /v1/topics/{topic}/partitions/{partition}/batches',
      '/v1/topics/contract/partitions/1/batches?offset=0',
    );

    const joined = await call('POST /v1/groups/{group}/heartbeat', '/v1/groups/cg/heartbeat', {
      memberEpoch: 0,
      topics: ['contract'],
      clientId: 'contract-test',
    });
    const owned = joined.assignment as { topic: string; partitions: number[] }[];
    const partition = owned[0]?.partitions[0];
    expect(partition).toBeTypeOf('number');
    await call('POST /v1/groups/{group}/heartbeat', '/v1/groups/cg/heartbeat', {
      memberId: joined.memberId,
      memberEpoch: joined.memberEpoch,
      ownedPartitions: owned,
    });
    await call('POST /v1/groups/{group}/offsets', '/v1/groups/cg/offsets', {
      memberId: joined.memberId,
      memberEpoch: joined.memberEpoch,
      offsets: [{ topic: 'contract', partition, offset: '1', metadata: 'm' }],
    });
    await call('GET /v1/groups/{group}/offsets', '/v1/groups/cg/offsets?topic=contract');
    await call('GET /v1/groups', '/v1/groups');
    const described = await call('GET /v1/groups/{group}', '/v1/groups/cg');
    expect(described.members).toHaveLength(1);
    await call('POST /v1/groups/{group}/heartbeat', '/v1/groups/cg/heartbeat', {
      memberId: joined.memberId,
      memberEpoch: -1,
    });
    await call('POST /v1/groups/{group}/offsets/reset', '/v1/groups/cg/offsets/reset', {
      topic: 'contract',
      to: 'earliest',
      dryRun: true,
    });
    await call('DELETE /v1/topics/{topic}/records', '/v1/topics/contract/records', {
      partition: 0,
      beforeOffset: '1',
    });
    await call('DELETE /v1/groups/{group}', '/v1/groups/cg');
    await call('DELETE /v1/topics/{topic}', '/v1/topics/contract');
    const acl = { principal: 'User:c', resourceType: 'TOPIC', resourceName: 'contract', operation: 'READ' };
    await call('POST /v1/acls', '/v1/acls', { ...acl, permission: 'ALLOW' });
    await call('GET /v1/acls', '/v1/acls?principal=User:c');
    await call('DELETE /v1/acls', '/v1/acls?resourceType=TOPIC&resourceName=contract');
    await call('POST /v1/users', '/v1/users', { name: 'contract-user', password: 'pw' });
    await call('GET /v1/users', '/v1/users');
    await call('DELETE /v1/users/{user}', '/v1/users/contract-user');

    expect([...seen].sort()).toEqual(Object.keys(ENDPOINTS).sort());
  });

  it('an error answers the error schema, with the status and retriable flag of the table', async () => {
    const res = await ctx.http.get('/v1/topics/nope/partitions/0/records?offset=0');
    const parsed = errorResponse.parse(res.body);
    const code = parsed.error.code;
    expect(code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    if (!isErrorCode(code)) throw new Error(code);
    expect(res.status).toBe(ERRORS[code].httpStatus);
    expect(parsed.error.retriable).toBe(ERRORS[code].retriable);
  });
});

describe('the tail query (functions/tail.ts)', () => {
  const event = (query: Record<string, string>, headers: Record<string, string> = {}) =>
    ({ queryStringParameters: query, headers }) as unknown as HttpEvent;

  it('reads the query with its defaults', () => {
    expect(parseTailRequest(event({ topic: 't' }))).toEqual({
      topic: 't',
      partition: 0,
      from: 'latest',
      encoding: 'utf8',
      waitMs: 0,
    });
    expect(
      parseTailRequest(
        event({ topic: 't', partition: '2', offset: '17', encoding: 'base64', waitMs: '500' }),
      ),
    ).toEqual({ topic: 't', partition: 2, from: 17, encoding: 'base64', waitMs: 500 });
    expect(parseTailRequest(event({ topic: 't', offset: 'earliest', partition: '' })).from).toBe('earliest');
  });

  it('resumes after Last-Event-ID', () => {
    expect(parseTailRequest(event({ topic: 't', offset: 'earliest' }, { 'last-event-id': '41' })).from).toBe(
      42,
    );
  });

  it.each([
    [{}],
    [{ topic: 't', encoding: 'hex' }],
    [{ topic: 't', partition: '1000' }],
    [{ topic: 't', offset: 'yesterday' }],
    [{ topic: 't', waitMs: '20001' }],
  ])('rejects %j as INVALID_REQUEST', (query) => {
    expect(() => parseTailRequest(event(query))).toThrow(InvalidRequestError);
  });
});
