/**
 * Raw baselines for issue 12: what one produce request must do, done directly against the
 * emulators with no Strata code in between. A PUT of the request's size then a TransactWriteItems
 * of the commit's shape (topic ConditionCheck, segment record Put, per partition a conditional head
 * Update and an index Put: 4 items for 1 partition), ranged GETs of the size fetch reads, and the
 * hot-partition race: 8 writers on one head, retrying a lost race as the real commit does.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Engine } from '../lib/engine/index.js';

export const MiB = 1024 * 1024;

/** Runs `total` jobs on `concurrency` workers. */
export async function pool(
  total: number,
  concurrency: number,
  job: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) await job(next++, worker);
    }),
  );
}

/** Wall time and this process's CPU time (user + system) of `fn`. */
export async function measured<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; result: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, result };
}

/** The 4-item commit of one partition, as lib/engine/storage/commit-transaction.ts builds it. */
function commitItems(engine: Engine, head: string, base: number, count: number, bytes: number) {
  const { metaTable, indexTable } = engine.config;
  const objectKey = `bench/raw/${randomUUID()}`;
  const now = Date.now();
  return [
    {
      ConditionCheck: {
        TableName: metaTable,
        Key: { pk: 'bench#topic', sk: 'raw' },
        ConditionExpression: 'attribute_not_exists(pk) OR topicId = :id',
        ExpressionAttributeValues: { ':id': 'raw' },
      },
    },
    {
      Put: {
        TableName: metaTable,
        Item: {
          pk: `bench#segment#${objectKey}`,
          sk: 'segment',
          topic: 'raw',
          topicId: 'raw',
          bases: { '0': base },
          liveBatches: 1,
          bytes,
          committedAt: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: metaTable,
        Key: { pk: head, sk: 'head' },
        UpdateExpression:
          'SET nextOffset = :next, logStartOffset = if_not_exists(logStartOffset, :zero), lastAppendAt = :now',
        ConditionExpression:
          base === 0 ? 'attribute_not_exists(nextOffset) OR nextOffset = :base' : 'nextOffset = :base',
        ExpressionAttributeValues: { ':next': base + count, ':base': base, ':zero': 0, ':now': now },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    },
    {
      Put: {
        TableName: indexTable,
        Item: {
          pk: head,
          sk: base + count - 1,
          baseOffset: base,
          objectKey,
          byteOffset: 16,
          byteLength: bytes,
          recordCount: count,
          maxTimestamp: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/**
 * One commit attempt at `base`; on a lost race, the head's real next offset (from the
 * cancellation's ALL_OLD image, as the real commit reads it), else undefined.
 */
async function commitOnce(
  engine: Engine,
  head: string,
  base: number,
  count: number,
  bytes: number,
): Promise<number | undefined> {
  try {
    await engine.clients.doc.send(
      new TransactWriteCommand({
        TransactItems: commitItems(engine, head, base, count, bytes),
        ClientRequestToken: randomUUID(),
      }),
    );
    return undefined;
  } catch (err) {
    if (!(err instanceof TransactionCanceledException)) throw err;
    const reasons = err.CancellationReasons ?? [];
    const headReason = reasons[2];
    if (headReason?.Code === 'ConditionalCheckFailed') {
      const current = headReason.Item?.nextOffset as { N?: string } | number | undefined;
      const n = typeof current === 'number' ? current : current?.N;
      if (n !== undefined) return Number(n);
    }
    // A conflict with a concurrent transaction: try again at the same offset.
    if (reasons.some((r) => r.Code === 'TransactionConflict')) return base;
    throw err;
  }
}

export interface PipelineResult {
  mbs: number;
  requestsPerSecond: number;
  cpuMsPerRequest: number;
}

/** PUT `size` bytes then commit 4 items, `n` times on `concurrency` workers (each its own head). */
export async function rawPipeline(
  engine: Engine,
  size: number,
  concurrency: number,
  n: number,
): Promise<PipelineResult> {
  const body = new Uint8Array(size).fill(7);
  const run = randomUUID();
  const heads = Array.from({ length: concurrency }, () => 0);
  const records = Math.max(1, Math.round(size / 1024));
  const { ms, cpuMs } = await measured(() =>
    pool(n, concurrency, async (_i, worker) => {
      await engine.clients.s3.send(
        new PutObjectCommand({ Bucket: engine.config.bucket, Key: `bench/raw/${randomUUID()}`, Body: body }),
      );
      const head = `bench#pipeline#${run}#${worker}`;
      const base = heads[worker] as number;
      const moved = await commitOnce(engine, head, base, records, size);
      if (moved !== undefined) throw new Error(`raw pipeline: head ${head} moved to ${moved}`);
      heads[worker] = base + records;
    }),
  );
  return {
    mbs: (n * size) / MiB / (ms / 1000),
    requestsPerSecond: n / (ms / 1000),
    cpuMsPerRequest: cpuMs / n,
  };
}

/** PUTs `count` objects of `size` bytes at `concurrency`; MB/s and the keys written. */
export async function rawPut(
  engine: Engine,
  size: number,
  concurrency: number,
  count: number,
): Promise<{ mbs: number; keys: string[] }> {
  const body = new Uint8Array(size).fill(7);
  const keys: string[] = [];
  const { ms } = await measured(() =>
    pool(count, concurrency, async () => {
      const key = `bench/raw/${randomUUID()}`;
      await engine.clients.s3.send(
        new PutObjectCommand({ Bucket: engine.config.bucket, Key: key, Body: body }),
      );
      keys.push(key);
    }),
  );
  return { mbs: (count * size) / MiB / (ms / 1000), keys };
}

/** Ranged GETs of `range` bytes spread over `keys` (objects of `objectBytes`), `count` of them. */
export async function rawRangedGet(
  engine: Engine,
  keys: readonly string[],
  objectBytes: number,
  range: number,
  concurrency: number,
  count: number,
): Promise<{ mbs: number; cpuMsPerMiB: number }> {
  const slots = Math.max(1, Math.floor(objectBytes / range));
  const { ms, cpuMs } = await measured(() =>
    pool(count, concurrency, async (i) => {
      const key = keys[i % keys.length] as string;
      const start = (Math.floor(i / keys.length) % slots) * range;
      const res = await engine.clients.s3.send(
        new GetObjectCommand({
          Bucket: engine.config.bucket,
          Key: key,
          Range: `bytes=${start}-${start + range - 1}`,
        }),
      );
      const bytes = await res.Body?.transformToByteArray();
      if (bytes?.byteLength !== range) throw new Error(`raw ranged GET: short read of ${key}`);
    }),
  );
  const mib = (count * range) / MiB;
  return { mbs: mib / (ms / 1000), cpuMsPerMiB: cpuMs / mib };
}

/**
 * `writers` commit 4-item transactions of `records` records to ONE head for `seconds`, each
 * retrying at the head's real offset after a lost race; commits/s and attempts per commit.
 */
export async function rawHotCommits(
  engine: Engine,
  writers: number,
  records: number,
  seconds: number,
): Promise<{ commitsPerSecond: number; attemptsPerCommit: number }> {
  const head = `bench#hot#${randomUUID()}`;
  let known = 0;
  let commits = 0;
  let attempts = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        let base = known;
        for (;;) {
          attempts++;
          const moved = await commitOnce(engine, head, base, records, records * 1024);
          if (moved === undefined) break;
          base = moved;
        }
        known = Math.max(known, base + records);
        commits++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { commitsPerSecond: commits / elapsed, attemptsPerCommit: attempts / commits };
}

/** One stored range, as an index entry points at it. */
export interface RawRange {
  objectKey: string;
  byteOffset: number;
  byteLength: number;
}

/** Ranged GETs of exactly `ranges`, in order, on `concurrency` workers; the wall time. */
export async function rawRangesGet(
  engine: Engine,
  ranges: readonly RawRange[],
  concurrency: number,
): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  const { ms } = await measured(() =>
    pool(ranges.length, concurrency, async (i) => {
      const r = ranges[i] as RawRange;
      const res = await engine.clients.s3.send(
        new GetObjectCommand({
          Bucket: engine.config.bucket,
          Key: r.objectKey,
          Range: `bytes=${r.byteOffset}-${r.byteOffset + r.byteLength - 1}`,
        }),
      );
      const got = await res.Body?.transformToByteArray();
      if (got?.byteLength !== r.byteLength) throw new Error(`raw ranged GET: short read of ${r.objectKey}`);
      bytes += got.byteLength;
    }),
  );
  return { ms, bytes };
}

/** PUTs of one new object per size in `sizes`, on `concurrency` workers; the wall time. */
export async function rawPutsOfSizes(
  engine: Engine,
  sizes: readonly number[],
  concurrency: number,
): Promise<{ ms: number }> {
  const { ms } = await measured(() =>
    pool(sizes.length, concurrency, async (i) => {
      await engine.clients.s3.send(
        new PutObjectCommand({
          Bucket: engine.config.bucket,
          Key: `bench/raw/${randomUUID()}`,
          Body: new Uint8Array(sizes[i] as number).fill(7),
        }),
      );
    }),
  );
  return { ms };
}

/**
 * `count` TransactWriteItems of `items` conditional Puts each (new small index items, so no
 * conflict), on `concurrency` workers; the wall time. DynamoDB Local's cost grows with the items.
 */
export async function rawTransactions(
  engine: Engine,
  count: number,
  items: number,
  concurrency: number,
): Promise<{ ms: number }> {
  const run = randomUUID();
  const { ms } = await measured(() =>
    pool(count, concurrency, async (i) => {
      await engine.clients.doc.send(
        new TransactWriteCommand({
          TransactItems: Array.from({ length: items }, (_, j) => ({
            Put: {
              TableName: engine.config.indexTable,
              Item: { pk: `bench#txn#${run}#${i}`, sk: j, objectKey: 'x', byteOffset: 0, byteLength: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          })),
        }),
      );
    }),
  );
  return { ms };
}
