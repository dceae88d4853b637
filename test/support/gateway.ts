import { afterAll, beforeAll } from 'vitest';
import type { EngineConfig } from '../../lib/engine/config.js';
import type { Engine } from '../../lib/engine/engine.js';
import { type Principal, user } from '../../lib/engine/principal.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../../lib/kafka/config.js';
import { type GatewayOptions, type KafkaGateway, startGateway } from '../../lib/kafka/gateway.js';
import { type KafkaWire, openKafkaWire } from './kafka-wire.js';
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

/** A test gateway whose connections act as whichever principal the test names. */
export interface PrincipalGateway {
  readonly ctx: TestGatewayContext;
  /** Connections opened from now on act as `p` (the hook is per connection); User:admin at first. */
  actAs(p: Principal): void;
  /** A new wire connection acting as `p`, kept for closeWires. */
  as(p: Principal): Promise<KafkaWire>;
  /** Closes the connections `as` opened since the last call. */
  closeWires(): void;
}

/** useTestGateway with each connection acting as the principal set last (see PrincipalGateway). */
export function usePrincipalGateway(
  gatewayOverrides: Partial<GatewayConfig> = {},
  engineOverrides: Partial<EngineConfig> = {},
): PrincipalGateway {
  let principal: Principal = user('admin');
  const ctx = useTestGateway(gatewayOverrides, engineOverrides, { testOnlyPrincipalFor: () => principal });
  const wires: KafkaWire[] = [];
  return {
    ctx,
    actAs: (p) => {
      principal = p;
    },
    as: async (p) => {
      principal = p;
      const w = await openKafkaWire(ctx.bootstrap);
      wires.push(w);
      return w;
    },
    closeWires: () => {
      for (const w of wires.splice(0)) w.close();
    },
  };
}
