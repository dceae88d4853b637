import { SegmentWriter } from '../codec/segment.js';
import { groupBy } from '../collections.js';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  InvalidProducerEpochError,
  KafkaStorageError,
  StrataError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import { advance, checkSequence, type ProducerPartitionState, type SequencedBatch } from '../idempotence.js';
import { newSegmentKey } from '../storage/segment-store.js';
import type { Topic } from '../types.js';
import { recordOrphan, rememberProducerStates } from './append.js';
import { commitActionCount, commitBatches, MAX_TRANSACTION_ACTIONS, type PendingBatch } from './commit.js';
import {
  type CheckedPartition,
  type ClientPartitionRecords,
  checkProduceRequest,
  inRequestOrder,
  type PartitionProduceResult,
  type ProduceBatchesOptions,
} from './produce-batches.js';
import { loadProducerStates } from './producers.js';

/**
 * Batching across requests (the Kafka gateway's produce, docs/architecture.md "Flushes"): the
 * checked batches of every request that arrives within `lingerMs`, up to `flushBytes`, go into one
 * segment object, committed in as few DynamoDB transactions as fit (one per topic and up to 100
 * actions: 49 partitions of plain producers). Each request is answered when the commit holding its
 * partitions succeeded, with its own offsets and errors. Flushes commit one after another, in the
 * order they closed, and an idempotent producer's batches are checked against the state the
 * flushes before left (projected, while those are still under way): their order holds within and
 * across flushes. If an earlier flush fails to commit a producer's batches, the later ones find
 * its state elsewhere than projected and fail with OUT_OF_ORDER_SEQUENCE_NUMBER, as on Kafka.
 */
export interface FlushOptions {
  /** How long the first request of a flush waits for others (ms). 0: flush at once. */
  lingerMs: number;
  /** A flush closes early once it holds this many bytes of batches. */
  flushBytes: number;
  /**
   * Flushes under way at once (default 2): the next one uploads while the one before commits.
   * Commits still happen one flush after another, in order.
   */
  maxFlushesInFlight?: number;
}

/** What one flush came to, for metrics and tests. */
export interface FlushReport {
  objectKey: string;
  requests: number;
  entries: number;
  bytes: number;
  commits: number;
  /** Where its time went (ms): the PUT, waiting for the flush before to commit, its own commits. */
  uploadMs: number;
  waitMs: number;
  commitMs: number;
}

/** One partition's batches of one request, waiting in a flush. */
export interface FlushEntry {
  topic: Topic;
  checked: CheckedPartition;
  /** Set once the entry is answered: an offset, or an error. */
  settle(result: PartitionProduceResult): void;
  settled: boolean;
  request: object;
}

/** A run of entries of one partition: all plain producers' entries, or one idempotent producer's. */
export interface Run {
  topic: Topic;
  partition: number;
  entries: FlushEntry[];
  /** Set for an idempotent producer's run. */
  producer?: { producerId: string; epoch: number; prior: ProducerPartitionState | undefined };
  byteOffset: number;
  byteLength: number;
}

/** How often a part is committed again after producers' states moved under it. */
const MAX_STALE_STATE_RETRIES = 5;

export class ProduceFlusher {
  private open: FlushEntry[] = [];
  private openBytes = 0;
  private openedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  /** Resolves when the last flush started has finished committing: the next one commits after it. */
  private lastCommit: Promise<void> = Promise.resolve();
  /** Resolves when the last flush started has judged its batches: the next one judges after it. */
  private lastJudged: Promise<void> = Promise.resolve();
  private readonly projected: ProjectedStates = new Map();
  private readonly listeners = new Set<(report: FlushReport) => void>();

  constructor(
    private readonly engine: Engine,
    private readonly options: FlushOptions,
  ) {}

