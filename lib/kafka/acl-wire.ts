/**
 * Kafka's ACL wire codes <-> the engine's ACL vocabulary, for CreateAcls, DeleteAcls and
 * DescribeAcls. A code outside the vocabulary (UNKNOWN 0, a number Kafka has and Strata does not,
 * ANY in a creation) makes the binding or filter invalid: INVALID_REQUEST, as Kafka answers.
 */
import {
  type AclBinding,
  type AclFilter,
  FILTER_ANY,
  nameOfCode,
  OPERATIONS,
  PATTERN_MATCH,
  PATTERN_TYPES,
  PERMISSIONS,
  RESOURCE_TYPES,
} from '../contract/acl.js';

export interface WireBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** A creation's binding, or why its codes are not a binding. */
export function bindingFromWire(w: WireBinding): AclBinding | string {
  const resourceType = nameOfCode(RESOURCE_TYPES, w.resourceType);
  const patternType = nameOfCode(PATTERN_TYPES, w.patternType);
  const operation = nameOfCode(OPERATIONS, w.operation);
  const permission = nameOfCode(PERMISSIONS, w.permissionType);
  if (!resourceType) return `invalid resource type ${w.resourceType}`;
  if (!patternType) return `invalid pattern type ${w.patternType}: a binding is LITERAL or PREFIXED`;
  if (!operation) return `invalid operation ${w.operation}`;
  if (!permission) return `invalid permission type ${w.permissionType}`;
  return {
    principal: w.principal,
    host: w.host,
    resourceType,
    resourceName: w.resourceName,
    patternType,
    operation,
    permission,
  };
}

/** A filter (ANY and null are absent fields; MATCH kept), or why its codes are not a filter. */
export function filterFromWire(w: WireFilter): AclFilter | string {
  const f: AclFilter = {};
  if (w.resourceTypeFilter !== FILTER_ANY) {
    const t = nameOfCode(RESOURCE_TYPES, w.resourceTypeFilter);
    if (!t) return `invalid resource type filter ${w.resourceTypeFilter}`;
    f.resourceType = t;
  }
  if (w.patternTypeFilter === PATTERN_MATCH) f.patternType = 'MATCH';
  else if (w.patternTypeFilter !== FILTER_ANY) {
    const p = nameOfCode(PATTERN_TYPES, w.patternTypeFilter);
    if (!p) return `invalid pattern type filter ${w.patternTypeFilter}`;
    f.patternType = p;
  }
  if (w.operation !== FILTER_ANY) {
    const o = nameOfCode(OPERATIONS, w.operation);
    if (!o) return `invalid operation filter ${w.operation}`;
    f.operation = o;
  }
  if (w.permissionType !== FILTER_ANY) {
    const p = nameOfCode(PERMISSIONS, w.permissionType);
    if (!p) return `invalid permission type filter ${w.permissionType}`;
    f.permission = p;
  }
  if (w.resourceNameFilter !== null) f.resourceName = w.resourceNameFilter;
  if (w.principalFilter !== null) f.principal = w.principalFilter;
  if (w.hostFilter !== null) f.host = w.hostFilter;
  return f;
}

export function bindingToWire(b: AclBinding): WireBinding {
  return {
    resourceType: RESOURCE_TYPES[b.resourceType],
    resourceName: b.resourceName,
    patternType: PATTERN_TYPES[b.patternType],
    principal: b.principal,
    host: b.host,
    operation: OPERATIONS[b.operation],
    permissionType: PERMISSIONS[b.permission],
  };
}
