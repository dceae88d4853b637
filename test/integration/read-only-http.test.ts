/**
 * Read-only mode (STRATA_READ_ONLY, EngineConfig.readOnly): every route but the GET ones is
 * refused with 403 CLUSTER_AUTHORIZATION_FAILED, before its rule or handler, and nothing changes.
 * Walks the whole route table, so a new mutating route is covered the day it is added.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/contract/routes.js';
import { useTestServer } from '../support/stack.js';

const ctx = useTestServer({ readOnly: true });

const concrete = (path: string) =>
  path
    .replace('{topic}', 'ro')
    .replace('{partition}', '0')
    .replace('{group}', 'ro-g')
    .replace('{user}', 'ro-u');

describe('read-only mode', () => {
  it('GET /v1/cluster says so', async () => {
    expect((await ctx.http.get('/v1/cluster')).body).toEqual({ readOnly: true, authorization: false });
  });

  it('refuses every route that is not a GET, serves the GET ones', async () => {
    const bodies: Record<string, unknown> = {
      'POST /v1/topics': { name: 'ro', partitions: 1 },
      'POST /v1/topics/{topic}/records': { records: [{ value: 'x' }] },
      'POST /v1/groups/{group}/offsets/reset': { topic: 'ro', to: 'earliest' },
    };
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      const body = route.method === 'GET' ? undefined : (bodies[key] ?? {});
      const res = await ctx.http.request(route.method, concrete(route.path), body);
      if (route.method === 'GET') {
        expect(res.status, key).not.toBe(403);
      } else {
        expect(res.status, key).toBe(403);
        expect(res.body.error, key).toMatchObject({ code: 'CLUSTER_AUTHORIZATION_FAILED', retriable: false });
        expect(res.body.error.message, key).toContain('read-only');
      }
    }
    expect((await ctx.http.get('/v1/topics')).body).toEqual({ topics: [] });
  });
});