  /**
   * Produce with the semantics of produceBatches: one result per partition, in request order,
   * each after its commit. Bad batches are answered at once and never join the flush. The
   * batches join the open flush before this returns its promise.
   */
  produce(
    topic: Topic,
    partitions: readonly ClientPartitionRecords[],
    options: ProduceBatchesOptions = {},
  ): Promise<PartitionProduceResult[]> {
    const { checked, results } = checkProduceRequest(topic, partitions, options);
    const request = {};
    const joined = checked.map(
      (c) =>
        new Promise<void>((resolve) => {
          const entry: FlushEntry = {
            topic,
            checked: c,
            request,
            settled: false,
            settle(result) {
              if (entry.settled) return;
              entry.settled = true;
              results.set(c.append.partition, result);
              resolve();
            },
          };
          this.join(entry);
        }),
    );
    return Promise.all(joined).then(() => inRequestOrder(partitions, results));
  }

  /** Calls `listener` after each flush (tests and metrics). */
  onFlush(listener: (report: FlushReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flushes what is waiting and resolves once every flush has finished. */
  async close(): Promise<void> {
    while (this.open.length > 0 || this.running.size > 0) {
      this.kick(true);
      await Promise.race(this.running);
    }
  }

  private join(entry: FlushEntry): void {
    if (this.open.length === 0) this.openedAt = Date.now();
    this.open.push(entry);
    this.openBytes += entry.checked.append.bytes.length;
    this.kick(false);
  }

  /** Starts a flush if one is due and a slot is free; else makes sure a timer will start it. */
  private kick(force: boolean): void {
    if (this.open.length === 0) return;
    if (this.running.size >= (this.options.maxFlushesInFlight ?? 2)) return;
    const waited = Date.now() - this.openedAt;
    if (!force && this.openBytes < this.options.flushBytes && waited < this.options.lingerMs) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick(true);
      }, this.options.lingerMs - waited);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.take();
    const previous = this.lastCommit;
    let committed = () => {};
    const mine = new Promise<void>((resolve) => {
      committed = resolve;
    });
    // Even a flush that never reaches its commit (a failed upload) holds back the ones after it
    // until the ones before it are done.
    this.lastCommit = Promise.all([previous, mine]).then(() => {});
    const judgedBefore = this.lastJudged;
    let judged = () => {};
    this.lastJudged = new Promise((resolve) => {
      judged = resolve;
    });
    const order = { judgedBefore, judged, previous, committed, projected: this.projected };
    const flush = this.flush(entries, order).finally(() => {
      judged();
      committed();
      this.running.delete(flush);
      this.kick(false);
    });
    this.running.add(flush);
  }

  /** The oldest entries, up to flushBytes (at least one). */
  private take(): FlushEntry[] {
    let bytes = 0;
    let n = 0;
    while (n < this.open.length) {
      const size = (this.open[n] as FlushEntry).checked.append.bytes.length;
      if (n > 0 && bytes + size > this.options.flushBytes) break;
      bytes += size;
      n++;
    }
    const taken = this.open.splice(0, n);
    this.openBytes -= bytes;
    this.openedAt = Date.now();
    return taken;
  }

  private async flush(entries: FlushEntry[], order: FlushOrder): Promise<void> {
    try {
      const report = await flushEntries(this.engine, entries, order);
      if (report) for (const listener of this.listeners) listener(report);
    } catch (err) {
      // A defect of the flush itself: nothing unanswered may be left waiting.
      for (const e of entries) e.settle({ partition: e.checked.append.partition, error: err });
    }
  }
}

/**
 * Sequence states as the flushes under way will leave them, by `producerId/topicId/partition`:
 * what a later flush judges an idempotent producer's batches against. Offsets in the retained
 * batches are not known yet (-1); the commit takes the real ones from the producer-state cache.
 */
type ProjectedStates = Map<string, ProducerPartitionState>;

interface FlushOrder {
  /** Resolves once the flush before this one has judged its batches and projected their states. */
  judgedBefore: Promise<void>;
  /** Called once this flush has projected its states (also when judging failed). */
  judged: () => void;
  /** Resolves once the flush before this one has finished committing. */
  previous: Promise<void>;
  /** Called once this flush has finished committing (also when it failed). */
  committed: () => void;
  projected: ProjectedStates;
}

