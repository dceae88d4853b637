/**
 * Kafka's ACL vocabulary, as both front ends and the clients spell it: the names of Kafka's Java
 * enums (ResourceType, PatternType, AclOperation, AclPermissionType) and their wire codes. An ACL
 * binding is a principal and a host, allowed or denied one operation on a resource pattern.
 * Browser-safe; the decision itself is lib/engine/acl.ts.
 */

export const RESOURCE_TYPES = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;
export type ResourceType = keyof typeof RESOURCE_TYPES;

export const PATTERN_TYPES = { LITERAL: 3, PREFIXED: 4 } as const;
export type PatternType = keyof typeof PATTERN_TYPES;

export const OPERATIONS = {
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;
export type Operation = keyof typeof OPERATIONS;

export const PERMISSIONS = { DENY: 2, ALLOW: 3 } as const;
export type Permission = keyof typeof PERMISSIONS;

/** Filters also take these: any value (and, for patterns, every pattern that matches a name). */
export const FILTER_ANY = 1;
export const PATTERN_MATCH = 2;

/** The one cluster resource's name. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name, principal or host that matches every one. */
export const WILDCARD = '*';

export interface AclBinding {
  /** `User:alice`, or `User:*` for everyone. */
  principal: string;
  /** A client address, or `*`. */
  host: string;
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  operation: Operation;
  permission: Permission;
}

/** A filter for listing and deleting: an absent field matches anything. */
export interface AclFilter {
  principal?: string;
  host?: string;
  resourceType?: ResourceType;
  resourceName?: string;
  /** MATCH: every binding whose pattern matches `resourceName` (literal, wildcard or prefix). */
  patternType?: PatternType | 'MATCH';
  operation?: Operation;
  permission?: Permission;
}

/** Code -> name for one of the tables above (undefined for a code the table does not have). */
export function nameOfCode<T extends Record<string, number>>(table: T, code: number): keyof T | undefined {
  return (Object.keys(table) as (keyof T)[]).find((k) => table[k] === code);
}
