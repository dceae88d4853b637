/**
 * The Kafka workload's gateways: child processes (checker/gateway-process.ts) over the checker's
 * tables, each on a fixed port so that a restarted one is found where it was, and a killer that
 * SIGKILLs one of them now and then and starts it again after a pause.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../lib/engine/config.js';
import type { GatewayProcessSettings } from './gateway-process.js';
import { FAULT_CLASSES, type FaultClass, type NemesisEvent, type NemesisOptions } from './nemesis.js';
import type { Random } from './random.js';

export interface GatewayFleetOptions {
  engine: EngineConfig;
  count: number;
  faults: FaultClass[];
  nemesis?: Omit<NemesisOptions, 'faults'>;
  initialRebalanceDelayMs: number;
  rng: Random;
  clock: () => number;
  /** A gateway's unexpected failures (its log lines), for the notes. */
  onError?: (message: string) => void;
}

export interface KillEvent {
  gateway: number;
  /** ms since the start of the run: the SIGKILL, and when it listened again. */
  killed: number;
  restarted: number;
}

export interface GatewayFleet {
  /** host:port of each gateway, fixed for the run. */
  bootstraps: readonly string[];
  /** Kills each gateway in turn, every `everyMs`, down for `downMs`, until stopKilling. */
  startKilling(everyMs: [number, number], downMs: [number, number]): void;
  stopKilling(): Promise<void>;
  /** Ends the faults: each gateway stops its nemesis (and a restarted one starts none). */
  quiet(): Promise<void>;
  kills: KillEvent[];
  activations: NemesisEvent[];
  injected(): Record<FaultClass, number>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./gateway-process.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export async function startGatewayFleet(options: GatewayFleetOptions): Promise<GatewayFleet> {
  const ports = await Promise.all(Array.from({ length: options.count }, freePort));
  const children: (ChildProcess | undefined)[] = ports.map(() => undefined);
  const activations: NemesisEvent[] = [];
  const kills: KillEvent[] = [];
  let faults = options.faults;
  const quieted = new Map<ChildProcess, () => void>();
  let starts = 0;

  const start = async (i: number) => {
    const settings: GatewayProcessSettings = {
      engine: options.engine,
      port: ports[i] as number,
      seed: Math.floor(options.rng() * 2 ** 31),
      faults,
      ...(options.nemesis ? { nemesis: options.nemesis } : {}),
      initialRebalanceDelayMs: options.initialRebalanceDelayMs,
    };
    starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(settings)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children[i] = child;
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = `${stderr}${d}`.slice(-4000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway ${i} not ready: ${stderr}`)),
        READY_TIMEOUT_MS,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway ${i} exited (${code ?? signal}) before it was ready: ${stderr}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        let message: { ready?: string; activation?: NemesisEvent; error?: string; quiet?: boolean };
        try {
          message = JSON.parse(line);
        } catch {
          return;
        }
        if (message.ready) {
          clearTimeout(timer);
          resolve();
        }
        if (message.activation) activations.push(message.activation);
        if (message.error) options.onError?.(`gateway ${i}: ${message.error}`);
        if (message.quiet) quieted.get(child)?.();
      });
    });
    ready.catch(() => {});
    await ready;
  };

  const exit = async (i: number, signal: NodeJS.Signals) => {
    const child = children[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };

  await Promise.all(ports.map((_, i) => start(i)));

  let killing: Promise<void> | undefined;
  let stopKilling = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    bootstraps: ports.map((p) => `127.0.0.1:${p}`),
    kills,
    activations,
    injected() {
      const totals = Object.fromEntries(FAULT_CLASSES.map((f) => [f, 0])) as Record<FaultClass, number>;
      for (const a of activations) totals[a.fault] += a.injected;
      return totals;
    },
    startKilling(everyMs, downMs) {
      const rng = options.rng.fork('killer');
      killing = (async () => {
        for (let n = 0; ; n++) {
          await sleep(rng.int(...everyMs));
          if (stopKilling) return;
          const i = n % ports.length;
          const killed = options.clock();
          await exit(i, 'SIGKILL');
          await sleep(rng.int(...downMs));
          // Restart even when stopping: the drain needs every gateway.
          await start(i);
          kills.push({ gateway: i, killed, restarted: options.clock() });
          if (stopKilling) return;
        }
      })();
    },
    async stopKilling() {
      stopKilling = true;
      wake?.();
      await killing;
    },
    async quiet() {
      faults = [];
      await Promise.all(
        children.map(async (child) => {
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const done = new Promise<void>((resolve) => {
            quieted.set(child, resolve);
            child.once('exit', () => resolve());
          });
          child.stdin?.write('quiet\n');
          await done;
        }),
      );
    },
    async stop() {
      await Promise.all(ports.map((_, i) => exit(i, 'SIGTERM')));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
