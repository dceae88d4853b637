import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { createAcls, deleteAcls, describeAcls } from '../../lib/engine/ops/acls.js';
import { authorizerFor } from '../../lib/engine/ops/authorize.js';
import { user } from '../../lib/engine/principal.js';
import { aclBinding as binding } from '../support/acl.js';
import { createTestEngine } from '../support/stack.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createTestEngine({ authEnabled: true, aclCacheMs: 60_000 });
});

describe('ACL ops (createAcls, deleteAcls, describeAcls)', () => {
  it('stores valid bindings, answers each invalid one INVALID_REQUEST, and is idempotent', async () => {
    const good = binding({});
    const results = await createAcls(engine, [
      good,
      binding({ principal: 'alice' }),
      binding({ resourceType: 'CLUSTER', resourceName: 'other' }),
      binding({ patternType: 'MATCH' as never }),
      good,
    ]);
    expect(results.map((r) => r.error?.code)).toEqual([
      undefined,
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      undefined,
    ]);
    expect(await describeAcls(engine)).toEqual([good]);
    // A write through this process's store takes effect at once, despite the long cache.
    expect(await authorizerFor(engine, user('alice'), '10.0.0.1').allowed('READ', 'TOPIC', 'orders')).toBe(
      true,
    );
  });

  it('describes with Kafka filter semantics: absent fields are ANY, MATCH follows the patterns', async () => {
    const prefixed = binding({ principal: 'User:bob', resourceName: 'ord', patternType: 'PREFIXED' });
    const wildcard = binding({ principal: 'User:carol', resourceName: '*', operation: 'WRITE' });
    const group = binding({ principal: 'User:bob', resourceType: 'GROUP', resourceName: 'g1' });
    await createAcls(engine, [prefixed, wildcard, group]);
    expect(await describeAcls(engine, { principal: 'User:bob' })).toHaveLength(2);
    expect(await describeAcls(engine, { resourceType: 'TOPIC', resourceName: 'orders' })).toEqual([
      binding({}),
    ]);
    const matching = await describeAcls(engine, {
      resourceType: 'TOPIC',
      resourceName: 'orders',
      patternType: 'MATCH',
    });
    expect(matching).toHaveLength(3);
    expect(matching).toEqual(expect.arrayContaining([binding({}), prefixed, wildcard]));
    expect(await describeAcls(engine, { patternType: 'PREFIXED' })).toEqual([prefixed]);
    await expect(describeAcls(engine, { operation: 'NOPE' as never })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('deletes what each filter selects, reports each binding under every filter that selected it', async () => {
    const results = await deleteAcls(engine, [
      { principal: 'User:bob' },
      { resourceType: 'GROUP' },
      { principal: 'User:nobody' },
      { permission: 'MAYBE' as never },
    ]);
    expect(results.map((r) => r.deleted.length)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.error?.code).toBe('INVALID_REQUEST');
    const left = await describeAcls(engine);
    expect(left.map((b) => b.principal).sort()).toEqual(['User:alice', 'User:carol']);
    const all = await deleteAcls(engine, [{}]);
    expect(all[0]?.deleted).toHaveLength(2);
    expect(await describeAcls(engine)).toEqual([]);
    expect(await authorizerFor(engine, user('alice'), '10.0.0.1').allowed('READ', 'TOPIC', 'orders')).toBe(
      false,
    );
  });
});