const stateKey = (producerId: string, topicId: string, partition: number) =>
  `${producerId}/${topicId}/${partition}`;

/** Uploads the entries' batches as one object and commits them; answers every entry. */
async function flushEntries(
  engine: Engine,
  entries: FlushEntry[],
  order: FlushOrder,
): Promise<FlushReport | undefined> {
  let runs: Run[];
  let projections: Map<string, ProducerPartitionState>;
  try {
    await order.judgedBefore;
    runs = await sequencedRuns(engine, entries, order.projected);
    // Until this flush's commits are done, later flushes judge its producers' batches after these.
    projections = project(runs, order.projected);
  } finally {
    order.judged();
  }
  try {
    return await uploadAndCommit(engine, entries, runs, order);
  } finally {
    for (const [key, state] of projections)
      if (order.projected.get(key) === state) order.projected.delete(key);
  }
}

async function uploadAndCommit(
  engine: Engine,
  entries: FlushEntry[],
  runs: Run[],
  order: FlushOrder,
): Promise<FlushReport | undefined> {
  if (runs.length === 0) return undefined;
  const parts = splitIntoParts(runs);

  const writer = new SegmentWriter(entries.reduce((n, e) => n + e.checked.append.bytes.length, 0));
  for (const run of parts.flat()) {
    const ref = writer.add(
      {
        topic: run.topic.name,
        topicId: run.topic.topicId,
        partition: run.partition,
        recordCount: recordCount(run),
        maxTimestamp: maxTimestamp(run),
      },
      run.entries.map((e) => e.checked.append.bytes),
    );
    run.byteOffset = ref.byteOffset;
    run.byteLength = ref.byteLength;
  }
  const body = writer.finish();
  const objectKey = newSegmentKey(engine.now());
  const started = performance.now();
  try {
    await engine.segments.put(objectKey, body);
  } catch (err) {
    await recordOrphan(engine, objectKey, err);
    const error = new KafkaStorageError(`segment upload failed: ${(err as Error).message}`, { cause: err });
    for (const run of runs) for (const e of run.entries) e.settle({ partition: run.partition, error });
    return undefined;
  }

  const uploaded = performance.now();
  await order.previous;
  const waited = performance.now();
  let committedParts = 0;
  for (const [part, partRuns] of parts.entries()) {
    if (await commitPart(engine, objectKey, body.length, part, partRuns)) committedParts++;
  }
  order.committed();
  if (committedParts === 0) await recordOrphan(engine, objectKey, 'no part of the flush committed');
  return {
    objectKey,
    requests: new Set(entries.map((e) => e.request)).size,
    entries: entries.length,
    bytes: body.length,
    commits: parts.length,
    uploadMs: uploaded - started,
    waitMs: waited - uploaded,
    commitMs: performance.now() - waited,
  };
}

/**
 * Groups the entries into runs, per topic and partition in arrival order. An idempotent
 * producer's batches are checked against its sequence state first, in sequence order: a
 * duplicate is answered with the offset it was written at, an out-of-order batch with its error,
 * and neither joins the flush.
 */
