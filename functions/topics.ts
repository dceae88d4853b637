import type { AclBinding, AclFilter } from '../lib/contract/acl.js';
import type { ResponseOf } from '../lib/contract/endpoints.js';
import { topicConfigString } from '../lib/contract/limits.js';
import {
  addPartitionsRequest,
  alterTopicConfigsRequest,
  createAclsRequest,
  createTopicRequest,
  createUserRequest,
  deleteAclsQuery,
  deleteRecordsRequest,
  describeAclsQuery,
} from '../lib/contract/schemas.js';
import type { Engine } from '../lib/engine/engine.js';
import { InvalidRequestError, RouteNotFoundError } from '../lib/engine/errors.js';
import {
  type HttpEvent,
  type HttpHandler,
  json,
  parseBody,
  parseQuery,
  parseWith,
  pathParam,
  readJson,
  withErrors,
} from '../lib/engine/http/api.js';
import { allowedOnly, withAuthorization } from '../lib/engine/http/authorization.js';
import { createAcls, deleteAcls, describeAcls, refusal } from '../lib/engine/ops/acls.js';
import { deleteRecords } from '../lib/engine/ops/retention.js';
import {
  addPartitions,
  alterTopicConfig,
  createTopic,
  deleteTopic,
  describeTopic,
  listTopics,
  topicConfigOverrides,
} from '../lib/engine/ops/topics.js';
import { deleteUser, listUsers, upsertUser } from '../lib/engine/ops/users.js';
import type { Topic } from '../lib/engine/types.js';
import { lambdaHandler } from './runtime.js';

/** Kafka reports config values as strings. */
function wireConfig(topic: Topic): Record<string, string> {
  return Object.fromEntries(Object.entries(topic.config).map(([k, v]) => [k, topicConfigString(k, v)]));
}

