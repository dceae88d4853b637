/**
 * Compaction by key on the emulators (issue 14, "6. Bench"): a compacted topic of N keys x K
 * updates is produced over HTTP, one request of N records per update round, with tombstones mixed
 * in; then one forced pass (compactTopicByKey) runs over its storage from a cold segment cache. The
 * pass's MB/s is of the stored bytes it read (the index entries' ranges below the high watermark).
 * Its raw baseline replays the pass's physical work on the emulators with no Strata code: ranged
 * GETs of the same ranges, PUTs of objects of the sizes it wrote, and as many transactions with as
 * many items as its swaps, one at a time like the pass. bench/key-compaction.ts is the CPU-only part.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { allIndexEntries, type Engine } from '../lib/engine/index.js';
import { compactTopicByKey, KEY_COMPACTION_OPTIONS } from '../lib/engine/ops/key-compaction.js';
import type { IndexEntry, Topic } from '../lib/engine/types.js';
import { measured, rawPutsOfSizes, rawRangesGet, rawTransactions } from './raw.js';
import type { CapacityCounter, RequestCounter } from './request-counter.js';

export interface KeyCompactionOpts {
  keys: number;
  updates: number;
  valueBytes: number;
  partitions: number;
}

/** Stored bytes (the index entries' ranges), records and index entries of a topic. */
export interface Stored {
  bytes: number;
  records: number;
  entries: number;
}

export interface KeyCompactionBench {
  topic: string;
  tombstones: number;
  produceMs: number;
  before: Stored;
  after: Stored;
  /** Records left after a second forced pass, which drops the tombstones (delete.retention.ms=0). */
  recordsAfterSecondPass: number;
  passMs: number;
  /** What the first pass sent, counted by the stack's request counters. */
  gets: number;
  puts: number;
  txns: number;
  txnItems: number;
  ddbReads: number;
  /** Bytes of the objects the first pass wrote. */
  bytesWritten: number;
  /** The raw replay, ms: ranged GETs of the same ranges, PUTs of the same sizes, the transactions. */
  rawGetMs: number;
  rawPutMs: number;
  rawTxnMs: number;
  /** Read from offset 0 over HTTP after the pass: records, and keys whose latest value is wrong. */
  readFromZero: number;
  wrongLatest: number;
}

/** The latest value of key `k` after `updates` rounds: every 20th key is deleted in the last round. */
function updateValue(k: number, u: number, valueBytes: number, updates: number): string | null {
  if (u === updates - 1 && k % 20 === 0) return null;
  // Tombstones mixed in earlier too, each overwritten by a later update of its key.
  if (u < updates - 1 && (k * 7 + u) % 100 === 0) return null;
  const head = JSON.stringify({ id: k, version: u, address: `${u} Main St` });
  return head + ' '.repeat(Math.max(0, valueBytes - head.length));
}

async function stored(engine: Engine, topic: Topic): Promise<{ total: Stored; entries: IndexEntry[] }> {
  const entries: IndexEntry[] = [];
  for (let p = 0; p < topic.partitions; p++) {
    const head = await engine.metadata.getHead(topic, p);
    const all = await allIndexEntries(engine, topic, p);
    entries.push(...all.filter((e) => e.lastOffset >= head.logStartOffset && e.baseOffset < head.nextOffset));
  }
  return {
    entries,
    total: {
      bytes: entries.reduce((n, e) => n + e.byteLength, 0),
      records: entries.reduce((n, e) => n + e.recordCount, 0),
      entries: entries.length,
    },
  };
}

