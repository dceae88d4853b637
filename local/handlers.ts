import { createFetchHandler } from '../functions/fetch.js';
import { createGroupsHandler } from '../functions/groups.js';
import { createHealthHandler } from '../functions/health.js';
import { createProduceHandler } from '../functions/produce.js';
import { createTopicsHandler } from '../functions/topics.js';
import type { RouteGroup } from '../lib/contract/routes.js';
import type { Engine } from '../lib/engine/engine.js';
import type { HttpHandler } from '../lib/engine/http/api.js';

/** One handler per route group, built from the same factories the Lambda functions use. */
export function createHandlers(engine: Engine): Record<RouteGroup, HttpHandler> {
  return {
    health: createHealthHandler(),
    topics: createTopicsHandler(engine),
    produce: createProduceHandler(engine),
    fetch: createFetchHandler(engine),
    groups: createGroupsHandler(engine),
  };
}
