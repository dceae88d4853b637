/**
 * Authorization of every HTTP route, as one table: what each route requires, with Kafka's rules
 * for the Kafka request that does the same (docs/api.md "Authorization" quotes `requires` word
 * for word; test/unit/api-doc.test.ts checks it). Keyed by RouteKey, so a route added to
 * lib/contract/routes.ts without a rule fails to type-check, and the authorization tests iterate
 * ROUTES and fail on it too.
 *
 * The check runs before the handler, so a refusal (403 with the resource's *_AUTHORIZATION_FAILED)
 * changes nothing. It reads the body leniently: a field of the wrong type is skipped here, and the
 * handler's schema then refuses the request (400), so nothing the check skipped is ever acted on.
 * Listings (topics, groups, a group's offsets) are not refused but filtered, as Kafka filters
 * them; the handler does that with the same authorizer.
 *
 * With authorization off (EngineConfig.authEnabled false) every check passes at once.
 */
import type { RouteKey } from '../../contract/routes.js';
import type { Engine } from '../engine.js';
import { ClusterAuthorizationFailedError, RouteNotFoundError } from '../errors.js';
import { type Authorizer, authorizationError, authorizerFor } from '../ops/authorize.js';
import { type HttpEvent, type HttpResult, pathParam, readJson } from './api.js';
import { httpHost, httpPrincipal } from './principal.js';

export interface RuleContext {
  engine: Engine;
  authz: Authorizer;
  event: HttpEvent;
}

export interface RouteRule {
  /** What the route requires, as docs/api.md's authorization table says it. */
  readonly requires: string;
  /** Resolves when the caller may send this request; rejects with the authorization error otherwise. */
  readonly check: (ctx: RuleContext) => Promise<void>;
}

const nothing = async () => {};

