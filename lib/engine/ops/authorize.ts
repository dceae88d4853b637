/**
 * The authorization policy both front ends call: may this principal, from this host, do this
 * operation on this resource? With authorization off (EngineConfig.authEnabled false) everyone may
 * do everything, as Kafka without an authorizer. With it on, the ACLs decide (lib/engine/acl.ts),
 * read through the per-process cache, super users excepted. A refusal is the typed error of the
 * resource: TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED or
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED (HTTP 403).
 */
import { CLUSTER_NAME, type Operation, type ResourceType } from '../../contract/acl.js';
import { authorize } from '../acl.js';
import type { Engine } from '../engine.js';
import {
  ClusterAuthorizationFailedError,
  GroupAuthorizationFailedError,
  type StrataError,
  TopicAuthorizationFailedError,
  TransactionalIdAuthorizationFailedError,
} from '../errors.js';
import { type Principal, principalName } from '../principal.js';

export type AclOperation = Exclude<Operation, 'ALL'>;

export interface Authorizer {
  readonly principal: Principal;
  readonly host: string;
  /** Whether the principal may do `operation` on the resource. */
  allowed(operation: AclOperation, resourceType: ResourceType, name?: string): Promise<boolean>;
  /** Resolves when allowed; rejects with the resource's authorization error otherwise. */
  require(operation: AclOperation, resourceType: ResourceType, name?: string): Promise<void>;
}

export function authorizationError(
  resourceType: ResourceType,
  operation: AclOperation,
  name: string,
): StrataError {
  const what = `${operation} on ${resourceType.toLowerCase().replace('_', ' ')} ${name}`;
  switch (resourceType) {
    case 'TOPIC':
      return new TopicAuthorizationFailedError(`not authorized to ${what}`);
    case 'GROUP':
      return new GroupAuthorizationFailedError(`not authorized to ${what}`);
    case 'CLUSTER':
      return new ClusterAuthorizationFailedError(`not authorized to ${operation} on the cluster`);
    case 'TRANSACTIONAL_ID':
      return new TransactionalIdAuthorizationFailedError(`not authorized to ${what}`);
  }
}

/** The authorizer for one caller. `host` is the client's address as the front end saw it. */
export function authorizerFor(engine: Engine, principal: Principal, host: string): Authorizer {
  const who = principalName(principal);
  const allowed = async (operation: AclOperation, resourceType: ResourceType, name = CLUSTER_NAME) => {
    if (!engine.config.authEnabled) return true;
    if (engine.config.superUsers.includes(who)) return true;
    const acls = await engine.acls.cached();
    return authorize(
      acls,
      { principal: who, host, resourceType, resourceName: name, operation },
      engine.config.superUsers,
    );
  };
  return {
    principal,
    host,
    allowed,
    async require(operation, resourceType, name = CLUSTER_NAME) {
      if (!(await allowed(operation, resourceType, name)))
        throw authorizationError(resourceType, operation, name);
    },
  };
}