export function createTopicsHandler(engine: Engine): HttpHandler {
  return withErrors(
    withAuthorization(engine, async (event, authz) => {
      switch (event.routeKey) {
        case 'GET /v1/cluster':
          return json(200, {
            readOnly: engine.config.readOnly,
            authorization: engine.config.authEnabled,
          } satisfies ResponseOf<'GET /v1/cluster'>);
        case 'POST /v1/topics': {
          const body = parseBody(event, createTopicRequest);
          const topic = await createTopic(engine, body);
          return json(201, {
            name: topic.name,
            partitions: topic.partitions,
            config: wireConfig(topic),
          } satisfies ResponseOf<'POST /v1/topics'>);
        }
        case 'GET /v1/topics': {
          // Kafka's Metadata: a topic the principal may not DESCRIBE is left out, not refused.
          const topics = await allowedOnly(
            authz,
            await listTopics(engine),
            'DESCRIBE',
            'TOPIC',
            (t) => t.name,
          );
          return json(200, {
            topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })),
          } satisfies ResponseOf<'GET /v1/topics'>);
        }
        case 'GET /v1/topics/{topic}': {
          const { topic, heads } = await describeTopic(engine, pathParam(event, 'topic'));
          return json(200, {
            name: topic.name,
            config: wireConfig(topic),
            overrides: [...topicConfigOverrides(topic)],
            partitions: heads.map((h, partition) => ({
              partition,
              earliestOffset: String(h.logStartOffset),
              latestOffset: String(h.nextOffset),
            })),
          } satisfies ResponseOf<'GET /v1/topics/{topic}'>);
        }
        case 'DELETE /v1/topics/{topic}':
          await deleteTopic(engine, pathParam(event, 'topic'));
          return json(204);
        case 'POST /v1/topics/{topic}/partitions': {
          const body = parseBody(event, addPartitionsRequest);
          const topic = await addPartitions(engine, pathParam(event, 'topic'), body.count);
          return json(200, {
            name: topic.name,
            partitions: topic.partitions,
          } satisfies ResponseOf<'POST /v1/topics/{topic}/partitions'>);
        }
        case 'POST /v1/topics/{topic}/configs': {
          const body = parseBody(event, alterTopicConfigsRequest);
          const str = (v: string | number | null | undefined) =>
            v === undefined || v === null ? null : String(v);
          const topic = await alterTopicConfig(
            engine,
            pathParam(event, 'topic'),
            body.replace
              ? { replace: body.replace.map((e) => ({ name: e.name, value: String(e.value) })) }
              : {
                  changes: (body.changes ?? []).map((c) => ({
                    name: c.name,
                    op: c.op ?? 'set',
                    value: str(c.value),
                  })),
                },
            { validateOnly: body.validateOnly ?? false },
          );
          return json(200, {
            name: topic.name,
            config: wireConfig(topic),
          } satisfies ResponseOf<'POST /v1/topics/{topic}/configs'>);
        }
        case 'DELETE /v1/topics/{topic}/records': {
          const body = parseBody(event, deleteRecordsRequest);
          const lowWatermark = await deleteRecords(
            engine,
            pathParam(event, 'topic'),
            body.partition,
            Number(body.beforeOffset),
          );
          return json(200, {
            partition: body.partition,
            lowWatermark: String(lowWatermark),
          } satisfies ResponseOf<'DELETE /v1/topics/{topic}/records'>);
        }
        case 'POST /v1/acls': {
          const bindings = parseAclsBody(event);
          // Bad input changes nothing: every binding is checked before any is stored.
          for (const b of bindings) {
            const why = refusal(b);
            if (why !== undefined) throw new InvalidRequestError(`invalid acl: ${why}`);
          }
          await createAcls(engine, bindings);
          return json(201, { acls: bindings } satisfies ResponseOf<'POST /v1/acls'>);
        }
        case 'GET /v1/acls': {
          const acls = await describeAcls(engine, aclFilter(parseQuery(event, describeAclsQuery)));
          return json(200, { acls } satisfies ResponseOf<'GET /v1/acls'>);
        }
        case 'DELETE /v1/acls': {
          const [deletion] = await deleteAcls(engine, [aclFilter(parseQuery(event, deleteAclsQuery))]);
          if (deletion?.error) throw deletion.error;
          return json(200, { acls: deletion?.deleted ?? [] } satisfies ResponseOf<'DELETE /v1/acls'>);
        }
        case 'POST /v1/users': {
          const body = parseBody(event, createUserRequest);
          const user = await upsertUser(engine, {
            name: body.name,
            password: body.password,
            ...(body.mechanisms ? { mechanisms: body.mechanisms } : {}),
          });
          return json(201, user satisfies ResponseOf<'POST /v1/users'>);
        }
        case 'GET /v1/users':
          return json(200, { users: await listUsers(engine) } satisfies ResponseOf<'GET /v1/users'>);
        case 'DELETE /v1/users/{user}':
          await deleteUser(engine, pathParam(event, 'user'));
          return json(204);
        default:
          throw new RouteNotFoundError(`no route ${event.routeKey}`);
      }
    }),
  );
}

/** `{acls:[...]}`, or one binding sent bare; host defaults to `*`, the pattern to LITERAL. */
function parseAclsBody(event: HttpEvent): AclBinding[] {
  const raw = readJson(event);
  const wrapped = typeof raw === 'object' && raw !== null && !('acls' in raw) ? { acls: [raw] } : raw;
  return parseWith(createAclsRequest, wrapped, 'request body').acls.map((b) => ({
    ...b,
    host: b.host ?? '*',
    patternType: b.patternType ?? 'LITERAL',
  }));
}

/** Query parameters to a filter: ANY (and an absent field) matches every value. */
function aclFilter(q: {
  principal?: string | undefined;
  host?: string | undefined;
  resourceType?: string | undefined;
  resourceName?: string | undefined;
  patternType?: string | undefined;
  operation?: string | undefined;
  permission?: string | undefined;
}): AclFilter {
  const filter: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== 'ANY') filter[k] = v;
  return filter as AclFilter;
}

export const handler = lambdaHandler('topics', createTopicsHandler);
