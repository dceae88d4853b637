/**
 * What each Kafka API needs from the ACLs, as Kafka's own broker asks it (KafkaApis; the
 * "Operations and Resources on Protocols" table of Kafka's authorization docs). This table is the
 * declaration: docs/kafka.md's "Authorization" table is checked against it
 * (test/unit/kafka/docs-apis.test.ts), and the authorization integration test grants and withholds
 * exactly what it says for every API in the registry. The checks themselves live in the handlers,
 * which know the resources a request names; they call ctx.authz and the helpers below.
 *
 * It is a Record over every API the codec knows, so an API added to the schema (and so to the
 * registry) does not compile until its rule is written here.
 */
import { OPERATIONS, type ResourceType } from '../contract/acl.js';
import type { ServerErrorCode } from '../contract/errors.js';
import type { AclOperation } from '../engine/index.js';
import { principalName } from '../engine/principal.js';
import type { RequestContext } from './handler.js';
import type { ApiName } from './protocol/schema/index.js';

/** One operation on one kind of resource; `on` says which resources of the request, for the docs. */
export interface Need {
  operation: AclOperation;
  resource: ResourceType;
  on: string;
}

export interface AuthorizationRule {
  /**
   * Every entry is needed; an entry of several needs is satisfied by any one of them (CREATE on
   * the cluster or on the topic). An entry with `when` applies only to some requests.
   */
  needs: readonly { anyOf: readonly Need[]; when?: string }[];
  /**
   * What a refused request gets: the error code of the resource (per resource where the response
   * has per-resource codes), or `hidden` where the resource is left out of the answer instead.
   */
  refused: ServerErrorCode | 'hidden' | 'none';
}

const need = (operation: AclOperation, resource: ResourceType, on: string): Need => ({
  operation,
  resource,
  on,
});
const cluster = (operation: AclOperation) => need(operation, 'CLUSTER', 'the cluster');
const eachTopic = (operation: AclOperation) => need(operation, 'TOPIC', 'each topic');
const group = (operation: AclOperation) => need(operation, 'GROUP', 'the group');
const all = (...needs: Need[]) => needs.map((n) => ({ anyOf: [n] }));

const NOTHING: AuthorizationRule = { needs: [], refused: 'none' };

