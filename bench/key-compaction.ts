/**
 * Compaction by key, CPU only (issue 14): the pure part of a pass (key map over the dirty range,
 * then the rewrite of every batch) over N keys x K updates, one batch of N records per update
 * round, 5% of the keys deleted in the last round. Prints MB/s of stored bytes read, and the bytes
 * and records left. The storage round trips (GETs, PUTs, the swap transactions) are not in it.
 * Run with `npx tsx bench/key-compaction.ts [N] [K] [codec]` (codec: 0 none, 1 gzip, 3 lz4...).
 */
import { decodeBatches, encodeBatch } from '../lib/engine/codec/record-batch.js';
import {
  addToKeyMap,
  KEY_COMPACTION_DEFAULTS,
  keepRecord,
  rewriteRanges,
  type StoredRange,
} from '../lib/engine/key-compaction.js';

const N = Number(process.argv[2] ?? 1000);
const K = Number(process.argv[3] ?? 100);
const codec = Number(process.argv[4] ?? 0);
const enc = new TextEncoder();
const now = Date.now();

const ranges: StoredRange[] = [];
let offset = 0;
for (let u = 0; u < K; u++) {
  const last = u === K - 1;
  const records = Array.from({ length: N }, (_, i) => ({
    key: enc.encode(`customer-${i}`),
    value:
      last && i % 20 === 0
        ? null
        : enc.encode(JSON.stringify({ id: i, version: u, address: `${u} Main St` })),
    headers: [],
    timestamp: now - 1000,
  }));
  ranges.push({ baseOffset: offset, bytes: encodeBatch(records, codec).bytes });
  offset += N;
}
const before = ranges.reduce((n, r) => n + r.bytes.length, 0);

const started = performance.now();
const latest = new Map<string, number>();
for (const r of ranges) addToKeyMap(latest, decodeBatches(r.bytes, r.baseOffset));
const policy = { now, config: KEY_COMPACTION_DEFAULTS, cleanedUpTo: 0, latest };
let after = 0;
let kept = 0;
for (let i = 0; i < ranges.length; i += 30) {
  const out = rewriteRanges(ranges.slice(i, i + 30), (rec) => keepRecord(rec, policy));
  after += out.bytes.length;
  kept += out.recordCount;
}
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    keys: N,
    updates: K,
    codec,
    recordsBefore: N * K,
    recordsAfter: kept,
    bytesBefore: before,
    bytesAfter: after,
    storageLeftPct: Number(((100 * after) / before).toFixed(2)),
    mbPerSecond: Number((before / 1e6 / seconds).toFixed(1)),
  }),
);
