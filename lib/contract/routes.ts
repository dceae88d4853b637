/**
 * The public route table. The local server dispatches with it and the CDK construct creates one
 * API Gateway route per entry, so both always serve the same API. `group` names the function.
 */
export type RouteGroup = 'health' | 'topics' | 'produce' | 'fetch' | 'groups';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway syntax: `{name}` is one path segment. */
  path: string;
  group: RouteGroup;
}

export const ROUTES = [
  { method: 'GET', path: '/healthz', group: 'health' },
  // What the cluster serves (read-only mode, authorization): the console asks before it draws.
  { method: 'GET', path: '/v1/cluster', group: 'topics' },
  { method: 'POST', path: '/v1/topics', group: 'topics' },
  { method: 'GET', path: '/v1/topics', group: 'topics' },
  { method: 'GET', path: '/v1/topics/{topic}', group: 'topics' },
  { method: 'DELETE', path: '/v1/topics/{topic}', group: 'topics' },
  { method: 'POST', path: '/v1/topics/{topic}/partitions', group: 'topics' },
  // Kafka's IncrementalAlterConfigs and AlterConfigs for one topic.
  { method: 'POST', path: '/v1/topics/{topic}/configs', group: 'topics' },
  { method: 'POST', path: '/v1/topics/{topic}/records', group: 'produce' },
  { method: 'DELETE', path: '/v1/topics/{topic}/records', group: 'topics' },
  { method: 'POST', path: '/v1/producers', group: 'produce' },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/records', group: 'fetch' },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/offsets', group: 'fetch' },
  // The binary data path: Kafka RecordBatch v2 bytes in and out (docs/api.md "Record batches").
  { method: 'POST', path: '/v1/topics/{topic}/partitions/{partition}/batches', group: 'produce' },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/batches', group: 'fetch' },
  { method: 'GET', path: '/v1/groups', group: 'groups' },
  { method: 'GET', path: '/v1/groups/{group}', group: 'groups' },
  { method: 'DELETE', path: '/v1/groups/{group}', group: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/heartbeat', group: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/offsets', group: 'groups' },
  { method: 'GET', path: '/v1/groups/{group}/offsets', group: 'groups' },
  { method: 'POST', path: '/v1/groups/{group}/offsets/reset', group: 'groups' },
  // ACL management is admin work: the topics function serves it.
  { method: 'POST', path: '/v1/acls', group: 'topics' },
  { method: 'GET', path: '/v1/acls', group: 'topics' },
  { method: 'DELETE', path: '/v1/acls', group: 'topics' },
  // SASL users of the Kafka gateway: admin routes, served by the topics function like the others.
  { method: 'POST', path: '/v1/users', group: 'topics' },
  { method: 'GET', path: '/v1/users', group: 'topics' },
  { method: 'DELETE', path: '/v1/users/{user}', group: 'topics' },
] as const satisfies readonly Route[];

/** `METHOD /path`, as API Gateway's routeKey names a route. */
export type RouteKey = KeyOf<(typeof ROUTES)[number]>;
type KeyOf<R> = R extends { method: infer M extends string; path: infer P extends string }
  ? `${M} ${P}`
  : never;

export interface RouteMatch {
  route: Route;
  routeKey: string;
  pathParameters: Record<string, string>;
}

/** Matches a concrete path against the table. Returns undefined for unknown paths. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): RouteMatch | { methodNotAllowed: true } | undefined {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((part, i) => {
      const seg = segments[i] as string;
      if (part.startsWith('{') && part.endsWith('}')) {
        params[part.slice(1, -1)] = seg;
        return true;
      }
      return part === seg;
    });
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) {
      return { route, routeKey: `${route.method} ${route.path}`, pathParameters: params };
    }
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}
