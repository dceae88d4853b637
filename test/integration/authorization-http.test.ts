/**
 * ACLs over HTTP, with real requests through the local API Gateway stand-in (acting as JWT
 * subjects and IAM callers with x-strata-local-principal) against DynamoDB Local:
 *
 * - every route of lib/contract/routes.ts (iterated, so a route added without a case fails here):
 *   without ACLs it is refused with the typed 403 and nothing changes; with the ACLs its rule
 *   names (docs/api.md "What each route requires") it is not refused;
 * - the scenario, for two JWT subjects and for two IAM ARNs: READ on `orders` and on its group
 *   consumes `orders` but cannot produce to it, does not see `payments`, cannot commit for
 *   another group; super users need no ACLs;
 * - the ACL routes themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBufferedTailHandler } from '../../functions/tail.js';
import type { AclBinding } from '../../lib/contract/acl.js';
import { encodeUncompressedBatch, RECORD_BATCH_CONTENT_TYPE } from '../../lib/contract/record-batch.js';
import { ROUTES, type RouteKey } from '../../lib/contract/routes.js';
import type { Engine } from '../../lib/engine/engine.js';
import { ROUTE_RULES } from '../../lib/engine/http/authorization.js';
import { LOCAL_PRINCIPAL_HEADER } from '../../local/server.js';
import { httpEvent } from '../infra/support.js';
import {
  type ApiResponse,
  api,
  createTestEngine,
  type JsonBody,
  startTestServer,
  type TestServer,
} from '../support/stack.js';

const ADMIN = 'admin';
const utf8 = (text: string) => new TextEncoder().encode(text);
const IAM_ADMIN = 'arn:aws:iam::123456789012:user/admin';

let engine: Engine;
let server: TestServer;
/** Another stand-in on the same engine, without local principals: the header means nothing there. */
let plain: TestServer;

beforeAll(async () => {
  engine = await createTestEngine({
    authEnabled: true,
    superUsers: [`User:${ADMIN}`, `User:${IAM_ADMIN}`],
  });
  server = await startTestServer(engine, { localPrincipals: true });
  plain = await startTestServer(engine);
});
afterAll(async () => {
  await server?.close();
  await plain?.close();
});

