import { configFromEnv } from '../lib/config.js';
import { createEngine, type Engine } from '../lib/engine.js';

let engine: Engine | undefined;

/** The Lambda edge: configuration is read here, once per cold start, and the engine reused after. */
export function lambdaEngine(): Engine {
  engine ??= createEngine(configFromEnv(process.env));
  return engine;
}