async function sequencedRuns(
  engine: Engine,
  entries: FlushEntry[],
  projected: ProjectedStates,
): Promise<Run[]> {
  const runs = new Map<string, Run>();
  const runOf = (topic: Topic, partition: number, producerKey: string) => {
    const key = `${topic.topicId}/${partition}/${producerKey}`;
    let run = runs.get(key);
    if (!run) {
      run = { topic, partition, entries: [], byteOffset: 0, byteLength: 0 };
      runs.set(key, run);
    }
    return run;
  };
  const sequenced: FlushEntry[] = [];
  for (const e of entries) {
    const key = e.checked.producerKey;
    // An idempotent producer's run takes its place in arrival order; its entries come once checked.
    const run = runOf(e.topic, e.checked.append.partition, key ?? '');
    if (key) sequenced.push(e);
    else run.entries.push(e);
  }
  const byProducer = groupBy(sequenced, (e) => `${e.checked.producerKey}/${e.topic.topicId}`);
  await Promise.all(
    [...byProducer.values()].map(async (list) => {
      const first = list[0] as FlushEntry;
      const [producerId, epoch] = (first.checked.producerKey as string).split(':') as [string, string];
      const partitions = [...new Set(list.map((e) => e.checked.append.partition))];
      const verdicts = await checkProducer(
        engine,
        first.topic,
        producerId,
        Number(epoch),
        partitions,
        list,
        projected,
      );
      for (const [partition, { accepted, prior }] of verdicts) {
        const run = runOf(first.topic, partition, first.checked.producerKey as string);
        run.entries.push(...accepted);
        run.producer = { producerId, epoch: Number(epoch), prior };
      }
    }),
  );
  return [...runs.values()].filter((r) => r.entries.length > 0);
}

/**
 * One producer's entries on one topic, judged against its sequence states: per partition the
 * entries that append (in sequence order) and the state they were checked against. The others
 * are answered here. A cached state that refuses a batch is read again from DynamoDB, as another
 * gateway may have moved it.
 */
async function checkProducer(
  engine: Engine,
  topic: Topic,
  producerId: string,
  epoch: number,
  partitions: number[],
  entries: FlushEntry[],
  projected: ProjectedStates,
): Promise<Map<number, { accepted: FlushEntry[]; prior: ProducerPartitionState | undefined }>> {
  const fresh = async () => {
    const states = await loadProducerStates(engine, producerId, epoch, topic, partitions);
    for (const [p, state] of states)
      if (state) engine.producerStates.set(producerId, topic.topicId, p, state);
    return states;
  };
  // A flush under way that holds this producer's batches decides where the next ones must start.
  const overlay = (states: Map<number, ProducerPartitionState | undefined>) => {
    for (const p of partitions) {
      const ahead = projected.get(stateKey(producerId, topic.topicId, p));
      if (ahead) states.set(p, ahead);
    }
    return states;
  };
  let states: Map<number, ProducerPartitionState | undefined>;
  const cached = engine.producerStates.getAll(producerId, topic.topicId, partitions);
  try {
    states = overlay(new Map(cached ?? (await fresh())));
  } catch (err) {
    for (const e of entries) e.settle({ partition: e.checked.append.partition, error: err });
    return new Map();
  }
  let verdicts = judge(states, entries);
  if (cached && verdicts.refused) {
    try {
      verdicts = judge(overlay(await fresh()), entries);
    } catch (err) {
      for (const e of entries) e.settle({ partition: e.checked.append.partition, error: err });
      return new Map();
    }
  }
  for (const { entry, result } of verdicts.answers) entry.settle(result);
  return verdicts.accepted;
}

/** The sequence verdicts of one producer's entries, each partition's in sequence order. */
function judge(
  states: ReadonlyMap<number, ProducerPartitionState | undefined>,
  entries: readonly FlushEntry[],
): {
  accepted: Map<number, { accepted: FlushEntry[]; prior: ProducerPartitionState | undefined }>;
  answers: { entry: FlushEntry; result: PartitionProduceResult }[];
  refused: boolean;
} {
  const accepted = new Map<number, { accepted: FlushEntry[]; prior: ProducerPartitionState | undefined }>();
  const answers: { entry: FlushEntry; result: PartitionProduceResult }[] = [];
  let refused = false;
  const byPartition = groupBy(entries, (e) => e.checked.append.partition);
  for (const [partition, list] of byPartition) {
    const prior = states.get(partition);
    let state = prior;
    const ok: FlushEntry[] = [];
    const sorted = [...list].sort((a, b) => sequenceOf(a).baseSequence - sequenceOf(b).baseSequence);
    for (const e of sorted) {
      const batch = sequenceOf(e);
      try {
        const verdict = checkSequence(state, batch);
        if (verdict.kind === 'duplicate') {
          // A retry of a batch of this very flush has no offset yet: the client retries again.
          answers.push({
            entry: e,
            result:
              verdict.baseOffset >= 0
                ? { partition, baseOffset: verdict.baseOffset }
                : {
                    partition,
                    error: new CommitConflictError('the original of this retry is still in flight'),
                  },
          });
          continue;
        }
        ok.push(e);
        state = advance(state, batch, -1);
      } catch (err) {
        refused = true;
        answers.push({ entry: e, result: { partition, error: err } });
      }
    }
    if (ok.length > 0) accepted.set(partition, { accepted: ok, prior });
  }
  return { accepted, answers, refused };
}

