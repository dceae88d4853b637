import type { Engine } from '../lib/engine.js';
import { RouteNotFoundError } from '../lib/errors.js';
import { type HttpHandler, withErrors } from '../lib/http/api.js';

// Placeholder: replaced by the real route group handler.
export function createGroupsHandler(_engine: Engine): HttpHandler {
  return withErrors(async (event) => {
    throw new RouteNotFoundError(`no route ${event.routeKey}`);
  });
}
