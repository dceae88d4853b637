/**
 * One checker run: start a stack, create the topic, run the workload under the nemesis, stop the
 * faults, read everything back, and check the history.
 */
import type { Engine } from '../lib/engine/engine.js';
import { maintenanceOptions, runMaintenance } from '../lib/engine/index.js';
import { type CheckReport, checkHistory } from './check.js';
import { type CompactionReport, checkCompaction } from './compaction-check.js';
import { startGatewayFleet } from './gateways.js';
import { checkGroups, type GroupReport } from './group-check.js';
import type { History, HistoryOp } from './history.js';
import { checkerHttp } from './http.js';
import { runKafkaWorkload } from './kafka-workload.js';
import { type FaultClass, type NemesisEvent, type NemesisOptions, startNemesis } from './nemesis.js';
import { type Random, seededRandom } from './random.js';
import { type CheckerStackOptions, startCheckerStack } from './stack.js';
import { Budget, finalRead, runWorkload, sleep, type WorkloadResult } from './workload.js';

export interface RunOptions {
  /** Operations to invoke: sends and polls together. */
  ops: number;
  /**
   * `http` (default): the HTTP API in this process. `kafka`: the Kafka protocol through gateway
   * processes that are killed and restarted, with a classic consumer group.
   */
  workload?: 'http' | 'kafka';
  /** Kafka workload: gateway processes (default 2), group members (default 3). */
  gateways?: number;
  members?: number;
  /** Kafka workload: SIGKILL a gateway every this many ms, [min, max] (default [3000, 6000]); null: never. */
  killEveryMs?: [number, number] | null;
  faults: FaultClass[];
  /**
   * HTTP workload on a compacted topic (checker/compaction-check.ts): keyed records and
   * tombstones, with two compactors (maintenance runs) racing the produces, the fetches and each
   * other, under the same faults.
   */
  compacted?: boolean;
  /** Idempotent producers alongside the plain ones (default true); false makes every producer plain. */
  idempotence?: boolean;
  /** Engine without its commit conditions (test only), every producer on partition 0. */
  breakCommit?: boolean;
  seed?: number;
  partitions?: number;
  /** Engines (Lambda instances) serving the requests, each with its own clients and caches (default 1). */
  engines?: number;
  producers?: { idempotent?: number; plain?: number };
  consumers?: { assigned?: number; subscribed?: number };
  /** Stop invoking operations after this long, even with ops left. */
  timeLimitMs?: number;
  /** Client timeout per HTTP request (default 5000 ms): a timed-out send is indefinite. */
  clientTimeoutMs?: number;
  nemesis?: Omit<NemesisOptions, 'faults'>;
  /** Running emulators to use (tests); otherwise DynamoDB Local and s3rver are started here. */
  endpoints?: CheckerStackOptions['endpoints'];
  /** Let the server log its 5xx errors (default: counted, not printed; the faults cause many). */
  serverLogs?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
}

export interface RunResult {
  /** No must-be-zero anomaly, of the queue or (Kafka workload) of the group. */
  valid: boolean;
  report: CheckReport;
  /** The consumer-group checks (Kafka workload only). */
  groups?: GroupReport;
  /** The compaction checks (compacted runs only). */
  compaction?: CompactionReport;
  /** What the compactors did (compacted runs only). */
  compactors?: CompactorCounts;
  /** Gateway kills (Kafka workload only). */
  kills?: number;
  history: History;
  settings: {
    workload: 'http' | 'kafka';
    compacted: boolean;
    gateways: number;
    members: number;
    ops: number;
    faults: FaultClass[];
    idempotence: boolean;
    breakCommit: boolean;
    seed: number;
    partitions: number;
    engines: number;
    producers: { idempotent: number; plain: number };
    consumers: { assigned: number; subscribed: number };
  };
  /** Operations invoked (sends and polls, not counting the final read). */
  invoked: number;
  durationMs: number;
  nemesis: { events: NemesisEvent[]; injected: Record<FaultClass, number> };
  workload: WorkloadResult['counts'];
  notes: string[];
  serverErrorsLogged: number;
}

const TOPIC = 'checker-queue';
const GROUP = 'checker-group';

/**
 * The compacted run's topic: short enough lag and tombstone retention that both come into play in
 * a run of seconds, a dirty ratio low enough that every pass cleans.
 */
export const COMPACTED_TOPIC = {
  keysPerPartition: 12,
  tombstoneChance: 0.15,
  settings: { deleteRetentionMs: 1500, minCompactionLagMs: 300 },
  config: {
    'cleanup.policy': 'compact',
    'delete.retention.ms': '1500',
    'min.compaction.lag.ms': '300',
    'min.cleanable.dirty.ratio': '0.01',
  },
} as const;

export interface CompactorCounts {
  passes: number;
  /** Passes that failed (the faults), to be redone by the next. */
  errors: number;
  partitionsCleaned: number;
  recordsRemoved: number;
}