function sequenceOf(e: FlushEntry): SequencedBatch {
  return e.checked.sequenced as SequencedBatch;
}

/**
 * Runs in commits: one topic per commit (its existence is checked once), as many runs as fit the
 * 100 actions of a transaction. A partition's runs may straddle two commits; they are committed
 * one after the other, so its offsets still follow each other.
 */
export function splitIntoParts(runs: Run[]): Run[][] {
  const byTopic = groupBy(runs, (run) => run.topic.topicId);
  const parts: Run[][] = [];
  for (const topicRuns of byTopic.values()) {
    let part: Run[] = [];
    for (const run of topicRuns) {
      if (part.length > 0 && commitActionCount(pendingOf([...part, run])) > MAX_TRANSACTION_ACTIONS) {
        parts.push(part);
        part = [];
      }
      part.push(run);
    }
    if (part.length > 0) parts.push(part);
  }
  return parts;
}

/** Commits one part; answers its entries. True when it committed (the object is then referenced). */
async function commitPart(
  engine: Engine,
  objectKey: string,
  objectBytes: number,
  part: number,
  runs: Run[],
): Promise<boolean> {
  const topic = (runs[0] as Run).topic;
  let live = runs;
  for (const run of runs) settlePrior(engine, run);
  for (let attempt = 0; live.length > 0; attempt++) {
    const pending = pendingOf(live);
    let result: Awaited<ReturnType<typeof commitBatches>>;
    try {
      result = await commitBatches(engine, { topic, objectKey, part, objectBytes, batches: pending });
    } catch (err) {
      if (err instanceof UnknownTopicOrPartitionError) engine.topics.invalidate(topic.name);
      // A fault that is no verdict of ours (DynamoDB refused the request itself) is a storage
      // failure to Kafka clients: KAFKA_STORAGE_ERROR, which they retry; nothing was appended.
      const error =
        err instanceof StrataError
          ? err
          : new KafkaStorageError(`commit failed: ${(err as Error)?.message ?? err}`, { cause: err });
      for (const run of live) for (const e of run.entries) e.settle({ partition: run.partition, error });
      return false;
    }
    if (result.kind === 'committed') {
      rememberProducerStates(engine, topic, pending, result.offsets);
      answerCommitted(live, result.offsets);
      return true;
    }
    if (result.kind === 'groupChanged') throw new RangeError('a flush carries no group commit');
    // Some producers' states moved (another gateway wrote for them) or their epochs were bumped:
    // those runs are judged again; the others commit without them. Their bytes stay unreferenced.
    const moved = result.producerIds;
    const stale = live.filter((r) => r.producer && moved.has(r.producer.producerId));
    live = live.filter((r) => !stale.includes(r));
    if (result.kind === 'fenced') {
      for (const run of stale) {
        const error = new InvalidProducerEpochError(
          `producer ${run.producer?.producerId} epoch ${run.producer?.epoch} was fenced`,
          { cause: result.cause },
        );
        for (const e of run.entries) e.settle({ partition: run.partition, error });
      }
      continue;
    }
    const retriable = attempt < MAX_STALE_STATE_RETRIES;
    for (const run of stale) {
      const again = retriable ? await rejudge(engine, run) : undefined;
      if (again) live.push(again);
      else
        for (const e of run.entries)
          e.settle({
            partition: run.partition,
            error: new CommitConflictError(
              'the producer state kept changing during the commit; nothing was appended',
            ),
          });
    }
    // In the order they were laid out, so each partition's offsets follow its runs.
    const kept = new Set(live);
    live = runs.filter((r) => kept.has(r));
  }
  return false;
}

