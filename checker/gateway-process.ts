/**
 * One gateway of the Kafka workload, as its own process so that it can be killed with SIGKILL:
 * an engine over the checker's tables and bucket, the Kafka gateway in front of it, and this
 * process's own nemesis on the engine's AWS SDK clients. `lost-response` here means a Produce
 * whose commit succeeded gets its connection closed instead of its answer.
 *
 * Started by checker/gateways.ts with one JSON argument (GatewayProcessSettings). It prints JSON
 * lines: `{"ready": "host:port"}` once listening, `{"activation": NemesisEvent}` after each fault
 * activation, `{"error": "..."}` for a handler's unexpected failure, and `{"quiet": true}` once a
 * `quiet` line on stdin has stopped its faults. SIGTERM stops it.
 */
import { createInterface } from 'node:readline';
import type { EngineConfig } from '../lib/engine/config.js';
import { createEngine } from '../lib/engine/engine.js';
import { createAwsClients } from '../lib/engine/storage/aws-clients.js';
import { createHandlerRegistry } from '../lib/kafka/apis.js';
import { DEFAULT_GATEWAY_CONFIG } from '../lib/kafka/config.js';
import { CloseConnection } from '../lib/kafka/dispatch.js';
import { startGateway } from '../lib/kafka/gateway.js';
import type { AnyHandler } from '../lib/kafka/handler.js';
import { APIS } from '../lib/kafka/protocol/schema/index.js';
import { type FaultClass, type NemesisOptions, startNemesis } from './nemesis.js';
import { seededRandom } from './random.js';
import type { ResponseFaults } from './stack.js';

export interface GatewayProcessSettings {
  engine: EngineConfig;
  port: number;
  seed: number;
  faults: FaultClass[];
  nemesis?: Omit<NemesisOptions, 'faults'>;
  initialRebalanceDelayMs: number;
}

const emit = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

const settings = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessSettings;
const started = Date.now();
const engine = createEngine(settings.engine, createAwsClients(settings.engine));

const responses: ResponseFaults = { loseProduceResponse: undefined, lost: 0 };
const handlers = new Map<number, AnyHandler>(createHandlerRegistry());
const produce = handlers.get(APIS.Produce.key) as AnyHandler;
handlers.set(APIS.Produce.key, {
  ...produce,
  async handle(ctx, body) {
    const answer = await produce.handle(ctx, body);
    if (responses.loseProduceResponse?.()) {
      responses.lost++;
      throw new CloseConnection('checker: the produce committed, its answer is lost');
    }
    return answer;
  },
});

const gateway = await startGateway({
  engine,
  handlers,
  config: {
    ...DEFAULT_GATEWAY_CONFIG,
    port: settings.port,
    initialRebalanceDelayMs: settings.initialRebalanceDelayMs,
  },
  log: (message, err) => emit({ error: `${message}: ${String(err)}` }),
});

// Faults only from here: the gateway is up. Each activation is reported as it ends, so a kill
// loses at most the one in progress.
const nemesis = startNemesis(
  [engine],
  responses,
  seededRandom(settings.seed),
  { ...settings.nemesis, faults: settings.faults },
  () => Date.now() - started,
  (event) => emit({ activation: event }),
);
emit({ ready: gateway.bootstrap });

// "quiet" on stdin: the faults stop (the run is draining); the parent waits for the answer.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'quiet') void nemesis.stop().then(() => emit({ quiet: true }));
});

process.on('SIGTERM', () => {
  void (async () => {
    await nemesis.stop();
    await gateway.close(1000);
    process.exit(0);
  })();
});
