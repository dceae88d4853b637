import { afterAll, beforeAll } from 'vitest';
import type { EngineConfig } from '../../lib/engine/config.js';
import type { Engine } from '../../lib/engine/engine.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../../lib/kafka/config.js';
import { type GatewayOptions, type KafkaGateway, startGateway } from '../../lib/kafka/gateway.js';
import { type ApiClient, api, createTestEngine, startTestServer, type TestServer } from './stack.js';

/** A Kafka gateway on a free port over `engine`, with test-friendly settings. */
export function startTestGateway(
  engine: Engine,
  overrides: Partial<GatewayConfig> = {},
  options: Pick<GatewayOptions, 'testOnlyPrincipalFor'> = {},
): Promise<KafkaGateway> {
  return startGateway({ engine, config: { ...DEFAULT_GATEWAY_CONFIG, port: 0, ...overrides }, ...options });
}

export interface TestGatewayContext {
  readonly engine: Engine;
  readonly gateway: KafkaGateway;
  /** `127.0.0.1:<port>`, for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly server: TestServer;
  readonly http: ApiClient;
}

/**
 * The usual setup of a Kafka test file: one engine with its own tables, served both over HTTP and
 * by a Kafka gateway on free ports, started before the file's tests and closed after them.
 */
export function useTestGateway(
  gatewayOverrides: Partial<GatewayConfig> = {},
  engineOverrides: Partial<EngineConfig> = {},
  gatewayOptions: Pick<GatewayOptions, 'testOnlyPrincipalFor'> = {},
): TestGatewayContext {
  let current: { engine: Engine; gateway: KafkaGateway; server: TestServer; http: ApiClient } | undefined;
  const get = () => {
    if (!current) throw new Error('useTestGateway: used outside a test');
    return current;
  };
  beforeAll(async () => {
    const engine = await createTestEngine(engineOverrides);
    const gateway = await startTestGateway(engine, gatewayOverrides, gatewayOptions);
    const server = await startTestServer(engine);
    current = { engine, gateway, server, http: api(server.url) };
  });
  afterAll(async () => {
    await current?.gateway.close();
    await current?.server.close();
  });
  return {
    get engine() {
      return get().engine;
    },
    get gateway() {
      return get().gateway;
    },
    get bootstrap() {
      return get().gateway.bootstrap;
    },
    get server() {
      return get().server;
    },
    get http() {
      return get().http;
    },
  };
}
