import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AclBinding, OPERATIONS, type Operation } from '../../lib/contract/acl.js';
import {
  type AclRequest,
  authorize,
  bindingKey,
  invalidBinding,
  matchesFilter,
} from '../../lib/engine/acl.js';
import { aclBinding as allow } from '../support/acl.js';

const deny = (over: Partial<AclBinding>) => allow({ permission: 'DENY', ...over });
const ask = (over: Partial<AclRequest>): AclRequest => ({
  principal: 'User:alice',
  host: '10.0.0.1',
  resourceType: 'TOPIC',
  resourceName: 'orders',
  operation: 'READ',
  ...over,
});

describe('authorize (Kafka StandardAuthorizer rules)', () => {
  it('denies when no binding matches, and allows a matching ALLOW', () => {
    expect(authorize([], ask({}), [])).toBe(false);
    expect(authorize([allow({})], ask({}), [])).toBe(true);
    expect(authorize([allow({})], ask({ resourceName: 'payments' }), [])).toBe(false);
    expect(authorize([allow({})], ask({ operation: 'WRITE' }), [])).toBe(false);
    expect(authorize([allow({})], ask({ principal: 'User:bob' }), [])).toBe(false);
    expect(authorize([allow({})], ask({ resourceType: 'GROUP' }), [])).toBe(false);
  });

  it('super users may do anything', () => {
    expect(authorize([deny({ operation: 'ALL' })], ask({}), ['User:alice'])).toBe(true);
  });

  it('DENY wins, on the operation or ALL', () => {
    expect(authorize([allow({}), deny({})], ask({}), [])).toBe(false);
    expect(authorize([allow({ operation: 'ALL' }), deny({ operation: 'ALL' })], ask({}), [])).toBe(false);
    // A deny of another operation does not touch this one.
    expect(authorize([allow({}), deny({ operation: 'WRITE' })], ask({}), [])).toBe(true);
    // Deny for everyone wins over an allow for alice.
    expect(authorize([allow({}), deny({ principal: 'User:*' })], ask({}), [])).toBe(false);
  });

  it('implied operations: DESCRIBE by READ/WRITE/DELETE/ALTER, DESCRIBE_CONFIGS by ALTER_CONFIGS', () => {
    for (const op of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const)
      expect(authorize([allow({ operation: op })], ask({ operation: 'DESCRIBE' }), []), op).toBe(true);
    expect(authorize([allow({ operation: 'CREATE' })], ask({ operation: 'DESCRIBE' }), [])).toBe(false);
    expect(
      authorize([allow({ operation: 'ALTER_CONFIGS' })], ask({ operation: 'DESCRIBE_CONFIGS' }), []),
    ).toBe(true);
    expect(authorize([allow({ operation: 'DESCRIBE' })], ask({ operation: 'READ' }), [])).toBe(false);
  });

  it('wildcards and prefixes: User:*, host *, literal *, PREFIXED', () => {
    expect(authorize([allow({ principal: 'User:*' })], ask({ principal: 'User:bob' }), [])).toBe(true);
    expect(authorize([allow({ host: '10.0.0.2' })], ask({}), [])).toBe(false);
    expect(authorize([allow({ host: '10.0.0.1' })], ask({}), [])).toBe(true);
    expect(authorize([allow({ resourceName: '*' })], ask({ resourceName: 'anything' }), [])).toBe(true);
    const prefixed = allow({ resourceName: 'ord', patternType: 'PREFIXED' });
    expect(authorize([prefixed], ask({ resourceName: 'orders' }), [])).toBe(true);
    expect(authorize([prefixed], ask({ resourceName: 'payments' }), [])).toBe(false);
    // A literal name is not a prefix.
    expect(authorize([allow({ resourceName: 'ord' })], ask({ resourceName: 'orders' }), [])).toBe(false);
  });

  it('property: adding a matching DENY always denies; adding an ALLOW never turns an allow into a deny', () => {
    const ops = Object.keys(OPERATIONS).filter((o) => o !== 'ALL') as Exclude<Operation, 'ALL'>[];
    const binding = fc.record({
      principal: fc.constantFrom('User:alice', 'User:bob', 'User:*'),
      host: fc.constantFrom('*', '10.0.0.1', '10.0.0.2'),
      resourceType: fc.constantFrom('TOPIC', 'GROUP') as fc.Arbitrary<AclBinding['resourceType']>,
      resourceName: fc.constantFrom('orders', 'ord', 'payments', '*'),
      patternType: fc.constantFrom('LITERAL', 'PREFIXED') as fc.Arbitrary<AclBinding['patternType']>,
      operation: fc.constantFrom(...(Object.keys(OPERATIONS) as Operation[])),
      permission: fc.constantFrom('ALLOW', 'DENY') as fc.Arbitrary<AclBinding['permission']>,
    });
    const request = fc.record({
      principal: fc.constantFrom('User:alice', 'User:bob'),
      host: fc.constantFrom('10.0.0.1', '10.0.0.2'),
      resourceType: fc.constantFrom('TOPIC', 'GROUP') as fc.Arbitrary<AclRequest['resourceType']>,
      resourceName: fc.constantFrom('orders', 'payments', 'order-x'),
      operation: fc.constantFrom(...ops),
    });
    fc.assert(
      fc.property(fc.array(binding, { maxLength: 8 }), request, (acls, req) => {
        const base = authorize(acls, req, []);
        const denyIt = deny({ ...req, patternType: 'LITERAL', operation: req.operation });
        expect(authorize([...acls, denyIt], req, [])).toBe(false);
        if (base) expect(authorize([...acls, allow({ ...req, operation: 'ALL' })], req, [])).toBe(true);
        // Order never matters.
        expect(authorize([...acls].reverse(), req, [])).toBe(base);
      }),
    );
  });
});

