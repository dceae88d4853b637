import { afterEach, describe, expect, it } from 'vitest';
import { user } from '../../../lib/engine/principal.js';
import { usePrincipalGateway } from '../../support/gateway.js';

/** Kafka's wire codes: TOPIC 2, GROUP 3, CLUSTER 4; LITERAL 3, PREFIXED 4, MATCH 2, ANY 1; READ 3, ALTER 7, DESCRIBE 8; ALLOW 3. */
const creation = (over: Record<string, unknown> = {}) => ({
  resourceType: 2,
  resourceName: 'orders',
  resourcePatternType: 3,
  principal: 'User:alice',
  host: '*',
  operation: 3,
  permissionType: 3,
  ...over,
});
const ANY_FILTER = {
  resourceTypeFilter: 1,
  resourceNameFilter: null,
  patternTypeFilter: 1,
  principalFilter: null,
  hostFilter: null,
  operation: 1,
  permissionType: 1,
};

const { as, closeWires } = usePrincipalGateway(
  {},
  { authEnabled: true, superUsers: ['User:admin'], aclCacheMs: 50 },
);
afterEach(() => closeWires());

describe.each([1, 2, 3])('ACL admin APIs v%i', (v) => {
  it('creates (per-creation INVALID_REQUEST), describes with ANY and MATCH, and deletes', async () => {
    const admin = await as(user('admin'));
    const name = `orders-${v}`;
    const created = await admin.request(30, v, {
      creations: [
        creation({ resourceName: name }),
        creation({ resourceName: name.slice(0, 3), resourcePatternType: 4, principal: 'User:bob' }),
        creation({ principal: 'alice' }),
        creation({ resourceType: 4, resourceName: 'not-the-cluster' }),
        creation({ resourcePatternType: 2 }),
        creation({ operation: 1 }),
      ],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([0, 0, 42, 42, 42, 42]);

    const all = await admin.request(29, v, ANY_FILTER);
    expect(all.errorCode).toBe(0);
    expect(all.resources.filter((r) => r.resourceName.startsWith(name.slice(0, 3)))).toHaveLength(2);

    const matching = await admin.request(29, v, {
      ...ANY_FILTER,
      resourceTypeFilter: 2,
      resourceNameFilter: name,
      patternTypeFilter: 2,
    });
    expect(
      matching.resources.map((r) => [r.resourceName, r.patternType, r.acls[0]?.principal]).sort(),
    ).toEqual(
      [
        [name, 3, 'User:alice'],
        [name.slice(0, 3), 4, 'User:bob'],
      ].sort(),
    );
    const bad = await admin.request(29, v, { ...ANY_FILTER, operation: 0 });
    expect(bad.errorCode).toBe(42);

    const deleted = await admin.request(31, v, {
      filters: [
        { ...ANY_FILTER, principalFilter: 'User:bob', resourceNameFilter: name.slice(0, 3) },
        { ...ANY_FILTER, resourceTypeFilter: 0 },
      ],
    });
    expect(deleted.filterResults.map((f) => f.errorCode)).toEqual([0, 42]);
    expect(deleted.filterResults[0]?.matchingAcls).toMatchObject([
      {
        errorCode: 0,
        resourceType: 2,
        resourceName: name.slice(0, 3),
        patternType: 4,
        principal: 'User:bob',
        operation: 3,
        permissionType: 3,
      },
    ]);
    const left = await admin.request(29, v, { ...ANY_FILTER, principalFilter: 'User:bob' });
    expect(left.resources).toEqual([]);
    await admin.request(31, v, { filters: [{ ...ANY_FILTER, resourceNameFilter: name }] });
  });

  it('needs ALTER on the cluster to create or delete and DESCRIBE to describe; a refusal changes nothing', async () => {
    const mallory = await as(user(`mallory-${v}`));
    const created = await mallory.request(30, v, {
      creations: [creation({ principal: `User:mallory-${v}`, operation: 2 })],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([31]);
    const described = await mallory.request(29, v, ANY_FILTER);
    expect(described.errorCode).toBe(31);
    const deleted = await mallory.request(31, v, { filters: [ANY_FILTER] });
    expect(deleted.filterResults.map((f) => f.errorCode)).toEqual([31]);

    const admin = await as(user('admin'));
    const seen = await admin.request(29, v, { ...ANY_FILTER, principalFilter: `User:mallory-${v}` });
    expect(seen.resources).toEqual([]);
  });
});
