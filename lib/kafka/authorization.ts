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
import { type AclOperation, principalName } from '../engine/index.js';
import type { RequestContext } from './handler.js';
import type { ApiName } from './protocol/schema/index.js';

/** One operation on one kind of resource; `on` says which resources of the request, for the docs. */
export interface Need {
  operation: AclOperation;
  resource: ResourceType;
  on: string;
}

/** What a refused need gets: its resource's error code (where the response has it), or left out. */
export type Refusal = ServerErrorCode | 'hidden';

/** One thing a request needs: any one of `anyOf`; with `when`, only some requests need it. */
export interface NeedEntry {
  anyOf: readonly Need[];
  when?: string;
  refused: Refusal;
}

export interface AuthorizationRule {
  /** Every entry is needed (none: the API needs nothing). */
  needs: readonly NeedEntry[];
}

const need = (operation: AclOperation, resource: ResourceType, on: string): Need => ({
  operation,
  resource,
  on,
});
const cluster = (operation: AclOperation) => need(operation, 'CLUSTER', 'the cluster');
const eachTopic = (operation: AclOperation) => need(operation, 'TOPIC', 'each topic');
const eachGroup = (operation: AclOperation) => need(operation, 'GROUP', 'each group');
const group = (operation: AclOperation) => need(operation, 'GROUP', 'the group');
const TOPIC = 'TOPIC_AUTHORIZATION_FAILED';
const GROUP = 'GROUP_AUTHORIZATION_FAILED';
const CLUSTER = 'CLUSTER_AUTHORIZATION_FAILED';
const TRANSACTIONAL_ID = 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
/** An entry: `refused` when none of `anyOf` is allowed. */
const e = (refused: Refusal, anyOf: Need | Need[], when?: string): NeedEntry => ({
  anyOf: Array.isArray(anyOf) ? anyOf : [anyOf],
  refused,
  ...(when ? { when } : {}),
});
const rule = (...needs: NeedEntry[]): AuthorizationRule => ({ needs });

const NOTHING = rule();
const ALTER_CONFIGS = rule(
  e(TOPIC, need('ALTER_CONFIGS', 'TOPIC', 'each topic'), 'topics'),
  e(CLUSTER, cluster('ALTER_CONFIGS'), 'the broker'),
);

export const AUTHORIZATION: Record<ApiName, AuthorizationRule> = {
  Produce: rule(
    e(TOPIC, eachTopic('WRITE')),
    // KIP-679: WRITE on the topic lets a producer be idempotent; IDEMPOTENT_WRITE is not needed.
    e(TOPIC, [cluster('IDEMPOTENT_WRITE'), eachTopic('WRITE')], 'idempotent batches'),
    e(TOPIC, [cluster('CREATE'), eachTopic('CREATE')], 'auto-creation'),
    e(TRANSACTIONAL_ID, need('WRITE', 'TRANSACTIONAL_ID', 'the transactional id'), 'a transactional id'),
  ),
  Fetch: rule(e(TOPIC, eachTopic('READ'))),
  ListOffsets: rule(e(TOPIC, eachTopic('DESCRIBE'))),
  Metadata: rule(
    // Named: TOPIC_AUTHORIZATION_FAILED; in the all-topics listing: left out.
    e(TOPIC, eachTopic('DESCRIBE')),
    e(TOPIC, [cluster('CREATE'), eachTopic('CREATE')], 'auto-creation'),
  ),
  OffsetCommit: rule(e(GROUP, group('READ')), e(TOPIC, eachTopic('READ'))),
  OffsetFetch: rule(
    e(GROUP, group('DESCRIBE')),
    // Named: TOPIC_AUTHORIZATION_FAILED; in a fetch of every offset: left out.
    e(TOPIC, eachTopic('DESCRIBE')),
  ),
  FindCoordinator: rule(
    e(GROUP, group('DESCRIBE'), 'group keys'),
    e(TRANSACTIONAL_ID, need('DESCRIBE', 'TRANSACTIONAL_ID', 'the transactional id'), 'transaction keys'),
  ),
  JoinGroup: rule(e(GROUP, group('READ'))),
  Heartbeat: rule(e(GROUP, group('READ'))),
  LeaveGroup: rule(e(GROUP, group('READ'))),
  SyncGroup: rule(e(GROUP, group('READ'))),
  DescribeGroups: rule(e(GROUP, eachGroup('DESCRIBE'))),
  ListGroups: rule(e('hidden', [cluster('DESCRIBE'), need('DESCRIBE', 'GROUP', 'each group listed')])),
  SaslHandshake: NOTHING,
  ApiVersions: NOTHING,
  CreateTopics: rule(e(TOPIC, [cluster('CREATE'), eachTopic('CREATE')])),
  DeleteTopics: rule(e(TOPIC, eachTopic('DELETE'))),
  DeleteRecords: rule(e(TOPIC, eachTopic('DELETE'))),
  InitProducerId: rule(
    e(CLUSTER, [cluster('IDEMPOTENT_WRITE'), need('WRITE', 'TOPIC', 'any topic')], 'no transactional id'),
    e(TRANSACTIONAL_ID, need('WRITE', 'TRANSACTIONAL_ID', 'the transactional id'), 'a transactional id'),
  ),
  OffsetForLeaderEpoch: rule(e(TOPIC, eachTopic('DESCRIBE'))),
  DescribeConfigs: rule(
    e(TOPIC, need('DESCRIBE_CONFIGS', 'TOPIC', 'each topic'), 'topics'),
    e(CLUSTER, cluster('DESCRIBE_CONFIGS'), 'the broker'),
  ),
  AlterConfigs: ALTER_CONFIGS,
  SaslAuthenticate: NOTHING,
  DescribeAcls: rule(e(CLUSTER, cluster('DESCRIBE'))),
  CreateAcls: rule(e(CLUSTER, cluster('ALTER'))),
  DeleteAcls: rule(e(CLUSTER, cluster('ALTER'))),
  DescribeUserScramCredentials: rule(e(CLUSTER, cluster('DESCRIBE'))),
  AlterUserScramCredentials: rule(e(CLUSTER, cluster('ALTER'))),
  CreatePartitions: rule(e(TOPIC, eachTopic('ALTER'))),
  DeleteGroups: rule(e(GROUP, eachGroup('DELETE'))),
  OffsetDelete: rule(e(GROUP, group('DELETE')), e(TOPIC, eachTopic('READ'))),
  IncrementalAlterConfigs: ALTER_CONFIGS,
  DescribeCluster: rule(e(CLUSTER, cluster('DESCRIBE'))),
  ConsumerGroupHeartbeat: rule(
    e(GROUP, group('READ')),
    // As Kafka, a subscribed topic the principal may not DESCRIBE is treated as absent.
    e('hidden', need('DESCRIBE', 'TOPIC', 'each subscribed topic')),
  ),
  ConsumerGroupDescribe: rule(e(GROUP, eachGroup('DESCRIBE'))),
};

/**
 * A rule as docs/kafka.md's "Authorization" table writes it, one entry per need:
 * `READ on the group: GROUP_AUTHORIZATION_FAILED; READ on each topic: TOPIC_AUTHORIZATION_FAILED`.
 */
export function describeRule(r: AuthorizationRule): string {
  if (r.needs.length === 0) return 'nothing';
  return r.needs
    .map((n) => {
      const what = n.anyOf.map((x) => `${x.operation} on ${x.on}`).join(' or ');
      const refused = n.refused === 'hidden' ? 'left out' : n.refused;
      return `${what}${n.when ? ` (${n.when})` : ''}: ${refused}`;
    })
    .join('; ');
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