describe('matchesFilter, invalidBinding, bindingKey', () => {
  const b = allow({ resourceName: 'ord', patternType: 'PREFIXED' });
  it('filters by field, and MATCH selects every pattern that covers a name', () => {
    expect(matchesFilter(b, {})).toBe(true);
    expect(matchesFilter(b, { principal: 'User:bob' })).toBe(false);
    expect(matchesFilter(b, { resourceType: 'TOPIC', resourceName: 'ord', patternType: 'PREFIXED' })).toBe(
      true,
    );
    expect(matchesFilter(b, { resourceName: 'ord', patternType: 'LITERAL' })).toBe(false);
    expect(matchesFilter(b, { resourceName: 'orders', patternType: 'MATCH' })).toBe(true);
    expect(matchesFilter(allow({ resourceName: '*' }), { resourceName: 'x', patternType: 'MATCH' })).toBe(
      true,
    );
    expect(matchesFilter(b, { resourceName: 'pay', patternType: 'MATCH' })).toBe(false);
  });
  it('refuses bindings Kafka refuses', () => {
    expect(invalidBinding(allow({}))).toBeUndefined();
    expect(invalidBinding(allow({ principal: 'alice' }))).toMatch(/User:/);
    expect(invalidBinding(allow({ resourceType: 'CLUSTER', resourceName: 'x' }))).toMatch(/kafka-cluster/);
    expect(invalidBinding(allow({ resourceName: '' }))).toMatch(/empty/);
    expect(invalidBinding(allow({ resourceName: '*', patternType: 'PREFIXED' }))).toMatch(/PREFIXED/);
  });
  it('keys differ for different bindings and survive separators in names', () => {
    expect(bindingKey(allow({ resourceName: 'a|b' }))).not.toBe(
      bindingKey(allow({ resourceName: 'a', host: 'b' })),
    );
    expect(bindingKey(allow({}))).toBe(bindingKey(allow({})));
  });
});
