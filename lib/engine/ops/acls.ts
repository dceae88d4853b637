/**
 * Managing ACL bindings, for both front ends (Kafka's CreateAcls, DeleteAcls and DescribeAcls; the
 * HTTP API's /v1/acls). Who may call these is the caller's check (ALTER or DESCRIBE on the
 * cluster); these functions store and read through engine.acls. They work whether or not
 * enforcement is on (EngineConfig.authEnabled): ACLs can be set up before authorization is turned
 * on, as Kafka allows with an authorizer configured (docs/decisions.md, "ACLs over Kafka").
 */
import {
  type AclBinding,
  type AclFilter,
  OPERATIONS,
  PATTERN_TYPES,
  PERMISSIONS,
  RESOURCE_TYPES,
} from '../../contract/acl.js';
import { bindingKey, invalidBinding, matchesFilter } from '../acl.js';
import type { Engine } from '../engine.js';
import { InvalidRequestError, type StrataError } from '../errors.js';

/** One creation's outcome, in the order asked: stored, or why not (INVALID_REQUEST). */
export interface AclCreation {
  binding: AclBinding;
  error?: StrataError;
}

/** One filter's outcome: the bindings it deleted, or why it deleted nothing. */
export interface AclDeletion {
  filter: AclFilter;
  deleted: AclBinding[];
  error?: StrataError;
}

/**
 * Why a binding is refused: a value outside Kafka's vocabulary (ANY and MATCH are filters' only,
 * as are ALL's absence; the HTTP API hands us parsed JSON) or one invalidBinding refuses.
 */
export function refusal(b: AclBinding): string | undefined {
  if (!Object.hasOwn(RESOURCE_TYPES, b.resourceType)) return `unknown resource type ${b.resourceType}`;
  if (!Object.hasOwn(PATTERN_TYPES, b.patternType)) return `pattern type must be LITERAL or PREFIXED`;
  if (!Object.hasOwn(OPERATIONS, b.operation)) return `unknown operation ${b.operation}`;
  if (!Object.hasOwn(PERMISSIONS, b.permission)) return `permission must be ALLOW or DENY`;
  for (const f of ['principal', 'host', 'resourceName'] as const)
    if (typeof b[f] !== 'string') return `${f} must be a string`;
  return invalidBinding(b);
}

/** Why a filter is refused (a value outside the vocabulary), or undefined. */
export function invalidFilter(f: AclFilter): string | undefined {
  if (f.resourceType !== undefined && !Object.hasOwn(RESOURCE_TYPES, f.resourceType))
    return `unknown resource type ${f.resourceType}`;
  if (
    f.patternType !== undefined &&
    f.patternType !== 'MATCH' &&
    !Object.hasOwn(PATTERN_TYPES, f.patternType)
  )
    return `unknown pattern type ${f.patternType}`;
  if (f.operation !== undefined && !Object.hasOwn(OPERATIONS, f.operation))
    return `unknown operation ${f.operation}`;
  if (f.permission !== undefined && !Object.hasOwn(PERMISSIONS, f.permission))
    return `unknown permission ${f.permission}`;
  return undefined;
}

/**
 * Stores each valid binding; an invalid one is answered INVALID_REQUEST and the others are still
 * stored (Kafka answers per creation). Creating a binding that exists changes nothing.
 */
export async function createAcls(engine: Engine, bindings: readonly AclBinding[]): Promise<AclCreation[]> {
  return Promise.all(
    bindings.map(async (binding): Promise<AclCreation> => {
      const why = refusal(binding);
      if (why !== undefined) return { binding, error: new InvalidRequestError(why) };
      await engine.acls.create(binding);
      return { binding };
    }),
  );
}

/**
 * Deletes every stored binding each filter selects (Kafka's filter semantics: an absent field is
 * ANY, patternType MATCH selects the patterns that match the name), read now rather than from the
 * cache. A binding selected by several filters is deleted once and reported under each.
 */
export async function deleteAcls(engine: Engine, filters: readonly AclFilter[]): Promise<AclDeletion[]> {
  const stored = await engine.acls.list();
  const results: AclDeletion[] = filters.map((filter) => {
    const why = invalidFilter(filter);
    if (why !== undefined) return { filter, deleted: [], error: new InvalidRequestError(why) };
    return { filter, deleted: stored.filter((b) => matchesFilter(b, filter)) };
  });
  const doomed = new Map<string, AclBinding>();
  for (const r of results) for (const b of r.deleted) doomed.set(bindingKey(b), b);
  await Promise.all([...doomed.values()].map((b) => engine.acls.delete(b)));
  return results;
}

/** The stored bindings a filter selects, read now, in binding-key order. */
export async function describeAcls(engine: Engine, filter: AclFilter = {}): Promise<AclBinding[]> {
  const why = invalidFilter(filter);
  if (why !== undefined) throw new InvalidRequestError(why);
  return (await engine.acls.list()).filter((b) => matchesFilter(b, filter));
}
