import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientProof,
  credentialFromPassword,
  credentialFromSaltedPassword,
  parseClientFirst,
  ScramError,
  saltedPassword,
  serverFirst,
  verifyClientFinal,
  verifyPassword,
} from '../../../lib/engine/scram.js';

describe('SCRAM-SHA-256, RFC 7677 section 3', () => {
  const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const credential = credentialFromPassword('SCRAM-SHA-256', 'pencil', 4096, salt);
  const clientFinal =
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';

  it('answers the server-first message and the server signature of the RFC', () => {
    const first = parseClientFirst(clientFirst);
    expect(first).toMatchObject({ user: 'user', clientNonce: 'rOprNGfwEbeRWgbNEkqO', gs2Header: 'n,,' });
    const server = serverFirst(first, credential, serverNonce);
    expect(server.message).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    expect(verifyClientFinal('SCRAM-SHA-256', first, server, credential, clientFinal)).toBe(
      'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
  });

  it('refuses the RFC proof against another password, a changed nonce, and another channel binding', () => {
    const first = parseClientFirst(clientFirst);
    const server = serverFirst(first, credential, serverNonce);
    const other = credentialFromPassword('SCRAM-SHA-256', 'pencil2', 4096, salt);
    expect(() => verifyClientFinal('SCRAM-SHA-256', first, server, other, clientFinal)).toThrow(ScramError);
    expect(() =>
      verifyClientFinal('SCRAM-SHA-256', first, server, credential, clientFinal.replace('k0,p', 'k1,p')),
    ).toThrow(/nonce/);
    expect(() =>
      verifyClientFinal('SCRAM-SHA-256', first, server, credential, clientFinal.replace('c=biws', 'c=eSws')),
    ).toThrow(/channel binding/);
  });

  it("accepts a client-final nonce that ends with the server's (librdkafka repeats its own nonce first), as Kafka does", () => {
    const first = parseClientFirst('n,,n=u,r=abc');
    const server = serverFirst(first, credential, 'XYZ');
    const withoutProof = `c=biws,r=abc${server.nonce}`;
    const salted = saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096);
    const proof = clientProof('SCRAM-SHA-256', salted, `${first.bare},${server.message},${withoutProof}`);
    const final = `${withoutProof},p=${proof.toString('base64')}`;
    expect(verifyClientFinal('SCRAM-SHA-256', first, server, credential, final)).toMatch(/^v=/);
    expect(() =>
      verifyClientFinal('SCRAM-SHA-256', first, server, credential, final.replace('abcabcXYZ', 'abcabcXY')),
    ).toThrow(/nonce/);
  });

  it('reads escaped user names, an authzid and extensions; refuses channel binding and junk', () => {
    expect(parseClientFirst('n,a=al=2Cice,n=al=3Dice,r=abc,tokenauth=true')).toMatchObject({
      user: 'al=ice',
      authzid: 'al,ice',
      extensions: { tokenauth: 'true' },
    });
    expect(() => parseClientFirst('p=tls-unique,,n=u,r=abc')).toThrow(/channel binding/);
    expect(() => parseClientFirst('n,,n=u')).toThrow(ScramError);
    expect(() => parseClientFirst('n,,n=a=b,r=x')).toThrow(/user name/);
    expect(() => parseClientFirst('garbage')).toThrow(ScramError);
  });
});

describe('properties', () => {
  const mechanism = fc.constantFrom('SCRAM-SHA-256' as const, 'SCRAM-SHA-512' as const);
  // PBKDF2 at 4096 rounds per case: few runs, still hundreds of derivations.
  const runs = { numRuns: 25 };

  it('any password verifies against its own keys, by PLAIN and by a full SCRAM exchange', () => {
    fc.assert(
      fc.property(
        mechanism,
        fc.string({ maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 16 }),
        (m, pw, nonce) => {
          const credential = credentialFromPassword(m, pw);
          expect(verifyPassword(m, credential, pw)).toBe(true);
          const cnonce = Buffer.from(nonce).toString('base64');
          const first = parseClientFirst(`n,,n=u,r=${cnonce}`);
          const server = serverFirst(first, credential);
          const withoutProof = `c=biws,r=${server.nonce}`;
          const salted = saltedPassword(m, pw, credential.salt, credential.iterations);
          const proof = clientProof(m, salted, `${first.bare},${server.message},${withoutProof}`);
          const final = `${withoutProof},p=${proof.toString('base64')}`;
          expect(verifyClientFinal(m, first, server, credential, final)).toMatch(/^v=/);
        },
      ),
      runs,
    );
  });

  it('a different password never verifies', () => {
    fc.assert(
      fc.property(mechanism, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (m, pw, other) => {
        fc.pre(pw !== other);
        const credential = credentialFromPassword(m, pw);
        expect(verifyPassword(m, credential, other)).toBe(false);
        const first = parseClientFirst('n,,n=u,r=nonce');
        const server = serverFirst(first, credential);
        const withoutProof = `c=biws,r=${server.nonce}`;
        const salted = saltedPassword(m, other, credential.salt, credential.iterations);
        const proof = clientProof(m, salted, `${first.bare},${server.message},${withoutProof}`);
        expect(() =>
          verifyClientFinal(m, first, server, credential, `${withoutProof},p=${proof.toString('base64')}`),
        ).toThrow(ScramError);
      }),
      runs,
    );
  });

  it('keys from a client-salted password equal keys from the password', () => {
    fc.assert(
      fc.property(mechanism, fc.string({ maxLength: 20 }), (m, pw) => {
        const a = credentialFromPassword(m, pw);
        const b = credentialFromSaltedPassword(
          m,
          saltedPassword(m, pw, a.salt, a.iterations),
          a.salt,
          a.iterations,
        );
        expect(Buffer.from(b.storedKey).equals(Buffer.from(a.storedKey))).toBe(true);
        expect(Buffer.from(b.serverKey).equals(Buffer.from(a.serverKey))).toBe(true);
      }),
      runs,
    );
  });
});