interface Caller {
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  get(path: string): Promise<ApiResponse>;
  post(path: string, body?: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

/** Requests as `who` (a JWT subject, or an IAM ARN when it starts with arn:); undefined: anonymous. */
function as(who: string | undefined, url = server.url): Caller {
  const http = api(url);
  const headers: Record<string, string> = who ? { [LOCAL_PRINCIPAL_HEADER]: who } : {};
  const request = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    http.request(method, path, body, { ...extra, ...headers });
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    delete: (path) => request('DELETE', path),
  };
}

const admin = () => as(ADMIN);

async function ok(res: Promise<ApiResponse>, status = 200): Promise<JsonBody> {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

/** The ACL principal of a local caller. */
const principalOf = (who: string) => `User:${who}`;

type Grant = Pick<AclBinding, 'resourceType' | 'resourceName' | 'operation'>;

async function grant(who: string, grants: Grant[], permission: 'ALLOW' | 'DENY' = 'ALLOW') {
  if (grants.length === 0) return;
  await ok(
    admin().post('/v1/acls', {
      acls: grants.map((g) => ({ ...g, principal: principalOf(who), permission })),
    }),
    201,
  );
}

const topicAcl = (name: string, operation: Grant['operation']): Grant => ({
  resourceType: 'TOPIC',
  resourceName: name,
  operation,
});
const groupAcl = (name: string, operation: Grant['operation']): Grant => ({
  resourceType: 'GROUP',
  resourceName: name,
  operation,
});
const clusterAcl = (operation: Grant['operation']): Grant => ({
  resourceType: 'CLUSTER',
  resourceName: 'kafka-cluster',
  operation,
});

/** The resources of one route's case: its own topic (one record in it) and group (offsets committed). */
interface Names {
  topic: string;
  group: string;
  /** A topic that does not exist yet. */
  newTopic: string;
}

interface Case {
  request(n: Names): { path: string; body?: unknown; headers?: Record<string, string> };
  /** The ACLs the route's rule names. */
  grants(n: Names): Grant[];
  /** The refusal without ACLs; undefined for routes that filter instead of refusing. */
  denied?: 'TOPIC_AUTHORIZATION_FAILED' | 'GROUP_AUTHORIZATION_FAILED' | 'CLUSTER_AUTHORIZATION_FAILED';
}

const acl = (n: Names) => ({
  principal: 'User:someone',
  resourceType: 'TOPIC',
  resourceName: n.topic,
  operation: 'READ',
  permission: 'ALLOW',
});

/** One case per route: a Record, so a route without a case fails to type-check. */
const CASES: Record<RouteKey, Case> = {
  'GET /healthz': { request: () => ({ path: '/healthz' }), grants: () => [] },
  'GET /v1/cluster': { request: () => ({ path: '/v1/cluster' }), grants: () => [] },
  'POST /v1/topics': {
    request: (n) => ({ path: '/v1/topics', body: { name: n.newTopic, partitions: 1 } }),
    grants: (n) => [topicAcl(n.newTopic, 'CREATE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'GET /v1/topics': { request: () => ({ path: '/v1/topics' }), grants: () => [] },
  'GET /v1/topics/{topic}': {
    request: (n) => ({ path: `/v1/topics/${n.topic}` }),
    grants: (n) => [topicAcl(n.topic, 'DESCRIBE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'DELETE /v1/topics/{topic}': {
    request: (n) => ({ path: `/v1/topics/${n.topic}` }),
    grants: (n) => [topicAcl(n.topic, 'DELETE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'POST /v1/topics/{topic}/partitions': {
    request: (n) => ({ path: `/v1/topics/${n.topic}/partitions`, body: { count: 2 } }),
    grants: (n) => [topicAcl(n.topic, 'ALTER')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'POST /v1/topics/{topic}/configs': {
    request: (n) => ({
      path: `/v1/topics/${n.topic}/configs`,
      body: { changes: [{ name: 'retention.ms', value: '3600000' }] },
    }),
    grants: (n) => [topicAcl(n.topic, 'ALTER_CONFIGS')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'POST /v1/topics/{topic}/records': {
    request: (n) => ({ path: `/v1/topics/${n.topic}/records`, body: { records: [{ value: 'x' }] } }),
    grants: (n) => [topicAcl(n.topic, 'WRITE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'DELETE /v1/topics/{topic}/records': {
    request: (n) => ({
      path: `/v1/topics/${n.topic}/records`,
      body: { partition: 0, beforeOffset: '1' },
    }),
    grants: (n) => [topicAcl(n.topic, 'DELETE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'POST /v1/producers': {
    request: () => ({ path: '/v1/producers', body: {} }),
    grants: () => [clusterAcl('IDEMPOTENT_WRITE')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'GET /v1/topics/{topic}/partitions/{partition}/records': {
    request: (n) => ({ path: `/v1/topics/${n.topic}/partitions/0/records?offset=0` }),
    grants: (n) => [topicAcl(n.topic, 'READ')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
    request: (n) => ({ path: `/v1/topics/${n.topic}/partitions/0/offsets?at=latest` }),
    grants: (n) => [topicAcl(n.topic, 'DESCRIBE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'POST /v1/topics/{topic}/partitions/{partition}/batches': {
    request: (n) => ({
      path: `/v1/topics/${n.topic}/partitions/0/batches`,
      body: encodeUncompressedBatch([{ key: null, value: utf8('x'), headers: [], timestamp: Date.now() }]),
      headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE },
    }),
    grants: (n) => [topicAcl(n.topic, 'WRITE')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'GET /v1/topics/{topic}/partitions/{partition}/batches': {
    request: (n) => ({ path: `/v1/topics/${n.topic}/partitions/0/batches?offset=0` }),
    grants: (n) => [topicAcl(n.topic, 'READ')],
    denied: 'TOPIC_AUTHORIZATION_FAILED',
  },
  'GET /v1/groups': { request: () => ({ path: '/v1/groups' }), grants: () => [] },
  'GET /v1/groups/{group}': {
    request: (n) => ({ path: `/v1/groups/${n.group}` }),
    grants: (n) => [groupAcl(n.group, 'DESCRIBE')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'DELETE /v1/groups/{group}': {
    request: (n) => ({ path: `/v1/groups/${n.group}` }),
    grants: (n) => [groupAcl(n.group, 'DELETE')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'POST /v1/groups/{group}/heartbeat': {
    request: (n) => ({
      path: `/v1/groups/${n.group}/heartbeat`,
      body: { memberEpoch: 0, topics: [n.topic] },
    }),
    grants: (n) => [groupAcl(n.group, 'READ'), topicAcl(n.topic, 'DESCRIBE')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'POST /v1/groups/{group}/offsets': {
    request: (n) => ({
      path: `/v1/groups/${n.group}/offsets`,
      body: { memberId: 'm', memberEpoch: 1, offsets: [{ topic: n.topic, partition: 0, offset: '1' }] },
    }),
    grants: (n) => [groupAcl(n.group, 'READ'), topicAcl(n.topic, 'READ')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'GET /v1/groups/{group}/offsets': {
    request: (n) => ({ path: `/v1/groups/${n.group}/offsets` }),
    grants: (n) => [groupAcl(n.group, 'DESCRIBE')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'POST /v1/groups/{group}/offsets/reset': {
    request: (n) => ({
      path: `/v1/groups/${n.group}/offsets/reset`,
      body: { topic: n.topic, to: 'latest' },
    }),
    grants: (n) => [groupAcl(n.group, 'READ'), topicAcl(n.topic, 'READ')],
    denied: 'GROUP_AUTHORIZATION_FAILED',
  },
  'POST /v1/acls': {
    request: (n) => ({ path: '/v1/acls', body: acl(n) }),
    grants: () => [clusterAcl('ALTER')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'GET /v1/acls': {
    request: () => ({ path: '/v1/acls' }),
    grants: () => [clusterAcl('DESCRIBE')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'DELETE /v1/acls': {
    request: (n) => ({ path: `/v1/acls?resourceType=TOPIC&resourceName=${n.topic}` }),
    grants: () => [clusterAcl('ALTER')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'POST /v1/users': {
    request: (n) => ({ path: '/v1/users', body: { name: `${n.topic}-user`, password: 'pw-of-the-test' } }),
    grants: () => [clusterAcl('ALTER')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'GET /v1/users': {
    request: () => ({ path: '/v1/users' }),
    grants: () => [clusterAcl('DESCRIBE')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  'DELETE /v1/users/{user}': {
    request: (n) => ({ path: `/v1/users/${n.topic}-user` }),
    grants: () => [clusterAcl('ALTER')],
    denied: 'CLUSTER_AUTHORIZATION_FAILED',
  },
};

/** Everything a route could change, as the super user sees it. */
async function snapshot(n: Names) {
  const a = admin();
  const [topics, topic, fresh, group, offsets, acls, users] = await Promise.all([
    a.get('/v1/topics'),
    a.get(`/v1/topics/${n.topic}`),
    a.get(`/v1/topics/${n.newTopic}`),
    a.get(`/v1/groups/${n.group}`),
    a.get(`/v1/groups/${n.group}/offsets`),
    a.get('/v1/acls'),
    a.get('/v1/users'),
  ]);
  return [topics, topic, fresh, group, offsets, acls, users].map((r) => ({ status: r.status, body: r.body }));
}

describe.each(ROUTES.map((r, i) => [`${r.method} ${r.path}` as RouteKey, i] as const))(
  'authorization of %s',
  (key, i) => {
    const n: Names = { topic: `authz-t${i}`, group: `authz-g${i}`, newTopic: `authz-new${i}` };
    const who = `route-${i}`;
    const method = key.slice(0, key.indexOf(' '));

    beforeAll(async () => {
      await ok(admin().post('/v1/topics', { name: n.topic, partitions: 1 }), 201);
      await ok(admin().post(`/v1/topics/${n.topic}/records`, { records: [{ value: 'a' }, { value: 'b' }] }));
      // The group exists, with a committed offset.
      await ok(admin().post(`/v1/groups/${n.group}/offsets/reset`, { topic: n.topic, to: 'earliest' }));
      // A binding the ACL routes could change.
      await grant('bystander', [topicAcl(n.topic, 'READ')]);
    });

    it('has a rule and a case', () => {
      expect(ROUTE_RULES[key]?.requires).toEqual(expect.any(String));
      expect(CASES[key]).toBeDefined();
    });

    const c = CASES[key];
    if (c?.denied) {
      it(`without ACLs: 403 ${c.denied}, and nothing changes`, async () => {
        const before = await snapshot(n);
        const { path, body, headers } = c.request(n);
        const res = await as(who).request(method, path, body, headers);
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body.error.code).toBe(c.denied);
        expect(await snapshot(n)).toEqual(before);
      });
    } else {
      it('without ACLs: not refused (nothing to require, or a filtered listing)', async () => {
        const { path, body, headers } = c.request(n);
        expect((await as(who).request(method, path, body, headers)).status).toBe(200);
      });
    }

    it('with the ACLs its rule names: not refused', async () => {
      await grant(who, c.grants(n));
      const { path, body, headers } = c.request(n);
      const res = await as(who).request(method, path, body, headers);
      expect(res.status, JSON.stringify(res.body)).not.toBe(403);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    });
  },
);

describe.each([
  ['JWT subjects', 'alice', 'bob'],
  ['IAM ARNs', 'arn:aws:iam::123456789012:user/alice', 'arn:aws:sts::123456789012:assumed-role/App/bob'],
])('the orders scenario, with %s', (kind, alice, bob) => {
  const sfx = kind.startsWith('JWT') ? 'jwt' : 'iam';
  const orders = `orders-${sfx}`;
  const payments = `payments-${sfx}`;
  const app = `orders-app-${sfx}`;

  beforeAll(async () => {
    for (const name of [orders, payments]) await ok(admin().post('/v1/topics', { name, partitions: 1 }), 201);
    await ok(admin().post(`/v1/topics/${orders}/records`, { records: [{ value: 'o1' }, { value: 'o2' }] }));
    await grant(alice, [topicAcl(orders, 'READ'), groupAcl(app, 'READ')]);
  });

  it('READ on the topic consumes it', async () => {
    const fetched = await ok(as(alice).get(`/v1/topics/${orders}/partitions/0/records?offset=0`));
    expect(fetched.records.map((r: { value: string }) => r.value)).toEqual(['o1', 'o2']);
  });

  it('but does not produce to it, and the topic is unchanged', async () => {
    const res = await as(alice).post(`/v1/topics/${orders}/records`, { records: [{ value: 'no' }] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
    const latest = await ok(admin().get(`/v1/topics/${orders}/partitions/0/offsets?at=latest`));
    expect(latest.offset).toBe('2');
  });

  it('lists only the topics it may DESCRIBE', async () => {
    const names = (await ok(as(alice).get('/v1/topics'))).topics.map((t: { name: string }) => t.name);
    expect(names).toContain(orders);
    expect(names).not.toContain(payments);
    const everything = (await ok(admin().get('/v1/topics'))).topics.map((t: { name: string }) => t.name);
    expect(everything).toEqual(expect.arrayContaining([orders, payments]));
  });

  it('joins and commits for its group, but not for another group, nor offsets of another topic', async () => {
    const joined = await ok(
      as(alice).post(`/v1/groups/${app}/heartbeat`, { memberEpoch: 0, topics: [orders] }),
    );
    const member = await ok(
      as(alice).post(`/v1/groups/${app}/heartbeat`, {
        memberId: joined.memberId,
        memberEpoch: joined.memberEpoch,
        ownedPartitions: joined.assignment,
      }),
    );
    const commit = (group: string, topic: string) =>
      as(alice).post(`/v1/groups/${group}/offsets`, {
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        offsets: [{ topic, partition: 0, offset: '1' }],
      });
    await ok(commit(app, orders));
    const otherGroup = await commit(`other-${app}`, orders);
    expect(otherGroup.status).toBe(403);
    expect(otherGroup.body.error.code).toBe('GROUP_AUTHORIZATION_FAILED');
    const otherTopic = await commit(app, payments);
    expect(otherTopic.status).toBe(403);
    expect(otherTopic.body.error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
    const offsets = await ok(admin().get(`/v1/groups/${app}/offsets`));
    expect(offsets.offsets).toEqual([{ topic: orders, partition: 0, offset: '1' }]);
    // Leave, so that the group is Empty again.
    await ok(as(alice).post(`/v1/groups/${app}/heartbeat`, { memberId: member.memberId, memberEpoch: -1 }));
  });

  it('the live tail (a function URL, signed with IAM) requires READ on the topic', async () => {
    const tail = createBufferedTailHandler(engine);
    const event = (arn: string) => {
      const e = httpEvent('GET', '/', {
        query: { topic: orders, partition: '0', offset: 'earliest', waitMs: '0' },
      });
      (e.requestContext as unknown as { authorizer: unknown }).authorizer = arn.startsWith('arn:')
        ? { iam: { userArn: arn } }
        : { jwt: { claims: { sub: arn } } };
      return e;
    };
    const allowed = await tail(event(alice));
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.body).toContain('event: record');
    const refused = await tail(event(bob));
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body ?? '').error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('another principal, and an anonymous request, may do nothing', async () => {
    for (const caller of [as(bob), as(undefined)]) {
      const res = await caller.get(`/v1/topics/${orders}/partitions/0/records?offset=0`);
      expect(res.status).toBe(403);
      const names = (await ok(caller.get('/v1/topics'))).topics.map((t: { name: string }) => t.name);
      expect(names).not.toContain(orders);
    }
  });

  it('a DENY wins over the ALLOW', async () => {
    await grant(alice, [topicAcl(orders, 'READ')], 'DENY');
    const res = await as(alice).get(`/v1/topics/${orders}/partitions/0/records?offset=0`);
    expect(res.body.error?.code).toBe('TOPIC_AUTHORIZATION_FAILED');
    await ok(
      admin().delete(
        `/v1/acls?resourceType=TOPIC&resourceName=${orders}&permission=DENY&principal=${encodeURIComponent(principalOf(alice))}`,
      ),
    );
    await ok(as(alice).get(`/v1/topics/${orders}/partitions/0/records?offset=0`));
  });

  it('super users need no ACLs, over JWT and over IAM', async () => {
    for (const superUser of [as(ADMIN), as(IAM_ADMIN)]) {
      await ok(superUser.post(`/v1/topics/${payments}/records`, { records: [{ value: 'p' }] }));
      await ok(superUser.get('/v1/acls'));
    }
  });
});

describe('the local principal header', () => {
  it('means nothing unless the stand-in enables it: a request is then anonymous', async () => {
    const res = await as(ADMIN, plain.url).get('/v1/acls');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CLUSTER_AUTHORIZATION_FAILED');
  });
});

describe('the ACL routes', () => {
  const carol = 'User:carol';
  it('create one binding sent bare, or several, with host * and LITERAL by default (201)', async () => {
    const one = await ok(
      admin().post('/v1/acls', {
        principal: carol,
        resourceType: 'TOPIC',
        resourceName: 'acl-',
        patternType: 'PREFIXED',
        operation: 'WRITE',
        permission: 'ALLOW',
      }),
      201,
    );
    expect(one.acls).toEqual([
      {
        principal: carol,
        host: '*',
        resourceType: 'TOPIC',
        resourceName: 'acl-',
        patternType: 'PREFIXED',
        operation: 'WRITE',
        permission: 'ALLOW',
      },
    ]);
    const two = await ok(
      admin().post('/v1/acls', {
        acls: [
          {
            principal: carol,
            resourceType: 'GROUP',
            resourceName: 'acl-g',
            operation: 'READ',
            permission: 'ALLOW',
          },
          {
            principal: carol,
            resourceType: 'TOPIC',
            resourceName: 'acl-x',
            operation: 'READ',
            permission: 'DENY',
          },
        ],
      }),
      201,
    );
    expect(two.acls).toHaveLength(2);
    expect(two.acls[0]).toMatchObject({ host: '*', patternType: 'LITERAL' });
  });

  it('refuse a binding Kafka would refuse, storing none of the request', async () => {
    const res = await admin().post('/v1/acls', {
      acls: [
        {
          principal: carol,
          resourceType: 'TOPIC',
          resourceName: 'acl-y',
          operation: 'READ',
          permission: 'ALLOW',
        },
        {
          principal: 'carol',
          resourceType: 'TOPIC',
          resourceName: 'acl-y',
          operation: 'READ',
          permission: 'ALLOW',
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect((await ok(admin().get('/v1/acls?resourceName=acl-y'))).acls).toEqual([]);
  });

  it('list by filter, MATCH included', async () => {
    const byPrincipal = await ok(admin().get(`/v1/acls?principal=${carol}`));
    expect(byPrincipal.acls).toHaveLength(3);
    const literal = await ok(admin().get('/v1/acls?resourceType=TOPIC&resourceName=acl-x'));
    expect(literal.acls.map((b: AclBinding) => b.permission)).toEqual(['DENY']);
    const match = await ok(
      admin().get(`/v1/acls?principal=${carol}&resourceType=TOPIC&resourceName=acl-x&patternType=MATCH`),
    );
    expect(match.acls.map((b: AclBinding) => b.patternType).sort()).toEqual(['LITERAL', 'PREFIXED']);
  });

  it('delete by filter, returning what went; a resource is required', async () => {
    const none = await admin().delete(`/v1/acls?principal=${carol}`);
    expect(none.status).toBe(400);
    const gone = await ok(
      admin().delete('/v1/acls?resourceType=TOPIC&resourceName=acl-&patternType=PREFIXED'),
    );
    expect(gone.acls).toEqual([expect.objectContaining({ resourceName: 'acl-', operation: 'WRITE' })]);
    expect((await ok(admin().get(`/v1/acls?principal=${carol}`))).acls).toHaveLength(2);
  });
});