/** The body as an object, or {} (the handler refuses a body that is not one). */
function body(event: HttpEvent): Record<string, unknown> {
  const value = readJson(event);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;

/** The distinct string `topic` fields of a list of entries. */
function topicsOf(entries: unknown): string[] {
  if (!Array.isArray(entries)) return [];
  return [
    ...new Set(entries.map((e) => field(e, 'topic')).filter((t): t is string => typeof t === 'string')),
  ];
}

const topic = (event: HttpEvent) => pathParam(event, 'topic');
const group = (event: HttpEvent) => pathParam(event, 'group');

async function requireEach(authz: Authorizer, operation: 'READ' | 'DESCRIBE', topics: string[]) {
  for (const t of topics) await authz.require(operation, 'TOPIC', t);
}

export const ROUTE_RULES = {
  'GET /healthz': { requires: 'nothing', check: nothing },
  'GET /v1/cluster': { requires: 'nothing', check: nothing },
  'POST /v1/topics': {
    requires: 'CREATE on the cluster, or CREATE on the topic',
    async check({ authz, event }) {
      const name = body(event).name;
      if (typeof name !== 'string' || (await authz.allowed('CREATE', 'CLUSTER'))) return;
      await authz.require('CREATE', 'TOPIC', name);
    },
  },
  'GET /v1/topics': {
    requires: 'nothing; lists only the topics the principal may DESCRIBE',
    check: nothing,
  },
  'GET /v1/topics/{topic}': {
    requires: 'DESCRIBE on the topic',
    check: ({ authz, event }) => authz.require('DESCRIBE', 'TOPIC', topic(event)),
  },
  'DELETE /v1/topics/{topic}': {
    requires: 'DELETE on the topic',
    check: ({ authz, event }) => authz.require('DELETE', 'TOPIC', topic(event)),
  },
  'POST /v1/topics/{topic}/partitions': {
    requires: 'ALTER on the topic',
    check: ({ authz, event }) => authz.require('ALTER', 'TOPIC', topic(event)),
  },
  'POST /v1/topics/{topic}/configs': {
    requires: 'ALTER_CONFIGS on the topic',
    check: ({ authz, event }) => authz.require('ALTER_CONFIGS', 'TOPIC', topic(event)),
  },
  'POST /v1/topics/{topic}/records': {
    requires:
      'WRITE on the topic; with `groupCommit`, also READ on the group and on each topic of its offsets',
    async check({ authz, event }) {
      // Idempotent produce needs no more than WRITE on the topic (Kafka since KIP-679).
      await authz.require('WRITE', 'TOPIC', topic(event));
      const commit = body(event).groupCommit;
      const groupId = field(commit, 'groupId');
      if (typeof groupId !== 'string') return;
      // As Kafka's TxnOffsetCommit: the group first, then the topics.
      await authz.require('READ', 'GROUP', groupId);
      await requireEach(authz, 'READ', topicsOf(field(commit, 'offsets')));
    },
  },
  'DELETE /v1/topics/{topic}/records': {
    requires: 'DELETE on the topic',
    check: ({ authz, event }) => authz.require('DELETE', 'TOPIC', topic(event)),
  },
  'POST /v1/producers': {
    requires:
      'with `transactionalId`, WRITE on the transactional id; without, IDEMPOTENT_WRITE on the cluster or WRITE on any topic',
    async check({ engine, authz, event }) {
      const transactionalId = body(event).transactionalId;
      if (typeof transactionalId === 'string') {
        await authz.require('WRITE', 'TRANSACTIONAL_ID', transactionalId);
        return;
      }
      if (await authz.allowed('IDEMPOTENT_WRITE', 'CLUSTER')) return;
      // Kafka's InitProducerId accepts WRITE on any topic instead (KIP-679); here, any existing one.
      for (const t of await engine.metadata.listTopics()) {
        if (await authz.allowed('WRITE', 'TOPIC', t.name)) return;
      }
      throw authorizationError('CLUSTER', 'IDEMPOTENT_WRITE', 'kafka-cluster');
    },
  },
  'GET /v1/topics/{topic}/partitions/{partition}/records': {
    requires: 'READ on the topic',
    check: ({ authz, event }) => authz.require('READ', 'TOPIC', topic(event)),
  },
  'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
    requires: 'DESCRIBE on the topic',
    check: ({ authz, event }) => authz.require('DESCRIBE', 'TOPIC', topic(event)),
  },
  // The binary data path requires what the JSON records routes do; its body is never read here.
  'POST /v1/topics/{topic}/partitions/{partition}/batches': {
    requires: 'WRITE on the topic',
    check: ({ authz, event }) => authz.require('WRITE', 'TOPIC', topic(event)),
  },
  'GET /v1/topics/{topic}/partitions/{partition}/batches': {
    requires: 'READ on the topic',
    check: ({ authz, event }) => authz.require('READ', 'TOPIC', topic(event)),
  },
  'GET /v1/groups': {
    requires:
      'nothing; lists every group with DESCRIBE on the cluster, else only the groups the principal may DESCRIBE',
    check: nothing,
  },
  'GET /v1/groups/{group}': {
    requires: 'DESCRIBE on the group; shows offsets only of the topics the principal may DESCRIBE',
    check: ({ authz, event }) => authz.require('DESCRIBE', 'GROUP', group(event)),
  },
  'DELETE /v1/groups/{group}': {
    requires: 'DELETE on the group',
    check: ({ authz, event }) => authz.require('DELETE', 'GROUP', group(event)),
  },
  'POST /v1/groups/{group}/heartbeat': {
    requires: 'READ on the group, and DESCRIBE on each subscribed topic',
    async check({ authz, event }) {
      await authz.require('READ', 'GROUP', group(event));
      const topics = body(event).topics;
      if (Array.isArray(topics))
        await requireEach(
          authz,
          'DESCRIBE',
          topics.filter((t): t is string => typeof t === 'string'),
        );
    },
  },
  'POST /v1/groups/{group}/offsets': {
    requires: 'READ on the group, and READ on each topic committed',
    async check({ authz, event }) {
      await authz.require('READ', 'GROUP', group(event));
      await requireEach(authz, 'READ', topicsOf(body(event).offsets));
    },
  },
  'GET /v1/groups/{group}/offsets': {
    requires: 'DESCRIBE on the group; shows offsets only of the topics the principal may DESCRIBE',
    check: ({ authz, event }) => authz.require('DESCRIBE', 'GROUP', group(event)),
  },
  'POST /v1/groups/{group}/offsets/reset': {
    requires: 'READ on the group, and READ on the topic',
    async check({ authz, event }) {
      await authz.require('READ', 'GROUP', group(event));
      const t = body(event).topic;
      if (typeof t === 'string') await authz.require('READ', 'TOPIC', t);
    },
  },
  'POST /v1/acls': {
    requires: 'ALTER on the cluster',
    check: ({ authz }) => authz.require('ALTER', 'CLUSTER'),
  },
  'GET /v1/acls': {
    requires: 'DESCRIBE on the cluster',
    check: ({ authz }) => authz.require('DESCRIBE', 'CLUSTER'),
  },
  'DELETE /v1/acls': {
    requires: 'ALTER on the cluster',
    check: ({ authz }) => authz.require('ALTER', 'CLUSTER'),
  },
  // SASL users are cluster administration, as Kafka's Alter/DescribeUserScramCredentials.
  'POST /v1/users': {
    requires: 'ALTER on the cluster',
    check: ({ authz }) => authz.require('ALTER', 'CLUSTER'),
  },
  'GET /v1/users': {
    requires: 'DESCRIBE on the cluster',
    check: ({ authz }) => authz.require('DESCRIBE', 'CLUSTER'),
  },
  'DELETE /v1/users/{user}': {
    requires: 'ALTER on the cluster',
    check: ({ authz }) => authz.require('ALTER', 'CLUSTER'),
  },
} as const satisfies Record<RouteKey, RouteRule>;

