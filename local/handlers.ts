import { createFetchHandler } from '../functions/fetch.js';
import { createGroupsHandler } from '../functions/groups.js';
import { createHealthHandler } from '../functions/health.js';
import { createProduceHandler } from '../functions/produce.js';
import { serveTail } from '../functions/tail.js';
import { createTopicsHandler } from '../functions/topics.js';
import type { RouteGroup } from '../lib/contract/routes.js';
import type { Engine } from '../lib/engine/engine.js';
import type { HttpHandler } from '../lib/engine/http/api.js';
import type { StreamHandler } from './server.js';

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

/** The path `npm start` serves the live tail at (in AWS: the tail Function URL). */
export const LOCAL_TAIL_PATH = '/v1/tail';
/** A local tail ends after this long, as the Lambda function's does at its timeout (15 min). */
const LOCAL_TAIL_MS = 15 * 60 * 1000;

/** The streamed GETs of the local server: the live tail, with the Lambda function's own logic. */
export function createStreams(engine: Engine): Record<string, StreamHandler> {
  return {
    [LOCAL_TAIL_PATH]: async (event, res) => {
      const deadline = Date.now() + LOCAL_TAIL_MS;
      try {
        await serveTail(
          engine,
          event,
          {
            error: (result) => {
              res.writeHead(result.statusCode, (result.headers ?? {}) as Record<string, string>);
              res.end(result.body ?? '');
            },
            open: (headers) => {
              res.writeHead(200, headers);
              res.flushHeaders();
              return res;
            },
          },
          { remainingMs: () => deadline - Date.now() },
        );
      } catch {
        // Mid-stream the reader has the `error` event already, or has gone (the server stopped).
        res.destroy();
      }
    },
  };
}
