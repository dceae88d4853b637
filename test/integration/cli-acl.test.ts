/**
 * `strata acl add | list | remove`, the real binary (bin/strata.js) against the real handlers over
 * HTTP. Authorization is on and the CLI's requests (anonymous: the stand-in has no authorizer)
 * are the super user's; the ACLs it adds are then enforced on another principal's requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRINCIPAL_HEADER } from '../../local/server.js';
import { strataSh } from '../support/cli.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;

beforeAll(async () => {
  const engine = await createTestEngine({ authEnabled: true, superUsers: ['User:anonymous'] });
  server = await startTestServer(engine, { localPrincipals: true });
});
afterAll(async () => {
  await server?.close();
});

const sh = (command: string) => strataSh(server.url, command);

async function ok(command: string): Promise<string[][]> {
  const r = await sh(command);
  expect(r.code, `${command}\n${r.stderr}`).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const asAlice = (method: string, path: string, body?: unknown) =>
  api(server.url).request(method, path, body, { [LOCAL_PRINCIPAL_HEADER]: 'alice' });

describe('strata acl', () => {
  it('adds ACLs as kafka-acls does: every principal x operation x resource', async () => {
    await ok('strata topic create orders');
    expect(
      await ok(
        'strata acl add --allow-principal User:alice --operation Read --operation describe --topic orders --group orders-app',
      ),
    ).toEqual([]);
    await ok(
      'strata acl add --deny-principal User:mallory --deny-host 10.0.0.9 --operation All --topic orders',
    );
    await ok(
      'strata acl add --allow-principal User:alice --operation IdempotentWrite --cluster --resource-pattern-type literal',
    );
    const rows = await ok('strata acl list --principal User:alice');
    expect(rows).toHaveLength(5);
    expect(rows).toContainEqual(['User:alice', '*', 'READ', 'ALLOW', 'TOPIC', 'orders', 'LITERAL']);
    expect(rows).toContainEqual([
      'User:alice',
      '*',
      'IDEMPOTENT_WRITE',
      'ALLOW',
      'CLUSTER',
      'kafka-cluster',
      'LITERAL',
    ]);
    expect(await ok('strata acl list --topic orders')).toContainEqual([
      'User:mallory',
      '10.0.0.9',
      'ALL',
      'DENY',
      'TOPIC',
      'orders',
      'LITERAL',
    ]);
  });

  it('the ACLs it added are enforced', async () => {
    expect((await asAlice('GET', '/v1/topics/orders/partitions/0/records?offset=0')).status).toBe(200);
    const produce = await asAlice('POST', '/v1/topics/orders/records', { records: [{ value: 'x' }] });
    expect(produce.status).toBe(403);
  });

  it('lists by prefix match, and as JSON', async () => {
    await ok(
      'strata acl add --allow-principal User:bob --operation Write --topic ord --resource-pattern-type prefixed',
    );
    const matching = await ok(
      'strata acl list --topic orders --resource-pattern-type match --principal User:bob',
    );
    expect(matching).toEqual([['User:bob', '*', 'WRITE', 'ALLOW', 'TOPIC', 'ord', 'PREFIXED']]);
    const r = await sh('strata acl list --principal User:bob --json');
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ principal: 'User:bob', patternType: 'PREFIXED' });
  });

  it('removes the ACLs of a resource, narrowed by principal and operation', async () => {
    await ok('strata acl remove --allow-principal User:alice --operation Describe --topic orders');
    expect(await ok('strata acl list --principal User:alice --topic orders')).toEqual([
      ['User:alice', '*', 'READ', 'ALLOW', 'TOPIC', 'orders', 'LITERAL'],
    ]);
    await ok('strata acl remove --topic orders');
    expect(await ok('strata acl list --topic orders')).toEqual([]);
    expect(await ok('strata acl list --principal User:bob')).toHaveLength(1);
  });

  it('refuses a command line kafka-acls would refuse (exit 2), and a bad principal (exit 1)', async () => {
    const noResource = await sh('strata acl remove --allow-principal User:alice');
    expect(noResource.code).toBe(2);
    expect(noResource.stderr).toMatch(/^error: USAGE: give a resource/);
    expect((await sh('strata acl add --allow-principal User:a --operation Fly --topic t')).code).toBe(2);
    expect((await sh('strata acl add --allow-principal User:a --topic t')).code).toBe(2);
    const bad = await sh('strata acl add --allow-principal alice --operation Read --topic t');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: INVALID_REQUEST: /);
  });
});
