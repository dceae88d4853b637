/**
 * Routing of events that arrive without a route: a Lambda Function URL (payload format 2.0, like
 * API Gateway's HTTP API) sends every request as routeKey `$default` with no pathParameters. Such
 * an event is routed here by method and rawPath against the one route table (lib/contract/routes.ts,
 * the table the local server and the HTTP API use, with the same matcher as the local server), so
 * a handler sees the same `routeKey` and `pathParameters` whichever way the request came in.
 *
 * Only the routes of the function's own route group match: the produce function's URL serves the
 * produce routes, and a route of another group is answered as API Gateway would answer a path it
 * has no route for (404, or 405 when the path exists with another method).
 */
import { matchRoute, ROUTES, type RouteGroup } from '../../contract/routes.js';
import { MethodNotAllowedError, RouteNotFoundError } from '../errors.js';
import { errorResult, type HttpEvent, type HttpHandler } from './api.js';

/** The routeKey of an event that names no route: a Function URL's (and an HTTP API `$default` route's). */
export const DEFAULT_ROUTE_KEY = '$default';

type Resolved = { event: HttpEvent } | { error: RouteNotFoundError | MethodNotAllowedError };

function resolve(event: HttpEvent, group: RouteGroup): Resolved {
  if (event.routeKey !== DEFAULT_ROUTE_KEY) return { event };
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  const match = matchRoute(
    ROUTES.filter((r) => r.group === group),
    method,
    path,
  );
  if (match === undefined) return { error: new RouteNotFoundError(`no route for ${method} ${path}`) };
  if ('methodNotAllowed' in match) {
    return { error: new MethodNotAllowedError(`method ${method} is not allowed on ${path}`) };
  }
  return {
    event: {
      ...event,
      routeKey: match.routeKey,
      // As API Gateway gives them: still URL-encoded (rawPath is); pathParam decodes.
      ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
      requestContext: { ...event.requestContext, routeKey: match.routeKey },
    },
  };
}

/**
 * The event with its route filled in when it came without one (routeKey `$default`); unchanged
 * when it has a route already, or when no route of `group` matches (the handler answers that).
 */
export function routedEvent(event: HttpEvent, group: RouteGroup): HttpEvent {
  const resolved = resolve(event, group);
  return 'event' in resolved ? resolved.event : event;
}

/**
 * Wraps a route group's dispatcher so that it answers Function URL events as it answers API
 * Gateway's: a `$default` event is routed by method + rawPath first, or answered 404 / 405 (the
 * typed JSON error). Events with a route pass through unchanged. Goes outside withAuthorization,
 * whose rules are keyed by routeKey.
 */
export function withRouting(group: RouteGroup, handler: HttpHandler): HttpHandler {
  return async (event) => {
    const resolved = resolve(event, group);
    if ('error' in resolved) return errorResult(resolved.error);
    return handler(resolved.event);
  };
}
