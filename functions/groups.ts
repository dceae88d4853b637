import {
  commitOffsetsRequest as commitBody,
  heartbeatRequest as heartbeatBody,
  resetOffsetsRequest as resetBody,
} from '../lib/contract/schemas.js';
import type { Engine } from '../lib/engine/engine.js';
import { RouteNotFoundError } from '../lib/engine/errors.js';
import {
  commitOffsets,
  deleteGroup,
  describeGroup,
  fetchOffsets,
  heartbeat,
  listGroups,
  resetOffsets,
  validateGroupId,
} from '../lib/engine/groups/coordinator.js';
import {
  type HttpEvent,
  type HttpHandler,
  json,
  parseBody,
  pathParam,
  withErrors,
} from '../lib/engine/http/api.js';
import { allowedOnly, withAuthorization } from '../lib/engine/http/authorization.js';
import { parseOffset } from '../lib/engine/validation.js';
import { lambdaHandler } from './runtime.js';

function groupParam(event: HttpEvent): string {
  return validateGroupId(pathParam(event, 'group'));
}

/** `?topic=a&topic=b` (API Gateway joins repeats with commas) or `?topics=a,b`. */
function topicsQuery(event: HttpEvent): string[] | undefined {
  const q = event.queryStringParameters ?? {};
  const raw = [q.topic, q.topics].filter((v): v is string => v !== undefined && v !== '').join(',');
  return raw === '' ? undefined : raw.split(',').filter(Boolean);
}

const str = (n: number | null) => (n === null ? null : String(n));

export function createGroupsHandler(engine: Engine): HttpHandler {
  return withErrors(
    withAuthorization(engine, async (event, authz) => {
      switch (event.routeKey) {
        case 'POST /v1/groups/{group}/heartbeat': {
          const group = groupParam(event);
          const body = parseBody(event, heartbeatBody);
          const host = event.requestContext?.http?.sourceIp;
          const res = await heartbeat(engine, group, { ...body, ...(host ? { host } : {}) });
          return json(200, res);
        }
        case 'POST /v1/groups/{group}/offsets': {
          const group = groupParam(event);
          const body = parseBody(event, commitBody);
          await commitOffsets(engine, group, {
            ...body,
            offsets: body.offsets.map((o, i) => ({
              ...o,
              offset: parseOffset(o.offset, `offsets.${i}.offset`),
            })),
          });
          return json(200, {
            offsets: body.offsets.map((o) => ({
              topic: o.topic,
              partition: o.partition,
              offset: String(o.offset),
            })),
          });
        }
        case 'GET /v1/groups/{group}/offsets': {
          // Kafka's OffsetFetch: only the topics the principal may DESCRIBE.
          const offsets = await allowedOnly(
            authz,
            await fetchOffsets(engine, groupParam(event), topicsQuery(event)),
            'DESCRIBE',
            'TOPIC',
            (o) => o.topic,
          );
          return json(200, { offsets: offsets.map((o) => ({ ...o, offset: String(o.offset) })) });
        }
        case 'GET /v1/groups': {
          // Kafka's ListGroups: DESCRIBE on the cluster shows every group, else each group's own.
          const groups = await listGroups(engine);
          if (await authz.allowed('DESCRIBE', 'CLUSTER')) return json(200, { groups });
          return json(200, {
            groups: await allowedOnly(authz, groups, 'DESCRIBE', 'GROUP', (g) => g.groupId),
          });
        }
        case 'GET /v1/groups/{group}': {
          const d = await describeGroup(engine, groupParam(event));
          const offsets = await allowedOnly(authz, d.offsets, 'DESCRIBE', 'TOPIC', (o) => o.topic);
          return json(200, {
            ...d,
            offsets: offsets.map((o) => ({
              ...o,
              committedOffset: str(o.committedOffset),
              logEndOffset: str(o.logEndOffset),
              lag: str(o.lag),
            })),
          });
        }
        case 'DELETE /v1/groups/{group}':
          await deleteGroup(engine, groupParam(event));
          return json(204);
        case 'POST /v1/groups/{group}/offsets/reset': {
          const group = groupParam(event);
          const body = parseBody(event, resetBody);
          const results = await resetOffsets(engine, group, {
            ...body,
            value: body.value === undefined ? undefined : parseOffset(body.value, 'value'),
            offsets: body.offsets?.map((o, i) => ({
              partition: o.partition,
              offset: parseOffset(o.offset, `offsets.${i}.offset`),
            })),
          });
          return json(200, {
            dryRun: body.dryRun ?? false,
            offsets: results.map((r) => ({ ...r, before: str(r.before), after: String(r.after) })),
          });
        }
        default:
          throw new RouteNotFoundError(`no route ${event.routeKey}`);
      }
    }),
  );
}

export const handler = lambdaHandler('groups', createGroupsHandler);
