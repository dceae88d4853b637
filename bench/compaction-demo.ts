/**
 * `npx tsx bench/compaction-demo.ts`: issue 14's demonstration on the local stack (in process).
 * A compacted topic of 1,000 keys x 100 updates (the last update of every 20th key a tombstone)
 * is produced over HTTP, read from offset 0, compacted by one maintenance run, read from 0 again
 * over HTTP (every key's latest value checked), and printed with `strata consume --table`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { maintenanceOptions, runMaintenance } from '../lib/engine/index.js';
import { startLocalStack } from '../local/stack.js';
import { readFromZero } from './key-compaction-pass.js';

const KEYS = 1000;
const UPDATES = 100;
const stack = await startLocalStack({ port: 0, kafka: false, console: false });
const { url, engine } = stack;
const post = async (path: string, body: unknown) => {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
};
await post('/v1/topics', {
  name: 'demo-states',
  partitions: 4,
  config: { 'cleanup.policy': 'compact', 'delete.retention.ms': 0 },
});
let tombstones = 0;
const deleted = new Set<number>();
for (let u = 0; u < UPDATES; u++) {
  const records = [];
  for (let k = 0; k < KEYS; k++) {
    // every 20th key is deleted at its last update; before that it lives
    const tomb = u === UPDATES - 1 && k % 20 === 0;
    if (tomb) {
      tombstones++;
      deleted.add(k);
    }
    records.push({ key: `order-${k}`, value: tomb ? null : JSON.stringify({ order: k, update: u }) });
  }
  await post('/v1/topics/demo-states/records', { records });
}
const count = async () => {
  const { records, latest } = await readFromZero(url, 'demo-states', 4);
  return { n: records, latest };
};
const before = await count();
const t0 = performance.now();
const report = await runMaintenance(engine, maintenanceOptions(engine));
const ms = performance.now() - t0;
const after = await count();
const wrong = [...after.latest].filter(([k, v]) => {
  const id = Number(k.slice(6));
  return deleted.has(id) ? v !== null : v !== JSON.stringify({ order: id, update: UPDATES - 1 });
}).length;
console.log(`produced ${KEYS * UPDATES} records (${tombstones} tombstones); read from 0 before: ${before.n}`);
console.log(
  `maintenance: ${report.partitionsCleanedByKey} partitions cleaned by key, ${report.recordsRemovedByKey} records removed, ${ms.toFixed(0)} ms`,
);
console.log(
  `read from 0 after over HTTP: ${after.n} records, ${after.latest.size} keys, latest value wrong for ${wrong}`,
);
const { stdout: table } = await promisify(execFile)(
  process.execPath,
  ['bin/strata.js', 'consume', 'demo-states', '--table'],
  { env: { ...process.env, STRATA_ENDPOINT: url }, encoding: 'utf8', maxBuffer: 1 << 26 },
);
const lines = table.trim().split('\n');
console.log(
  `strata consume demo-states --table: ${lines.length} lines; first: ${lines[0]}; last: ${lines.at(-1)}`,
);
await stack.stop();