export async function runChecker(options: RunOptions): Promise<RunResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rng = seededRandom(seed);
  const idempotence = options.idempotence ?? true;
  const breakCommit = options.breakCommit ?? false;
  const partitions = options.partitions ?? (breakCommit ? 1 : 4);
  const producers = {
    idempotent: idempotence ? (options.producers?.idempotent ?? 2) : 0,
    plain: options.producers?.plain ?? (idempotence ? 2 : 4),
  };
  const consumers = {
    assigned: options.consumers?.assigned ?? 2,
    subscribed: options.consumers?.subscribed ?? 2,
  };
  const engines = options.engines ?? 1;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const clock = () => Date.now() - started;

  // The handlers log every 5xx; under faults that is most of the output. Count instead.
  let serverErrorsLogged = 0;
  const consoleError = console.error;
  if (!options.serverLogs) {
    console.error = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('"request failed')) serverErrorsLogged++;
      else consoleError(...args);
    };
  }
  const stack = await startCheckerStack({
    ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    config: { testOnlyBreakCommitCondition: breakCommit },
    engines,
  });
  try {
    const http = checkerHttp(stack.url, options.clientTimeoutMs ?? 5000);
    for (let attempt = 0; ; attempt++) {
      const res = await http.call('POST', '/v1/topics', {
        name: TOPIC,
        partitions,
        config: options.compacted ? COMPACTED_TOPIC.config : { 'retention.ms': '-1' },
      });
      // A retry of a create whose response we lost finds the topic there.
      if (res.kind === 'ok' || (attempt > 0 && res.kind === 'fail' && res.code === 'TOPIC_ALREADY_EXISTS'))
        break;
      await new Promise((r) => setTimeout(r, 100));
      if (attempt > 10) throw new Error(`cannot create the topic: ${res.code} ${res.message}`);
    }
    log(`stack up at ${stack.url}; topic ${TOPIC} with ${partitions} partitions; seed ${seed}`);

    if ((options.workload ?? 'http') === 'kafka') {
      if (options.compacted) throw new Error('the compacted mode runs the HTTP workload only');
      return await runKafka(options, { stack, http, rng, seed, partitions, producers, clock, log, started });
    }
    const nemesis = startNemesis(
      stack.engines,
      stack.responses,
      rng.fork('nemesis'),
      { ...options.nemesis, faults: options.faults },
      clock,
    );
    const budget = new Budget(
      options.ops,
      options.timeLimitMs ? Date.now() + options.timeLimitMs : undefined,
    );
    const compactors = options.compacted ? startCompactors(stack.engines, rng.fork('compactors')) : undefined;
    let workload: WorkloadResult;
    try {
      workload = await runWorkload({
        http,
        topic: TOPIC,
        partitions,
        group: GROUP,
        idempotentProducers: producers.idempotent,
        plainProducers: producers.plain,
        assignedConsumers: consumers.assigned,
        subscribedConsumers: consumers.subscribed,
        ...(breakCommit ? { producerPartitions: [0] } : {}),
        ...(options.compacted
          ? {
              compacted: {
                keys: COMPACTED_TOPIC.keysPerPartition,
                tombstoneChance: COMPACTED_TOPIC.tombstoneChance,
              },
            }
          : {}),
        rng: rng.fork('workload'),
        clock,
        budget,
      });
    } finally {
      await nemesis.stop();
      await compactors?.stop();
    }
    if (compactors) {
      // One last pass without faults, so that the read-back sees as compacted a log as it can.
      await compactors.finalPass();
      log(`compactors: ${JSON.stringify(compactors.counts)}`);
    }
    log(`workload done: ${budget.used} operations in ${clock()} ms; reading back`);

    const final = await finalRead(http, TOPIC, partitions, clock, workload.notes);
    const history: History = {
      topic: TOPIC,
      partitions,
      ...(options.compacted ? { compaction: { ...COMPACTED_TOPIC.settings } } : {}),
      ops: [...workload.ops, ...final],
    };
    const report = checkHistory(history);
    const compaction = history.compaction ? checkCompaction(history) : undefined;
    return {
      valid: report.valid && (compaction?.valid ?? true),
      report,
      ...(compaction ? { compaction } : {}),
      ...(compactors ? { compactors: compactors.counts } : {}),
      history,
      settings: {
        workload: 'http',
        compacted: options.compacted ?? false,
        gateways: 0,
        members: consumers.subscribed,
        ops: options.ops,
        faults: options.faults,
        idempotence,
        breakCommit,
        seed,
        partitions,
        engines,
        producers,
        consumers,
      },
      invoked: budget.used,
      durationMs: Date.now() - started,
      nemesis: {
        events: nemesis.events,
        injected: { ...nemesis.injected(), 'lost-response': stack.responses.lost },
      },
      workload: workload.counts,
      notes: workload.notes,
      serverErrorsLogged,
    };
  } finally {
    await stack.stop();
    console.error = consoleError;
  }

  async function runKafka(
    options: RunOptions,
    run: {
      stack: Awaited<ReturnType<typeof startCheckerStack>>;
      http: ReturnType<typeof checkerHttp>;
      rng: ReturnType<typeof seededRandom>;
      seed: number;
      partitions: number;
      producers: { idempotent: number; plain: number };
      clock: () => number;
      log: (m: string) => void;
      started: number;
    },
  ): Promise<RunResult> {
    const notes: string[] = [];
    const gateways = options.gateways ?? 2;
    const members = options.members ?? 3;
    const fleet = await startGatewayFleet({
      engine: run.stack.engine.config,
      count: gateways,
      // A lost response is a closed connection after the commit (checker/gateway-process.ts).
      faults: options.faults,
      ...(options.nemesis ? { nemesis: options.nemesis } : {}),
      initialRebalanceDelayMs: 300,
      rng: run.rng.fork('gateways'),
      clock: run.clock,
      onError: (m) => {
        if (notes.length < 50) notes.push(m);
      },
    });
    try {
      run.log(`${gateways} gateways at ${fleet.bootstraps.join(', ')}`);
      const kill =
        options.killEveryMs === undefined ? ([3000, 6000] as [number, number]) : options.killEveryMs;
      if (kill) fleet.startKilling(kill, [200, 1500]);
      const budget = new Budget(
        options.ops,
        options.timeLimitMs ? Date.now() + options.timeLimitMs : undefined,
      );
      let final: HistoryOp[] = [];
      const workload = await runKafkaWorkload({
        bootstraps: fleet.bootstraps,
        topic: TOPIC,
        partitions: run.partitions,
        group: GROUP,
        idempotentProducers: run.producers.idempotent,
        plainProducers: run.producers.plain,
        members,
        ...(options.clientTimeoutMs ? { timeoutMs: options.clientTimeoutMs } : {}),
        rng: run.rng.fork('workload'),
        clock: run.clock,
        budget,
        drainTo: async () => {
          // The faults stop here; the read-back gives each partition's end, which the group drains to.
          await fleet.stopKilling();
          await fleet.quiet();
          run.log(
            `workload done: ${budget.used} operations in ${run.clock()} ms; reading back, draining the group`,
          );
          final = await finalRead(run.http, TOPIC, run.partitions, run.clock, notes);
          const ends = Array.from({ length: run.partitions }, () => 0);
          for (const op of final)
            if (op.type === 'poll')
              for (const r of op.records)
                ends[op.partition] = Math.max(ends[op.partition] ?? 0, r.offset + 1);
          return ends;
        },
      });
      notes.push(...workload.notes);
      const history: History = { topic: TOPIC, partitions: run.partitions, ops: [...workload.ops, ...final] };
      const report = checkHistory(history);
      const groups = checkGroups(history);
      const injected = fleet.injected();
      return {
        valid: report.valid && groups.valid,
        report,
        groups,
        kills: fleet.kills.length,
        history,
        settings: {
          workload: 'kafka',
          compacted: false,
          gateways,
          members,
          ops: options.ops,
          faults: options.faults,
          idempotence: run.producers.idempotent > 0,
          breakCommit: false,
          seed: run.seed,
          partitions: run.partitions,
          engines: gateways,
          producers: run.producers,
          consumers: { assigned: 0, subscribed: members },
        },
        invoked: budget.used,
        durationMs: Date.now() - run.started,
        nemesis: { events: fleet.activations, injected },
        workload: workload.counts,
        notes,
        serverErrorsLogged: 0,
      };
    } finally {
      await fleet.stop();
    }
  }
}

/**
 * Two compactors, one per engine (both on the one engine when there is only one), each running
 * maintenance over and over: retention, compaction by key and the storage sweeps, racing the
 * workload and each other. A pass the faults break is counted and redone by the next.
 */
function startCompactors(engines: Engine[], rng: Random) {
  const counts: CompactorCounts = { passes: 0, errors: 0, partitionsCleaned: 0, recordsRemoved: 0 };
  let stopping = false;
  const pass = async (engine: Engine) => {
    counts.passes++;
    try {
      const report = await runMaintenance(engine, maintenanceOptions(engine));
      counts.partitionsCleaned += report.partitionsCleanedByKey;
      counts.recordsRemoved += report.recordsRemovedByKey;
    } catch {
      counts.errors++;
    }
  };
  const loops = [0, 1].map(async (i) => {
    const engine = engines[i % engines.length] as Engine;
    while (!stopping) {
      await pass(engine);
      await sleep(rng.int(20, 200));
    }
  });
  return {
    counts,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
    finalPass: () => pass(engines[0] as Engine),
  };
}