/**
 * A run judged against a projected state commits against the real one, once the flush before has
 * committed it: the same epoch and next sequence, with the retained batches' real offsets.
 */
function settlePrior(engine: Engine, run: Run): void {
  const producer = run.producer;
  if (!producer?.prior) return;
  const real = engine.producerStates
    .getAll(producer.producerId, run.topic.topicId, [run.partition])
    ?.get(run.partition);
  if (real && real.epoch === producer.prior.epoch && real.nextSeq === producer.prior.nextSeq) {
    run.producer = { ...producer, prior: real };
  }
}

/** Records the states this flush's runs will leave, for the flushes that close before it commits. */
function project(runs: readonly Run[], projected: ProjectedStates): Map<string, ProducerPartitionState> {
  const mine = new Map<string, ProducerPartitionState>();
  for (const run of runs) {
    if (!run.producer) continue;
    let state = run.producer.prior;
    for (const e of run.entries) state = advance(state, sequenceOf(e), -1);
    if (!state) continue;
    const key = stateKey(run.producer.producerId, run.topic.topicId, run.partition);
    projected.set(key, state);
    mine.set(key, state);
  }
  return mine;
}

/**
 * A run whose producer state moved, judged against the fresh state: the same run (same bytes,
 * same place in the object) with the new prior when every batch still appends; else each entry
 * is answered (a duplicate with its offset) and undefined is returned.
 */
async function rejudge(engine: Engine, run: Run): Promise<Run | undefined> {
  const producer = run.producer as NonNullable<Run['producer']>;
  let states: Map<number, ProducerPartitionState | undefined>;
  try {
    states = await loadProducerStates(engine, producer.producerId, producer.epoch, run.topic, [
      run.partition,
    ]);
  } catch (err) {
    for (const e of run.entries) e.settle({ partition: run.partition, error: err });
    return undefined;
  }
  const prior = states.get(run.partition);
  if (prior) engine.producerStates.set(producer.producerId, run.topic.topicId, run.partition, prior);
  const verdict = judge(states, run.entries);
  const kept = verdict.accepted.get(run.partition)?.accepted ?? [];
  if (kept.length === run.entries.length) {
    run.producer = { ...producer, prior };
    return run;
  }
  for (const { entry, result } of verdict.answers) entry.settle(result);
  const error = new CommitConflictError('a concurrent write of this producer moved its sequence; retry');
  for (const e of kept) e.settle({ partition: run.partition, error });
  return undefined;
}

function answerCommitted(runs: readonly Run[], offsets: ReadonlyMap<number, number>): void {
  const next = new Map(offsets);
  for (const run of runs) {
    for (const e of run.entries) {
      const base = next.get(run.partition) as number;
      e.settle({ partition: run.partition, baseOffset: base });
      next.set(run.partition, base + e.checked.append.recordCount);
    }
  }
}

function pendingOf(runs: readonly Run[]): PendingBatch[] {
  return runs.map((run) => ({
    partition: run.partition,
    recordCount: recordCount(run),
    byteOffset: run.byteOffset,
    byteLength: run.byteLength,
    maxTimestamp: maxTimestamp(run),
    ...(run.producer
      ? {
          sequenced: {
            producerId: run.producer.producerId,
            epoch: run.producer.epoch,
            batches: run.entries.map(sequenceOf),
            prior: run.producer.prior,
          },
        }
      : {}),
  }));
}

const recordCount = (run: Run) => run.entries.reduce((n, e) => n + e.checked.append.recordCount, 0);
const maxTimestamp = (run: Run) => Math.max(...run.entries.map((e) => e.checked.append.maxTimestamp));