/** Every record of every partition from offset 0 over HTTP: the count, and the last value per key. */
export async function readFromZero(url: string, topic: string, partitions: number) {
  let records = 0;
  const latest = new Map<string, string | null>();
  for (let p = 0; p < partitions; p++) {
    let offset = '0';
    for (;;) {
      const res = await fetch(
        `${url}/v1/topics/${topic}/partitions/${p}/records?offset=${offset}&maxRecords=10000`,
      );
      if (!res.ok) throw new Error(`read ${topic}/${p}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as {
        records: { key: string; value: string | null }[];
        nextOffset: string;
        highWatermark: string;
      };
      for (const r of body.records) {
        records++;
        latest.set(r.key, r.value);
      }
      if (body.records.length === 0 || BigInt(body.nextOffset) >= BigInt(body.highWatermark)) break;
      offset = body.nextOffset;
    }
  }
  return { records, latest };
}

export async function benchKeyCompaction(
  engine: Engine,
  url: string,
  opts: KeyCompactionOpts,
  counters: { s3: RequestCounter; ddb: RequestCounter; capacity: CapacityCounter },
): Promise<KeyCompactionBench> {
  const { keys, updates, valueBytes, partitions } = opts;
  const name = `bench-compact-${keys}x${updates}`;
  const created = await fetch(`${url}/v1/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      partitions,
      config: { 'cleanup.policy': 'compact', 'delete.retention.ms': 0 },
    }),
  });
  if (!created.ok) throw new Error(`create ${name}: ${created.status} ${await created.text()}`);

  let tombstones = 0;
  const { ms: produceMs } = await measured(async () => {
    for (let u = 0; u < updates; u++) {
      const records = Array.from({ length: keys }, (_, k) => {
        const value = updateValue(k, u, valueBytes, updates);
        if (value === null) tombstones++;
        return { key: `customer-${k}`, value };
      });
      const res = await fetch(`${url}/v1/topics/${name}/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ records }),
      });
      if (!res.ok) throw new Error(`produce ${name}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  });

  const topic = await engine.metadata.getTopic(name);
  const before = await stored(engine, topic);
  const options = { ...KEY_COMPACTION_OPTIONS, force: true };

  // The pass, from a cold segment cache, counted.
  engine.segments.cache.clear();
  counters.s3.reset();
  counters.ddb.reset();
  counters.capacity.reset();
  const { ms: passMs, result: pass } = await measured(() => compactTopicByKey(engine, topic, options));
  const s3 = counters.s3.byCommand;
  const ddb = counters.ddb.byCommand;
  const gets = s3.GetObject ?? 0;
  const puts = s3.PutObject ?? 0;
  const txns = ddb.TransactWriteItems ?? 0;
  const txnItems = counters.capacity.transactItems;
  const ddbReads = (ddb.GetItem ?? 0) + (ddb.Query ?? 0) + (ddb.BatchGetItem ?? 0);
  if (pass.some((r) => r.runsLost > 0)) throw new Error(`${name}: a run of the pass lost its swap`);

  const after = await stored(engine, topic);
  const written = [...new Set(after.entries.map((e) => e.objectKey))];
  const sizes = await Promise.all(
    written.map(async (key) => {
      const head = await engine.clients.s3.send(
        new HeadObjectCommand({ Bucket: engine.config.bucket, Key: key }),
      );
      return head.ContentLength ?? 0;
    }),
  );

  // The raw replay of the same physical work, one request at a time as the pass sends them.
  const rawGet = await rawRangesGet(engine, before.entries, 1);
  const rawPut = await rawPutsOfSizes(engine, sizes, 1);
  const rawTxn = txns > 0 ? await rawTransactions(engine, txns, Math.round(txnItems / txns), 1) : { ms: 0 };

  const read = await readFromZero(url, name, partitions);
  let wrongLatest = keys - read.latest.size;
  for (const [key, value] of read.latest) {
    const k = Number(key.slice('customer-'.length));
    if (value !== updateValue(k, updates - 1, valueBytes, updates)) wrongLatest++;
  }

  // A second pass: the tombstones are in the clean section now, past delete.retention.ms (0).
  await compactTopicByKey(engine, topic, options);
  const second = await stored(engine, topic);

  return {
    topic: name,
    tombstones,
    produceMs,
    before: before.total,
    after: after.total,
    recordsAfterSecondPass: second.total.records,
    passMs,
    gets,
    puts,
    txns,
    txnItems,
    ddbReads,
    bytesWritten: sizes.reduce((n, s) => n + s, 0),
    rawGetMs: rawGet.ms,
    rawPutMs: rawPut.ms,
    rawTxnMs: rawTxn.ms,
    readFromZero: read.records,
    wrongLatest,
  };
}
