/**
 * Kafka's authorization decision (its StandardAuthorizer's rules), pure:
 *
 * - Super users may do everything.
 * - A DENY binding that matches wins over any ALLOW. It matches on the operation asked or ALL.
 * - Otherwise an ALLOW binding must match: the operation, ALL, or one that implies it (DESCRIBE is
 *   implied by READ, WRITE, DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS).
 * - No match is a denial (`allow.everyone.if.no.acl.found=false`).
 *
 * A binding matches a principal that equals it or `User:*`, a host that equals it or `*`, and a
 * resource of its type whose name equals a LITERAL pattern (or the pattern is `*`) or starts with
 * a PREFIXED one. Tests: test/unit/acl.test.ts.
 */
import {
  type AclBinding,
  type AclFilter,
  CLUSTER_NAME,
  type Operation,
  type ResourceType,
  WILDCARD,
} from '../contract/acl.js';

export interface AclRequest {
  principal: string;
  host: string;
  resourceType: ResourceType;
  resourceName: string;
  operation: Exclude<Operation, 'ALL'>;
}

const IMPLIED_BY: Partial<Record<Operation, readonly Operation[]>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

function matchesResource(b: AclBinding, type: ResourceType, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === 'PREFIXED') return name.startsWith(b.resourceName);
  return b.resourceName === name || b.resourceName === WILDCARD;
}

function matchesWho(b: AclBinding, principal: string, host: string): boolean {
  return (
    (b.principal === principal || b.principal === `User:${WILDCARD}`) &&
    (b.host === host || b.host === WILDCARD)
  );
}

export function authorize(
  acls: readonly AclBinding[],
  req: AclRequest,
  superUsers: readonly string[],
): boolean {
  if (superUsers.includes(req.principal)) return true;
  const relevant = acls.filter(
    (b) => matchesWho(b, req.principal, req.host) && matchesResource(b, req.resourceType, req.resourceName),
  );
  if (
    relevant.some((b) => b.permission === 'DENY' && (b.operation === req.operation || b.operation === 'ALL'))
  )
    return false;
  const allowing = new Set<Operation>(['ALL', req.operation, ...(IMPLIED_BY[req.operation] ?? [])]);
  return relevant.some((b) => b.permission === 'ALLOW' && allowing.has(b.operation));
}

/** Whether a stored binding is selected by a filter (DescribeAcls, DeleteAcls, `GET /v1/acls`). */
export function matchesFilter(b: AclBinding, f: AclFilter): boolean {
  if (f.principal !== undefined && b.principal !== f.principal) return false;
  if (f.host !== undefined && b.host !== f.host) return false;
  if (f.operation !== undefined && b.operation !== f.operation) return false;
  if (f.permission !== undefined && b.permission !== f.permission) return false;
  if (f.resourceType !== undefined && b.resourceType !== f.resourceType) return false;
  if (f.patternType === 'MATCH') {
    if (f.resourceName === undefined) return true;
    return f.resourceType === undefined
      ? matchesResource(b, b.resourceType, f.resourceName)
      : matchesResource(b, f.resourceType, f.resourceName);
  }
  if (f.patternType !== undefined && b.patternType !== f.patternType) return false;
  if (f.resourceName !== undefined && b.resourceName !== f.resourceName) return false;
  return true;
}

/** Why a binding cannot be stored, or undefined when it can. */
export function invalidBinding(b: AclBinding): string | undefined {
  if (!/^User:.+$/.test(b.principal))
    return `principal must be User:<name> or User:*, got ${JSON.stringify(b.principal)}`;
  if (b.host === '') return 'host must be an address or *';
  if (b.resourceName === '') return 'resource name must not be empty';
  if (b.resourceType === 'CLUSTER' && b.resourceName !== CLUSTER_NAME)
    return `the cluster resource is named ${CLUSTER_NAME}`;
  if (b.patternType === 'PREFIXED' && b.resourceName === WILDCARD)
    return 'a PREFIXED pattern of * is not allowed; use LITERAL *';
  return undefined;
}

/** One string per binding: its identity in storage, and the order of listings. */
export function bindingKey(b: AclBinding): string {
  return [b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permission]
    .map((part) => encodeURIComponent(part))
    .join('|');
}