export const AUTHORIZATION: Record<ApiName, AuthorizationRule> = {
  Produce: {
    needs: [
      { anyOf: [eachTopic('WRITE')] },
      // KIP-679: WRITE on the topic lets a producer be idempotent; IDEMPOTENT_WRITE is not needed.
      { anyOf: [cluster('IDEMPOTENT_WRITE'), eachTopic('WRITE')], when: 'idempotent batches' },
      { anyOf: [cluster('CREATE'), eachTopic('CREATE')], when: 'auto-creation' },
    ],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  Fetch: { needs: all(eachTopic('READ')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  ListOffsets: { needs: all(eachTopic('DESCRIBE')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  Metadata: {
    needs: [
      { anyOf: [eachTopic('DESCRIBE')] },
      { anyOf: [cluster('CREATE'), eachTopic('CREATE')], when: 'auto-creation' },
    ],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  OffsetCommit: { needs: all(group('READ'), eachTopic('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  OffsetFetch: {
    needs: all(group('DESCRIBE'), eachTopic('DESCRIBE')),
    refused: 'GROUP_AUTHORIZATION_FAILED',
  },
  FindCoordinator: {
    needs: [
      { anyOf: [group('DESCRIBE')], when: 'group keys' },
      { anyOf: [need('DESCRIBE', 'TRANSACTIONAL_ID', 'the transactional id')], when: 'transaction keys' },
    ],
    refused: 'GROUP_AUTHORIZATION_FAILED',
  },
  JoinGroup: { needs: all(group('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  Heartbeat: { needs: all(group('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  LeaveGroup: { needs: all(group('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  SyncGroup: { needs: all(group('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  DescribeGroups: {
    needs: all(need('DESCRIBE', 'GROUP', 'each group')),
    refused: 'GROUP_AUTHORIZATION_FAILED',
  },
  ListGroups: {
    needs: [{ anyOf: [cluster('DESCRIBE'), need('DESCRIBE', 'GROUP', 'each group listed')] }],
    refused: 'hidden',
  },
  SaslHandshake: NOTHING,
  ApiVersions: NOTHING,
  CreateTopics: {
    needs: [{ anyOf: [cluster('CREATE'), eachTopic('CREATE')] }],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  DeleteTopics: { needs: all(eachTopic('DELETE')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  DeleteRecords: { needs: all(eachTopic('DELETE')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  InitProducerId: {
    needs: [
      {
        anyOf: [cluster('IDEMPOTENT_WRITE'), need('WRITE', 'TOPIC', 'any topic')],
        when: 'no transactional id',
      },
      { anyOf: [need('WRITE', 'TRANSACTIONAL_ID', 'the transactional id')], when: 'a transactional id' },
    ],
    refused: 'CLUSTER_AUTHORIZATION_FAILED',
  },
  OffsetForLeaderEpoch: { needs: all(eachTopic('DESCRIBE')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  DescribeConfigs: {
    needs: [
      { anyOf: [need('DESCRIBE_CONFIGS', 'TOPIC', 'each topic')], when: 'topics' },
      { anyOf: [cluster('DESCRIBE_CONFIGS')], when: 'the broker' },
    ],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  AlterConfigs: {
    needs: [
      { anyOf: [need('ALTER_CONFIGS', 'TOPIC', 'each topic')], when: 'topics' },
      { anyOf: [cluster('ALTER_CONFIGS')], when: 'the broker' },
    ],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  SaslAuthenticate: NOTHING,
  DescribeAcls: { needs: all(cluster('DESCRIBE')), refused: 'CLUSTER_AUTHORIZATION_FAILED' },
  CreateAcls: { needs: all(cluster('ALTER')), refused: 'CLUSTER_AUTHORIZATION_FAILED' },
  DeleteAcls: { needs: all(cluster('ALTER')), refused: 'CLUSTER_AUTHORIZATION_FAILED' },
  CreatePartitions: { needs: all(eachTopic('ALTER')), refused: 'TOPIC_AUTHORIZATION_FAILED' },
  DeleteGroups: { needs: all(need('DELETE', 'GROUP', 'each group')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  OffsetDelete: { needs: all(group('DELETE'), eachTopic('READ')), refused: 'GROUP_AUTHORIZATION_FAILED' },
  IncrementalAlterConfigs: {
    needs: [
      { anyOf: [need('ALTER_CONFIGS', 'TOPIC', 'each topic')], when: 'topics' },
      { anyOf: [cluster('ALTER_CONFIGS')], when: 'the broker' },
    ],
    refused: 'TOPIC_AUTHORIZATION_FAILED',
  },
  DescribeCluster: { needs: all(cluster('DESCRIBE')), refused: 'CLUSTER_AUTHORIZATION_FAILED' },
  ConsumerGroupHeartbeat: {
    needs: [
      { anyOf: [group('READ')] },
      // Subscribed topics the principal may not DESCRIBE are treated as absent, never assigned.
      { anyOf: [need('DESCRIBE', 'TOPIC', 'each subscribed topic')], when: 'to be assigned' },
    ],
    refused: 'GROUP_AUTHORIZATION_FAILED',
  },
  ConsumerGroupDescribe: {
    needs: all(need('DESCRIBE', 'GROUP', 'each group')),
    refused: 'GROUP_AUTHORIZATION_FAILED',
  },
};

/** The rule's needs as docs/kafka.md's table writes them: `READ on the group; READ on each topic`. */
export function describeNeeds(rule: AuthorizationRule): string {
  if (rule.needs.length === 0) return 'nothing';
  return rule.needs
    .map((n) => n.anyOf.map((x) => `${x.operation} on ${x.on}`).join(' or ') + (n.when ? ` (${n.when})` : ''))
    .join('; ');
}

/** The rule's refusal as docs/kafka.md's table writes it. */
export function describeRefusal(rule: AuthorizationRule): string {
  if (rule.refused === 'none') return '-';
  if (rule.refused === 'hidden') return 'left out of the answer';
  return rule.refused;
}

/** Kafka's AclOperation bits of each resource type, as Metadata and the describe APIs report them. */
const OPERATIONS_OF: Record<'TOPIC' | 'GROUP' | 'CLUSTER', readonly AclOperation[]> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DELETE', 'DESCRIBE'],
  CLUSTER: [
    'CREATE',
    'ALTER',
    'DESCRIBE',
    'CLUSTER_ACTION',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'IDEMPOTENT_WRITE',
  ],
};

/**
 * The bit set of operations this principal may do on a resource (Kafka's authorized operations
 * fields). With authorization off, `unrestricted`: every operation, as the handlers reported
 * before there was an authorizer.
 */
export async function authorizedOperations(
  ctx: RequestContext,
  resource: 'TOPIC' | 'GROUP' | 'CLUSTER',
  name: string | undefined,
  unrestricted: number,
): Promise<number> {
  if (!ctx.engine.config.authEnabled) return unrestricted;
  const allowed = await Promise.all(
    OPERATIONS_OF[resource].map((op) => ctx.authz.allowed(op, resource, name)),
  );
  return OPERATIONS_OF[resource].reduce((acc, op, i) => (allowed[i] ? acc | (1 << OPERATIONS[op]) : acc), 0);
}

/** The names of `names` the principal may do `operation` on (one ACL read for all of them). */
export async function filterAllowed(
  ctx: RequestContext,
  operation: AclOperation,
  resource: ResourceType,
  names: Iterable<string>,
): Promise<Set<string>> {
  const list = [...new Set(names)];
  const ok = await Promise.all(list.map((n) => ctx.authz.allowed(operation, resource, n)));
  return new Set(list.filter((_, i) => ok[i]));
}

/** CREATE on the cluster, or on the topic: what creating a topic needs (CreateTopics, auto-creation). */
export async function mayCreateTopic(ctx: RequestContext, name: string): Promise<boolean> {
  return (await ctx.authz.allowed('CREATE', 'CLUSTER')) || ctx.authz.allowed('CREATE', 'TOPIC', name);
}

/**
 * Whether some resource of a type allows the operation (Kafka's authorizeByResourceType, which
 * InitProducerId asks of WRITE on topics): an ALLOW binding for the principal and host whose
 * pattern is not itself covered by a DENY of the same operation (or ALL): a literal name denied,
 * `*` denied, or a prefix of it denied.
 */
export async function allowedOnSomeResource(
  ctx: RequestContext,
  operation: AclOperation,
  resource: ResourceType,
): Promise<boolean> {
  const { engine, authz } = ctx;
  if (!engine.config.authEnabled) return true;
  const who = principalName(authz.principal);
  if (engine.config.superUsers.includes(who)) return true;
  const acls = (await engine.acls.cached()).filter(
    (b) =>
      b.resourceType === resource &&
      (b.principal === who || b.principal === 'User:*') &&
      (b.host === authz.host || b.host === '*') &&
      (b.operation === operation || b.operation === 'ALL'),
  );
  const denies = acls.filter((b) => b.permission === 'DENY');
  if (denies.some((d) => d.patternType === 'LITERAL' && d.resourceName === '*')) return false;
  return acls.some(
    (a) =>
      a.permission === 'ALLOW' &&
      !denies.some((d) =>
        d.patternType === 'PREFIXED'
          ? a.resourceName.startsWith(d.resourceName)
          : a.patternType === 'LITERAL' && a.resourceName === d.resourceName,
      ),
  );
}
