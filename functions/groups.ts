import { z } from 'zod';
import type { Engine } from '../lib/engine.js';
import { RouteNotFoundError } from '../lib/errors.js';
import {
  commitOffsets,
  deleteGroup,
  describeGroup,
  fetchOffsets,
  heartbeat,
  listGroups,
  resetOffsets,
  validateGroupId,
} from '../lib/groups/coordinator.js';
import { type HttpEvent, type HttpHandler, json, parseBody, pathParam, withErrors } from '../lib/http/api.js';
import { observe } from './observability.js';
import { lambdaEngine } from './runtime.js';

/** Offsets travel as strings (numbers are accepted too), like the rest of the API. */
const offsetValue = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a non-negative integer')])
  .transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a non-negative integer' });
      return z.NEVER;
    }
    return n;
  });

const partitionNumber = z.number().int().min(0).max(999_999);
const topicName = z.string().min(1).max(249);
const memberId = z.string().min(1).max(255);

const heartbeatBody = z.object({
  memberId: memberId.optional(),
  memberEpoch: z
    .number()
    .int()
    .min(-2)
    .max(2 ** 31 - 1),
  topics: z.array(topicName).max(10_000).optional(),
  topicPattern: z.string().min(1).max(1000).optional(),
  instanceId: z.string().min(1).max(255).optional(),
  clientId: z.string().max(255).optional(),
  ownedPartitions: z
    .array(z.object({ topic: topicName, partitions: z.array(partitionNumber).max(100_000) }))
    .max(10_000)
    .optional(),
  sessionTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  rebalanceTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  assignor: z.enum(['uniform', 'range']).optional(),
});

const commitBody = z.object({
  memberId,
  memberEpoch: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  offsets: z
    .array(
      z.object({
        topic: topicName,
        partition: partitionNumber,
        offset: offsetValue,
        metadata: z.string().nullable().optional(),
      }),
    )
    .min(1)
    .max(10_000),
});

const resetBody = z.object({
  topic: topicName,
  to: z.enum(['earliest', 'latest', 'timestamp', 'offset']),
  value: offsetValue.optional(),
  dryRun: z.boolean().optional(),
  partitions: z.array(partitionNumber).max(10_000).optional(),
  offsets: z
    .array(z.object({ partition: partitionNumber, offset: offsetValue }))
    .max(10_000)
    .optional(),
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
        await commitOffsets(engine, group, body);
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
        const results = await resetOffsets(engine, group, body);
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

let lambda: HttpHandler | undefined;
export const handler = observe(
  'groups',
  (event: HttpEvent) => {
    lambda ??= createGroupsHandler(lambdaEngine());
    return lambda(event);
  },
  { engine: lambdaEngine },
);