/** The authorizer of one HTTP request: its principal (lib/engine/http/principal.ts) and source address. */
export function requestAuthorizer(engine: Engine, event: HttpEvent): Authorizer {
  return authorizerFor(engine, httpPrincipal(event, engine.config.jwtPrincipalClaim), httpHost(event));
}

/**
 * A read-only cluster (EngineConfig.readOnly) serves only GET routes: any other is refused before
 * its rule or handler runs, so nothing changes, whoever asks (super users too).
 */
export function refuseIfReadOnly(engine: Engine, routeKey: string): void {
  if (engine.config.readOnly && !routeKey.startsWith('GET ')) {
    throw new ClusterAuthorizationFailedError(
      `the cluster is read-only (STRATA_READ_ONLY): ${routeKey} is refused`,
    );
  }
}

export type AuthorizedHandler = (event: HttpEvent, authz: Authorizer) => Promise<HttpResult>;

/**
 * A route group's dispatcher behind its routes' rules: the rule is checked first, then the
 * handler runs with the same authorizer (for the listings it filters).
 */
export function withAuthorization(engine: Engine, handler: AuthorizedHandler) {
  return async (event: HttpEvent): Promise<HttpResult> => {
    const rule: RouteRule | undefined = (ROUTE_RULES as Record<string, RouteRule>)[event.routeKey];
    if (!rule) throw new RouteNotFoundError(`no route ${event.routeKey}`);
    refuseIfReadOnly(engine, event.routeKey);
    const authz = requestAuthorizer(engine, event);
    // Off, every check would pass: skipping them keeps the requests' validation order as it was.
    if (engine.config.authEnabled) await rule.check({ engine, authz, event });
    return handler(event, authz);
  };
}

/** The items whose resource the principal may do `operation` on, in their order. */
export async function allowedOnly<T>(
  authz: Authorizer,
  items: readonly T[],
  operation: 'DESCRIBE',
  resourceType: 'TOPIC' | 'GROUP',
  nameOf: (item: T) => string,
): Promise<T[]> {
  const verdicts = new Map<string, boolean>();
  const out: T[] = [];
  for (const item of items) {
    const name = nameOf(item);
    let ok = verdicts.get(name);
    if (ok === undefined) {
      ok = await authz.allowed(operation, resourceType, name);
      verdicts.set(name, ok);
    }
    if (ok) out.push(item);
  }
  return out;
}
