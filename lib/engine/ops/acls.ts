/**
 * ACL management, shared by `POST|GET|DELETE /v1/acls` and Kafka's CreateAcls, DescribeAcls and
 * DeleteAcls: validate every binding before storing any, list by filter, delete what a filter
 * selects and report it. The bindings live in the ACL store (lib/engine/storage/acl-store.ts).
 *
 * NOTE (merge): written on the acl-http branch because lib/engine/ops/acls.ts did not exist yet;
 * the Kafka-ACL branch writes the same three functions. Keep one.
 */
import type { AclBinding, AclFilter } from '../../contract/acl.js';
import { bindingKey, invalidBinding, matchesFilter } from '../acl.js';
import type { Engine } from '../engine.js';
import { InvalidRequestError } from '../errors.js';

/** Stores the bindings, all or none checked first; storing one that exists changes nothing. */
export async function createAcls(engine: Engine, bindings: readonly AclBinding[]): Promise<AclBinding[]> {
  bindings.forEach((b, i) => {
    const why = invalidBinding(b);
    if (why) throw new InvalidRequestError(`acls.${i}: ${why}`);
  });
  const unique = new Map(bindings.map((b) => [bindingKey(b), b]));
  for (const b of unique.values()) await engine.acls.create(b);
  return [...unique.values()];
}

/** The stored bindings the filter selects, read now (not from the cache), in binding-key order. */
export async function describeAcls(engine: Engine, filter: AclFilter): Promise<AclBinding[]> {
  return (await engine.acls.list()).filter((b) => matchesFilter(b, filter));
}

/** Deletes the bindings the filter selects and returns them. */
export async function deleteAcls(engine: Engine, filter: AclFilter): Promise<AclBinding[]> {
  const doomed = await describeAcls(engine, filter);
  for (const b of doomed) await engine.acls.delete(b);
  return doomed;
}
