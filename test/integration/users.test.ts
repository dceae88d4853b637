/**
 * SASL users over HTTP and the `strata user` CLI: created from a password (keys derived by the
 * server, the password never returned or stored), listed without secrets, deleted; a user made
 * this way authenticates on a SASL gateway, and a deleted one no longer does.
 */
import { describe, expect, it } from 'vitest';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import { strataRun } from '../support/cli.js';
import { useTestGateway } from '../support/gateway.js';
import { openKafkaWire } from '../support/kafka-wire.js';

const ctx = useTestGateway({ securityProtocol: 'SASL_PLAINTEXT' });

/** `strata <args>` (the real binary) against the test server, with `input` on stdin. */
const strata = (args: string[], input = '') => strataRun(ctx.server.url, args, input);

/** PLAIN on the SASL gateway: the SaslAuthenticate error code (0 on success). */
async function plainLogin(name: string, password: string): Promise<number> {
  const wire = await openKafkaWire(ctx.bootstrap);
  try {
    await wire.request(APIS.SaslHandshake.key, 1, { mechanism: 'PLAIN' });
    const res = await wire.request(APIS.SaslAuthenticate.key, 1, {
      authBytes: Buffer.from(`\u0000${name}\u0000${password}`),
    });
    return res.errorCode;
  } finally {
    wire.close();
  }
}

describe('HTTP /v1/users', () => {
  it('creates, lists without secrets, authenticates, deletes', async () => {
    const created = await ctx.http.post('/v1/users', { name: 'http-alice', password: 'correct horse' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'http-alice',
      mechanisms: [
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ],
    });
    const listed = await ctx.http.get('/v1/users');
    expect(listed.status).toBe(200);
    expect(listed.body.users).toContainEqual(created.body);
    expect(JSON.stringify(listed.body)).not.toMatch(/correct horse|salt|storedKey|serverKey/);
    // What is stored: keys, never the password.
    const stored = await ctx.engine.users.get('http-alice');
    expect(JSON.stringify(stored)).not.toContain('correct horse');
    expect(stored?.credentials['SCRAM-SHA-512']?.storedKey.length).toBe(64);

    expect(await plainLogin('http-alice', 'correct horse')).toBe(0);
    expect(await plainLogin('http-alice', 'wrong')).toBe(58);

    expect((await ctx.http.delete('/v1/users/http-alice')).status).toBe(204);
    expect(await plainLogin('http-alice', 'correct horse')).toBe(58);
    const again = await ctx.http.delete('/v1/users/http-alice');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('RESOURCE_NOT_FOUND');
  });

  it('one mechanism only; an empty password or name is UNACCEPTABLE_CREDENTIAL; unknown fields are refused', async () => {
    const one = await ctx.http.post('/v1/users', {
      name: 'http-bob',
      password: 'pw',
      mechanisms: ['SCRAM-SHA-256'],
    });
    expect(one.body.mechanisms).toEqual([{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }]);
    expect(await plainLogin('http-bob', 'pw')).toBe(0);
    for (const body of [
      { name: 'x', password: '' },
      { name: '', password: 'pw' },
    ]) {
      const r = await ctx.http.post('/v1/users', body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('UNACCEPTABLE_CREDENTIAL');
    }
    const bad = await ctx.http.post('/v1/users', { name: 'x', password: 'p', mechanisms: ['MD5'] });
    expect(bad.status).toBe(400);
  });
});

describe('strata user', () => {
  it('create --password-stdin, list, delete; create needs exactly one password source', async () => {
    const created = await strata(['user', 'create', 'cli-carol', '--password-stdin'], 's3cret\n');
    expect(created.code, created.stderr).toBe(0);
    expect(await plainLogin('cli-carol', 's3cret')).toBe(0);

    const withFlag = await strata([
      'user',
      'create',
      'cli-dave',
      '--password',
      'pw',
      '--mechanism',
      'SCRAM-SHA-512',
    ]);
    expect(withFlag.code, withFlag.stderr).toBe(0);

    const listed = await strata(['user', 'list']);
    expect(listed.code).toBe(0);
    const rows = listed.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
    expect(rows).toContainEqual(['cli-carol', 'SCRAM-SHA-256:4096,SCRAM-SHA-512:4096']);
    expect(rows).toContainEqual(['cli-dave', 'SCRAM-SHA-512:4096']);
    expect(listed.stdout).not.toContain('s3cret');

    const usage = await strata(['user', 'create', 'cli-erin']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--password/);

    expect((await strata(['user', 'delete', 'cli-carol'])).code).toBe(0);
    expect(await plainLogin('cli-carol', 's3cret')).toBe(58);
    const missing = await strata(['user', 'delete', 'cli-carol']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: RESOURCE_NOT_FOUND: /);
  });
});
