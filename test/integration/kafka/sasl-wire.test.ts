/**
 * SASL on the bare protocol (SASL_PLAINTEXT listener): a SCRAM-SHA-256 exchange computed here,
 * kafka-python's raw token mode (SaslHandshake v0, then tokens with no request header), the
 * session lifetime, refusals (which close only that connection), and the SCRAM credential APIs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import { upsertUser } from '../../../lib/engine/index.js';
import {
  clientProof,
  credentialFromSaltedPassword,
  type ScramMechanism,
  saltedPassword,
} from '../../../lib/engine/scram.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';

const LIFETIME_MS = 60_000;
const ctx = useTestGateway({ securityProtocol: 'SASL_PLAINTEXT', saslSessionLifetimeMs: LIFETIME_MS });
const K = { hs: APIS.SaslHandshake.key, auth: APIS.SaslAuthenticate.key, md: APIS.Metadata.key } as const;
const code = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const wires: KafkaWire[] = [];
const open = async () => {
  const w = await openKafkaWire(ctx.bootstrap);
  wires.push(w);
  return w;
};
afterEach(() => {
  for (const w of wires.splice(0)) w.close();
  ctx.engine.now = Date.now;
});

let users = 0;
/** A fresh user with both SCRAM mechanisms. */
async function newUser(password = 'pencil'): Promise<string> {
  const name = `user-${++users}-${Date.now()}`;
  await upsertUser(ctx.engine, { name, password });
  return name;
}

/** A SCRAM client, computed from the RFC: sends client-first and client-final, checks the server's signature. */
async function scramLogin(wire: KafkaWire, m: ScramMechanism, name: string, password: string, version = 2) {
  const hs = await wire.request(K.hs, 1, { mechanism: m });
  expect(hs.errorCode).toBe(0);
  const bare = `n=${name},r=clientnonce${users}`;
  const first = await wire.request(K.auth, version, { authBytes: Buffer.from(`n,,${bare}`) });
  expect(first.errorCode).toBe(0);
  const serverFirst = text(first.authBytes);
  const [, nonce, salt, iterations] = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(
    serverFirst,
  ) as unknown as string[];
  const salted = saltedPassword(m, password, Buffer.from(salt as string, 'base64'), Number(iterations));
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const proof = clientProof(m, salted, authMessage).toString('base64');
  const final = await wire.request(K.auth, version, { authBytes: Buffer.from(`${withoutProof},p=${proof}`) });
  return { serverFirst, nonce: nonce as string, salted, salt: salt as string, authMessage, final };
}

