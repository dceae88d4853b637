/**
 * The checker's own stack, in this process: DynamoDB Local and s3rver (or endpoints given, as the
 * tests do), an engine whose SDK clients the nemesis can fault, and the real handlers behind the
 * local API Gateway stand-in, with one seam: a produce response can be lost after the handler
 * succeeded (the commit happened, the client sees a 502, as when a Lambda dies before answering).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteGroup } from '../lib/contract/routes.js';
import { DEFAULT_CONFIG, type EngineConfig } from '../lib/engine/config.js';
import { createEngine, type Engine } from '../lib/engine/engine.js';
import type { HttpEvent, HttpHandler } from '../lib/engine/http/api.js';
import { createAwsClients } from '../lib/engine/storage/aws-clients.js';
import { ensureStorage } from '../lib/engine/storage/provision.js';
import { createHandlers } from '../local/handlers.js';
import { startHttpServer } from '../local/server.js';
import { startDynamoDbLocal, startS3rver } from '../local/stack.js';

export interface CheckerStackOptions {
  /** Use running emulators (the vitest global setup's) instead of starting our own. */
  endpoints?: { s3: string; dynamodb: string };
  /** Engine tuning, e.g. `testOnlyBreakCommitCondition`. Tables and bucket are always fresh. */
  config?: Partial<EngineConfig>;
  /**
   * Engines behind the server (default 1), each with its own SDK clients and per-process caches,
   * as concurrent Lambda instances are; each request goes to one of them at random.
   */
  engines?: number;
}

/** The crash between commit and response: decides, per successful produce, whether its response is lost. */
export interface ResponseFaults {
  loseProduceResponse: (() => boolean) | undefined;
  /** Responses lost so far. */
  lost: number;
}

export interface CheckerStack {
  url: string;
  /** The first of `engines`. */
  engine: Engine;
  engines: Engine[];
  responses: ResponseFaults;
  stop(): Promise<void>;
}

const PRODUCE_ROUTE = 'POST /v1/topics/{topic}/records';

export async function startCheckerStack(options: CheckerStackOptions = {}): Promise<CheckerStack> {
  const teardown: (() => Promise<void>)[] = [];
  const runTeardown = async () => {
    for (const step of teardown.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    let endpoints = options.endpoints;
    if (!endpoints) {
      const dir = await mkdtemp(join(tmpdir(), 'strata-check-'));
      teardown.push(() => rm(dir, { recursive: true, force: true }));
      const [dynamodb, s3] = await Promise.all([startDynamoDbLocal(), startS3rver({ dir: join(dir, 's3') })]);
      teardown.push(dynamodb.stop, s3.stop);
      endpoints = { s3: s3.endpoint, dynamodb: dynamodb.endpoint };
    }
    const id = `strata-check-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const config: EngineConfig = {
      ...DEFAULT_CONFIG,
      ...options.config,
      metaTable: `${id}-meta`,
      indexTable: `${id}-index`,
      bucket: id,
      s3Endpoint: endpoints.s3,
      dynamodbEndpoint: endpoints.dynamodb,
    };
    const engines: Engine[] = [];
    for (let i = 0; i < Math.max(1, options.engines ?? 1); i++) {
      const clients = createAwsClients(config);
      teardown.push(async () => {
        clients.s3.destroy();
        clients.dynamodb.destroy();
      });
      if (i === 0) await ensureStorage(clients, config);
      engines.push(createEngine(config, clients));
    }

    const responses: ResponseFaults = { loseProduceResponse: undefined, lost: 0 };
    const perEngine = engines.map((engine) => {
      const handlers = createHandlers(engine);
      const produce: HttpHandler = handlers.produce;
      handlers.produce = async (event) => {
        const result = await produce(event);
        if (
          event.routeKey === PRODUCE_ROUTE &&
          result.statusCode === 200 &&
          responses.loseProduceResponse?.()
        ) {
          responses.lost++;
          // What API Gateway answers when the function died after doing its work.
          return {
            statusCode: 502,
            headers: { 'content-type': 'application/json' },
            body: '{"message":"Internal Server Error"}',
          };
        }
        return result;
      };
      return handlers;
    });
    const groups = Object.keys(perEngine[0] ?? {}) as RouteGroup[];
    const handlers = Object.fromEntries(
      groups.map((group) => [
        group,
        (event: HttpEvent) => {
          const chosen = perEngine[Math.floor(Math.random() * perEngine.length)] as Record<
            RouteGroup,
            HttpHandler
          >;
          return chosen[group](event);
        },
      ]),
    ) as Record<RouteGroup, HttpHandler>;
    const http = await startHttpServer({ handlers, port: 0 });
    teardown.push(http.close);

    let stopped: Promise<void> | undefined;
    return {
      url: http.url,
      engine: engines[0] as Engine,
      engines,
      responses,
      stop: () => {
        stopped ??= runTeardown();
        return stopped;
      },
    };
  } catch (err) {
    await runTeardown();
    throw err;
  }
}
