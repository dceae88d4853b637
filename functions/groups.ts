import * as z from 'zod/mini';
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
import { offsetValue, parseOffset } from '../lib/engine/validation.js';
import { lambdaHandler } from './runtime.js';

const partitionNumber = z.int().check(z.gte(0), z.lte(999_999));
const topicName = z.string().check(z.minLength(1), z.maxLength(249));
const memberId = z.string().check(z.minLength(1), z.maxLength(255));
const epoch = (min: number) => z.int().check(z.gte(min), z.lte(2 ** 31 - 1));
const timeoutMs = z.optional(z.int().check(z.gte(100), z.lte(3_600_000)));

const heartbeatBody = z.object({
  memberId: z.optional(memberId),
  memberEpoch: epoch(-2),
  topics: z.optional(z.array(topicName).check(z.maxLength(10_000))),
  topicPattern: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  instanceId: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  clientId: z.optional(z.string().check(z.maxLength(255))),
  ownedPartitions: z.optional(
    z
      .array(z.object({ topic: topicName, partitions: z.array(partitionNumber).check(z.maxLength(100_000)) }))
      .check(z.maxLength(10_000)),
  ),
  sessionTimeoutMs: timeoutMs,
  rebalanceTimeoutMs: timeoutMs,
  assignor: z.optional(z.enum(['uniform', 'range'])),
});

const commitBody = z.object({
  memberId,
  memberEpoch: epoch(0),
  offsets: z
    .array(
      z.object({
        topic: topicName,
        partition: partitionNumber,
        offset: offsetValue,
        metadata: z.optional(z.nullable(z.string())),
      }),
    )
    .check(z.minLength(1), z.maxLength(10_000)),
});

const resetBody = z.object({
  topic: topicName,
  to: z.enum(['earliest', 'latest', 'timestamp', 'offset']),
  value: z.optional(offsetValue),
  dryRun: z.optional(z.boolean()),
  partitions: z.optional(z.array(partitionNumber).check(z.maxLength(10_000))),
  offsets: z.optional(
    z.array(z.object({ partition: partitionNumber, offset: offsetValue })).check(z.maxLength(10_000)),
  ),
});

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
  return withErrors(async (event) => {
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
        const offsets = await fetchOffsets(engine, groupParam(event), topicsQuery(event));
        return json(200, { offsets: offsets.map((o) => ({ ...o, offset: String(o.offset) })) });
      }
      case 'GET /v1/groups':
        return json(200, { groups: await listGroups(engine) });
      case 'GET /v1/groups/{group}': {
        const d = await describeGroup(engine, groupParam(event));
        return json(200, {
          ...d,
          offsets: d.offsets.map((o) => ({
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
  });
}

export const handler = lambdaHandler('groups', createGroupsHandler);