describe('SCRAM-SHA-256 over SaslHandshake v1 and SaslAuthenticate', () => {
  it('a full exchange: server-first with nonce, salt and iterations; server-final with the server signature; then requests work', async () => {
    const name = await newUser();
    const wire = await open();
    const versions = await wire.request(APIS.ApiVersions.key, 3, {
      clientSoftwareName: 't',
      clientSoftwareVersion: '1',
    });
    expect(versions.apiKeys.find((k) => k.apiKey === K.hs)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    const { nonce, salted, salt, authMessage, final } = await scramLogin(
      wire,
      'SCRAM-SHA-256',
      name,
      'pencil',
    );
    expect(nonce.startsWith(`clientnonce${users}`)).toBe(true);
    expect(nonce.length).toBeGreaterThan(`clientnonce${users}`.length);
    expect(Buffer.from(salt, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(final.errorCode).toBe(0);
    const { serverKey } = credentialFromSaltedPassword(
      'SCRAM-SHA-256',
      salted,
      Buffer.from(salt, 'base64'),
      4096,
    );
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    expect(text(final.authBytes)).toBe(`v=${expected}`);
    expect(final.sessionLifetimeMs).toBe(BigInt(LIFETIME_MS));
    const md = await wire.request(K.md, 1, { topics: [] });
    expect(md.brokers).toHaveLength(1);
  });

  it('the handshake offers the listener mechanisms; an unknown one is UNSUPPORTED_SASL_MECHANISM, then the connection closes', async () => {
    const wire = await open();
    const res = await wire.request(K.hs, 1, { mechanism: 'GSSAPI' });
    expect(res).toEqual({
      errorCode: code('UNSUPPORTED_SASL_MECHANISM'),
      mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    });
    await wire.closed;
  });

  it('a wrong password: SASL_AUTHENTICATION_FAILED with a message, then the connection closes', async () => {
    const name = await newUser();
    const wire = await open();
    const { final } = await scramLogin(wire, 'SCRAM-SHA-256', name, 'not-pencil', 1);
    expect(final.errorCode).toBe(code('SASL_AUTHENTICATION_FAILED'));
    expect(final.errorMessage).toMatch(/invalid credentials/);
    await wire.closed;
  });

  it('an unknown user fails at client-first', async () => {
    const wire = await open();
    await wire.request(K.hs, 1, { mechanism: 'SCRAM-SHA-512' });
    const res = await wire.request(K.auth, 1, { authBytes: Buffer.from('n,,n=nobody,r=abc') });
    expect(res.errorCode).toBe(code('SASL_AUTHENTICATION_FAILED'));
    await wire.closed;
  });
});

describe('refusals close only that connection', () => {
  it('a request before authenticating closes the connection (ApiVersions is allowed)', async () => {
    const wire = await open();
    const versions = await wire.request(APIS.ApiVersions.key, 0, {});
    expect(versions.errorCode).toBe(0);
    await wire.send(K.md, 1, { topics: [] });
    await wire.closed;
    await expect(wire.nextFrame()).rejects.toThrow(/closed/);
  });

  it('a bad SASL token closes its connection; another authenticated one keeps working', async () => {
    const name = await newUser();
    const good = await open();
    expect((await scramLogin(good, 'SCRAM-SHA-512', name, 'pencil')).final.errorCode).toBe(0);
    const bad = await open();
    await bad.request(K.hs, 1, { mechanism: 'SCRAM-SHA-512' });
    const res = await bad.request(K.auth, 2, { authBytes: Buffer.from('\u0000garbage') });
    expect(res.errorCode).toBe(code('SASL_AUTHENTICATION_FAILED'));
    await bad.closed;
    expect((await good.request(K.md, 1, { topics: [] })).brokers).toHaveLength(1);
    expect(good.isClosed()).toBe(false);
  });

  it('SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE, then closed', async () => {
    const wire = await open();
    const res = await wire.request(K.auth, 0, { authBytes: Buffer.from('x') });
    expect(res.errorCode).toBe(code('ILLEGAL_SASL_STATE'));
    await wire.closed;
  });
});

describe('raw token mode (kafka-python 2.0.2): SaslHandshake v0, then size-prefixed tokens without a header', () => {
  const token = (s: string) => {
    const b = Buffer.from(s);
    const out = Buffer.alloc(4 + b.length);
    out.writeInt32BE(b.length, 0);
    b.copy(out, 4);
    return out;
  };

  it('PLAIN: an empty token answers success, then requests work', async () => {
    const name = await newUser('s3cret');
    const wire = await open();
    expect((await wire.request(K.hs, 0, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    await wire.raw(token(`\u0000${name}\u0000s3cret`));
    expect((await wire.nextFrame()).length).toBe(0);
    expect((await wire.request(K.md, 1, { topics: [] })).brokers).toHaveLength(1);
  });

  it('PLAIN with a wrong password: the connection closes (raw tokens carry no error)', async () => {
    const name = await newUser('s3cret');
    const wire = await open();
    await wire.request(K.hs, 0, { mechanism: 'PLAIN' });
    await wire.raw(token(`${name}\u0000${name}\u0000wrong`));
    await wire.closed;
  });

  it('SCRAM-SHA-512: client-first and client-final as raw tokens, the server signature back', async () => {
    const name = await newUser('s3cret');
    const wire = await open();
    await wire.request(K.hs, 0, { mechanism: 'SCRAM-SHA-512' });
    const bare = `n=${name},r=rawnonce`;
    await wire.raw(token(`n,,${bare}`));
    const serverFirst = text(await wire.nextFrame());
    const [, nonce, salt, iterations] = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(
      serverFirst,
    ) as unknown as string[];
    const salted = saltedPassword(
      'SCRAM-SHA-512',
      's3cret',
      Buffer.from(salt as string, 'base64'),
      Number(iterations),
    );
    const withoutProof = `c=biws,r=${nonce}`;
    const proof = clientProof('SCRAM-SHA-512', salted, `${bare},${serverFirst},${withoutProof}`);
    await wire.raw(token(`${withoutProof},p=${proof.toString('base64')}`));
    expect(text(await wire.nextFrame())).toMatch(/^v=/);
    expect((await wire.request(K.md, 1, { topics: [] })).brokers).toHaveLength(1);
  });
});

describe('session lifetime', () => {
  it('after it passes the next request closes the connection; re-authenticating before keeps it', async () => {
    const name = await newUser();
    const wire = await open();
    expect((await scramLogin(wire, 'SCRAM-SHA-256', name, 'pencil')).final.errorCode).toBe(0);
    const start = Date.now();
    // Re-authentication (KIP-368) on the same connection, near the end of the session: a new lifetime.
    ctx.engine.now = () => start + LIFETIME_MS - 1000;
    expect((await scramLogin(wire, 'SCRAM-SHA-256', name, 'pencil')).final.errorCode).toBe(0);
    ctx.engine.now = () => start + LIFETIME_MS + 1000;
    expect((await wire.request(K.md, 1, { topics: [] })).brokers).toHaveLength(1);
    ctx.engine.now = () => start + 2 * LIFETIME_MS;
    await wire.send(K.md, 1, { topics: [] });
    await wire.closed;
  });

  it('re-authenticating as another user fails and closes', async () => {
    const a = await newUser();
    const b = await newUser();
    const wire = await open();
    expect((await scramLogin(wire, 'SCRAM-SHA-256', a, 'pencil')).final.errorCode).toBe(0);
    const again = await scramLogin(wire, 'SCRAM-SHA-256', b, 'pencil');
    expect(again.final.errorCode).toBe(code('SASL_AUTHENTICATION_FAILED'));
    expect(again.final.errorMessage).toMatch(/Cannot change principals/);
    await wire.closed;
  });
});

describe('DescribeUserScramCredentials and AlterUserScramCredentials v0', () => {
  const D = APIS.DescribeUserScramCredentials.key;
  const A = APIS.AlterUserScramCredentials.key;

  it('upserts from a client-salted password (PLAIN then logs in with it), describes, deletes', async () => {
    const admin = await open();
    const adminUser = await newUser();
    expect((await scramLogin(admin, 'SCRAM-SHA-256', adminUser, 'pencil')).final.errorCode).toBe(0);
    const name = `salted-${Date.now()}`;
    const salt = Buffer.from('0123456789abcdef');
    const salted = saltedPassword('SCRAM-SHA-512', 'from-client', salt, 8192);
    const up = await admin.request(A, 0, {
      deletions: [],
      upsertions: [
        { name, mechanism: 2, iterations: 8192, salt, saltedPassword: salted },
        { name: 'weak', mechanism: 1, iterations: 100, salt, saltedPassword: salted },
        { name: 'odd', mechanism: 9, iterations: 8192, salt, saltedPassword: salted },
      ],
    });
    expect(up.results).toEqual([
      { user: name, errorCode: 0, errorMessage: null },
      {
        user: 'weak',
        errorCode: code('UNACCEPTABLE_CREDENTIAL'),
        errorMessage: expect.stringMatching(/iterations/),
      },
      { user: 'odd', errorCode: code('UNSUPPORTED_SASL_MECHANISM'), errorMessage: expect.any(String) },
    ]);

    const plain = await open();
    await plain.request(K.hs, 1, { mechanism: 'PLAIN' });
    const ok = await plain.request(K.auth, 1, { authBytes: Buffer.from(`\u0000${name}\u0000from-client`) });
    expect(ok.errorCode).toBe(0);

    const described = await admin.request(D, 0, { users: [{ name }, { name: 'nobody' }] });
    expect(described.errorCode).toBe(0);
    expect(described.results).toEqual([
      { user: name, errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 8192 }] },
      {
        user: 'nobody',
        errorCode: code('RESOURCE_NOT_FOUND'),
        errorMessage: expect.any(String),
        credentialInfos: [],
      },
    ]);
    const all = await admin.request(D, 0, { users: null });
    expect(all.results.map((r) => r.user)).toEqual(expect.arrayContaining([name, adminUser]));

    const del = await admin.request(A, 0, {
      deletions: [
        { name, mechanism: 2 },
        { name: 'nobody', mechanism: 1 },
      ],
      upsertions: [],
    });
    expect(del.results).toEqual([
      { user: name, errorCode: 0, errorMessage: null },
      { user: 'nobody', errorCode: code('RESOURCE_NOT_FOUND'), errorMessage: expect.any(String) },
    ]);
    const gone = await admin.request(D, 0, { users: [{ name }] });
    expect(gone.results[0]?.errorCode).toBe(code('RESOURCE_NOT_FOUND'));
  });
});
