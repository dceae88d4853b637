import type { Context } from 'aws-lambda';
import type { RouteGroup } from '../lib/contract/routes.js';
import { configFromEnv } from '../lib/engine/config.js';
import { createEngine, type Engine } from '../lib/engine/engine.js';
import type { HttpEvent, HttpHandler } from '../lib/engine/http/api.js';
import { routedEvent } from '../lib/engine/http/routing.js';
import { type ObservedFunction, observe } from './observability.js';

let engine: Engine | undefined;

/** The Lambda edge: configuration is read here, once per cold start, and the engine reused after. */
export function lambdaEngine(): Engine {
  engine ??= createEngine(configFromEnv(process.env));
  return engine;
}

/**
 * A route group's Lambda entry point: Powertools around the handler, which is built on the first
 * invocation (the engine, and so the configuration, is read once per cold start).
 */
export function lambdaHandler(routeGroup: RouteGroup, create: (engine: Engine) => HttpHandler) {
  let built: HttpHandler | undefined;
  const observed = observe(
    routeGroup satisfies ObservedFunction,
    (event: HttpEvent) => {
      built ??= create(lambdaEngine());
      return built(event);
    },
    { engine: lambdaEngine },
  );
  // A Function URL event (routeKey $default) gets its route before observe reads it, so that its
  // logs, metrics and trace name the route as API Gateway's do; the handler routes it the same way.
  return (event: HttpEvent, context?: Context) => observed(routedEvent(event, routeGroup), context);
}
