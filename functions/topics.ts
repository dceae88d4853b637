import type { ResponseOf } from '../lib/contract/endpoints.js';
import {
  addPartitionsRequest,
  createTopicRequest,
  createUserRequest,
  deleteRecordsRequest,
} from '../lib/contract/schemas.js';
import type { Engine } from '../lib/engine/engine.js';
import { RouteNotFoundError } from '../lib/engine/errors.js';
import { type HttpHandler, json, parseBody, pathParam, withErrors } from '../lib/engine/http/api.js';
import { deleteRecords } from '../lib/engine/ops/retention.js';
import {
  addPartitions,
  createTopic,
  deleteTopic,
  describeTopic,
  listTopics,
} from '../lib/engine/ops/topics.js';
import { deleteUser, listUsers, upsertUser } from '../lib/engine/ops/users.js';
import type { Topic } from '../lib/engine/types.js';
import { lambdaHandler } from './runtime.js';

/** Kafka reports config values as strings. */
function wireConfig(topic: Topic): Record<string, string> {
  return Object.fromEntries(Object.entries(topic.config).map(([k, v]) => [k, String(v)]));
}

export function createTopicsHandler(engine: Engine): HttpHandler {
  return withErrors(async (event) => {
    switch (event.routeKey) {
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
        const topics = await listTopics(engine);
        return json(200, {
          topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })),
        } satisfies ResponseOf<'GET /v1/topics'>);
      }
      case 'GET /v1/topics/{topic}': {
        const { topic, heads } = await describeTopic(engine, pathParam(event, 'topic'));
        return json(200, {
          name: topic.name,
          config: wireConfig(topic),
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
  });
}

export const handler = lambdaHandler('topics', createTopicsHandler);
