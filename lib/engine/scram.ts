/**
 * SCRAM (RFC 5802, RFC 7677) as a server sees it: the keys a password gives, the messages of one
 * exchange, and the proof check. Pure: the caller finds the user's stored keys and keeps the
 * exchange's state between the client's two messages. Nothing here keeps a password; a PLAIN
 * password is checked by deriving the same StoredKey from it (verifyPassword), so one stored
 * format serves both mechanisms.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's floor and ceiling for a credential's iterations (ScramMechanism.java). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

export function isScramMechanism(m: string): m is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(m);
}

/** What is stored per user and mechanism: enough to verify a proof, not to make one. */
export interface ScramCredential {
  salt: Uint8Array;
  iterations: number;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}

const hmac = (m: ScramMechanism, key: Uint8Array, data: string | Uint8Array) =>
  createHmac(HASH[m].name, key).update(data).digest();
const hash = (m: ScramMechanism, data: Uint8Array) => createHash(HASH[m].name).update(data).digest();

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC. No SASLprep: passwords are taken as UTF-8 bytes. */
export function saltedPassword(
  m: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH[m].bytes, HASH[m].name);
}

/**
 * The stored keys from a salted password. AlterUserScramCredentials sends the salted password
 * (the client ran PBKDF2), so the server never sees the password there either.
 */
export function credentialFromSaltedPassword(
  m: ScramMechanism,
  salted: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return {
    salt: Uint8Array.from(salt),
    iterations,
    storedKey: hash(m, clientKey),
    serverKey: hmac(m, salted, 'Server Key'),
  };
}

/** Keys for a password with a fresh random salt. */
export function credentialFromPassword(
  m: ScramMechanism,
  password: string,
  iterations = MIN_ITERATIONS,
  salt: Uint8Array = randomBytes(HASH[m].bytes),
): ScramCredential {
  return credentialFromSaltedPassword(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

/** Does `password` give the credential's StoredKey? (SASL PLAIN over SCRAM keys.) Constant-time compare. */
export function verifyPassword(m: ScramMechanism, credential: ScramCredential, password: string): boolean {
  const derived = credentialFromPassword(m, password, credential.iterations, credential.salt);
  return equal(derived.storedKey, credential.storedKey);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A SCRAM exchange that failed: the message is for the client (and never says which part was wrong). */
export class ScramError extends Error {}

/** `saslname`: `=2C` is a comma and `=3D` an equals sign; any other `=` is malformed (RFC 5802 5.1). */
function decodeSaslName(raw: string): string {
  if (/=(?!2C|3D)/.test(raw)) throw new ScramError('malformed user name');
  return raw.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** `k=v` attributes of a message, in order. */
function attributes(text: string): [string, string][] {
  return text.split(',').map((part) => {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(part);
    if (!m) throw new ScramError(`malformed attribute '${part.slice(0, 40)}'`);
    return [m[1] as string, m[2] as string];
  });
}

export interface ClientFirst {
  /** The GS2 header as sent (`n,,` or `y,,` or with `a=<authzid>`): the client-final's `c=` must echo it. */
  gs2Header: string;
  /** `client-first-message-bare`, part of the AuthMessage. */
  bare: string;
  user: string;
  /** The authorization id, when the client named one. */
  authzid?: string;
  clientNonce: string;
  /** Extensions after the nonce (Kafka's `tokenauth=true` for delegation tokens). */
  extensions: Record<string, string>;
}

/**
 * `gs2-header client-first-message-bare`. Channel binding (`p=`) is refused: the gateway offers
 * none, and a client that asks for it must not be downgraded silently.
 */
export function parseClientFirst(message: string): ClientFirst {
  const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
  if (!m) throw new ScramError('malformed client-first message');
  const [, cbind, authz, bare] = m as unknown as [string, string, string | undefined, string];
  if (cbind.startsWith('p=')) throw new ScramError('channel binding is not supported');
  const attrs = attributes(bare);
  const [n, r] = attrs;
  if (n?.[0] !== 'n' || r?.[0] !== 'r' || r[1] === '') throw new ScramError('malformed client-first message');
  const extensions: Record<string, string> = {};
  for (const [k, v] of attrs.slice(2)) extensions[k] = v;
  return {
    gs2Header: `${cbind},${authz ?? ''},`,
    bare,
    user: decodeSaslName(n[1]),
    ...(authz ? { authzid: decodeSaslName(authz.slice(2)) } : {}),
    clientNonce: r[1],
    extensions,
  };
}

export interface ServerFirst {
  message: string;
  nonce: string;
}

/** `r=<client nonce><server nonce>,s=<salt>,i=<iterations>`. */
export function serverFirst(
  first: ClientFirst,
  credential: Pick<ScramCredential, 'salt' | 'iterations'>,
  serverNonce = randomBytes(18).toString('base64url'),
): ServerFirst {
  const nonce = first.clientNonce + serverNonce;
  return {
    message: `r=${nonce},s=${Buffer.from(credential.salt).toString('base64')},i=${credential.iterations}`,
    nonce,
  };
}

/**
 * Checks `c=<gs2 header>,r=<nonce>,p=<proof>` against the stored keys; returns the server-final
 * message `v=<server signature>`, or throws ScramError.
 */
export function verifyClientFinal(
  m: ScramMechanism,
  first: ClientFirst,
  server: ServerFirst,
  credential: ScramCredential,
  message: string,
): string {
  const at = message.lastIndexOf(',p=');
  if (at < 0) throw new ScramError('malformed client-final message');
  const withoutProof = message.slice(0, at);
  const attrs = attributes(withoutProof);
  const [c, r] = attrs;
  if (c?.[0] !== 'c' || r?.[0] !== 'r') throw new ScramError('malformed client-final message');
  if (Buffer.from(c[1], 'base64').toString('latin1') !== first.gs2Header)
    throw new ScramError('channel binding does not match the client-first message');
  // Kafka's check is "ends with": librdkafka (2.0 at least) puts its own nonce before the server's
  // whole `r=` value, which already starts with it. The server's random part is still required.
  if (!r[1].endsWith(server.nonce)) throw new ScramError('nonce does not match');
  const proof = Buffer.from(message.slice(at + 3), 'base64');
  const authMessage = `${first.bare},${server.message},${withoutProof}`;
  const clientSignature = hmac(m, credential.storedKey, authMessage);
  if (proof.length !== clientSignature.length) throw new ScramError('invalid credentials');
  const clientKey = xor(proof, clientSignature);
  if (!equal(hash(m, clientKey), credential.storedKey)) throw new ScramError('invalid credentials');
  return `v=${hmac(m, credential.serverKey, authMessage).toString('base64')}`;
}

/** The client's side of the math, for tests and tools: the proof for an AuthMessage. */
export function clientProof(m: ScramMechanism, salted: Uint8Array, authMessage: string): Buffer {
  const clientKey = hmac(m, salted, 'Client Key');
  return xor(clientKey, hmac(m, hash(m, clientKey), authMessage));
}

/** The server signature a client expects for an AuthMessage. */
export function serverSignature(m: ScramMechanism, serverKey: Uint8Array, authMessage: string): Buffer {
  return hmac(m, serverKey, authMessage);
}
