/**
 * SASL users: created from a password (the keys of each SCRAM mechanism derived here, the password
 * then dropped), or from a client-salted password (Kafka's AlterUserScramCredentials), listed
 * without secrets, deleted, and checked. The Kafka gateway authenticates against these on every
 * handshake; nothing about a user is cached.
 */
import type { Engine } from '../engine.js';
import { ResourceNotFoundError, UnacceptableCredentialError } from '../errors.js';
import {
  credentialFromPassword,
  credentialFromSaltedPassword,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanism,
  verifyPassword,
} from '../scram.js';
import type { UserSummary } from '../storage/credential-store.js';

export type { UserSummary } from '../storage/credential-store.js';

/** Iterations of the keys a password gets here (Kafka's `kafka-configs` default). */
export const DEFAULT_ITERATIONS = MIN_ITERATIONS;

function checkName(name: string): void {
  if (name === '' || name.length > 255 || [...name].some((ch) => ch.charCodeAt(0) < 0x20))
    throw new UnacceptableCredentialError('a user name must be 1-255 printable characters');
}

function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)
    throw new UnacceptableCredentialError(
      `iterations must be ${MIN_ITERATIONS}-${MAX_ITERATIONS}, got ${iterations}`,
    );
}

/**
 * Creates the user, or sets its password: keys for each mechanism (default both SCRAM
 * mechanisms; PLAIN checks against them), each with a fresh salt.
 */
export async function upsertUser(
  engine: Engine,
  input: { name: string; password: string; mechanisms?: readonly ScramMechanism[]; iterations?: number },
): Promise<UserSummary> {
  checkName(input.name);
  if (input.password === '') throw new UnacceptableCredentialError('the password must not be empty');
  const iterations = input.iterations ?? DEFAULT_ITERATIONS;
  checkIterations(iterations);
  const mechanisms = input.mechanisms?.length ? [...new Set(input.mechanisms)] : [...SCRAM_MECHANISMS];
  for (const m of mechanisms) {
    await engine.users.put(input.name, m, credentialFromPassword(m, input.password, iterations));
  }
  return { name: input.name, mechanisms: mechanisms.map((mechanism) => ({ mechanism, iterations })) };
}

/** Stores keys from a password the client salted (AlterUserScramCredentials' upsertion). */
export async function upsertSaltedCredential(
  engine: Engine,
  name: string,
  mechanism: ScramMechanism,
  input: { salt: Uint8Array; saltedPassword: Uint8Array; iterations: number },
): Promise<void> {
  checkName(name);
  checkIterations(input.iterations);
  if (input.salt.length === 0 || input.saltedPassword.length === 0)
    throw new UnacceptableCredentialError('salt and salted password must not be empty');
  await engine.users.put(
    name,
    mechanism,
    credentialFromSaltedPassword(mechanism, input.saltedPassword, input.salt, input.iterations),
  );
}

/** Removes one mechanism's credential (the user goes with its last one). */
export async function deleteCredential(
  engine: Engine,
  name: string,
  mechanism: ScramMechanism,
): Promise<void> {
  if (!(await engine.users.deleteCredential(name, mechanism)))
    throw new ResourceNotFoundError(`user ${name} has no ${mechanism} credential`);
}

export async function deleteUser(engine: Engine, name: string): Promise<void> {
  if (!(await engine.users.delete(name))) throw new ResourceNotFoundError(`no user ${name}`);
}

/** Every user with its mechanisms and iterations; no salt or key. */
export function listUsers(engine: Engine): Promise<UserSummary[]> {
  return engine.users.list();
}

/** One user's summary; RESOURCE_NOT_FOUND when there is none. */
export async function describeUser(engine: Engine, name: string): Promise<UserSummary> {
  const user = await engine.users.get(name);
  const mechanisms = SCRAM_MECHANISMS.filter((m) => user?.credentials[m]);
  if (!user || mechanisms.length === 0) throw new ResourceNotFoundError(`no user ${name}`);
  return {
    name,
    mechanisms: mechanisms.map((m) => ({
      mechanism: m,
      iterations: (user.credentials[m] as ScramCredential).iterations,
    })),
  };
}

/** The keys a SCRAM exchange checks against; undefined for an unknown user or mechanism. */
export async function scramCredential(
  engine: Engine,
  name: string,
  mechanism: ScramMechanism,
): Promise<ScramCredential | undefined> {
  return (await engine.users.get(name))?.credentials[mechanism];
}

/**
 * SASL PLAIN: does the password match the user's keys? Checked by deriving a StoredKey from it
 * with the stored salt (SCRAM-SHA-512's when the user has both), so no second format is stored.
 */
export async function verifyUserPassword(engine: Engine, name: string, password: string): Promise<boolean> {
  const user = await engine.users.get(name);
  for (const m of ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const) {
    const c = user?.credentials[m];
    if (c) return verifyPassword(m, c, password);
  }
  // An unknown user costs the same derivation, so that timing does not tell which users exist.
  unknownUser ??= credentialFromPassword('SCRAM-SHA-512', '');
  verifyPassword('SCRAM-SHA-512', unknownUser, password);
  return false;
}

let unknownUser: ScramCredential | undefined;
