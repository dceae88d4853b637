/**
 * A CPU profile of the HTTP produce path (issue 12): the local stack in this process (DynamoDB
 * Local is Java, in its own process, so it is not in the profile; s3rver is), then HTTP produce
 * of 1 MiB requests (1,024 records of 1 KiB) for STRATA_PROFILE_SECONDS (default 10) with
 * STRATA_PROFILE_CONCURRENCY (default 1) in flight, as JSON or, with STRATA_PROFILE_PATH=binary,
 * as one RecordBatch per request over the binary data path (the client's default). It writes the produce loop's window to
 * STRATA_PROFILE_WINDOW (default /tmp/strata-prof/window.json), so that the summary leaves out
 * the start (module loading, waiting for DynamoDB Local). Run it under --cpu-prof:
 *
 *   npm run bench:profile
 *   # = node --import tsx --cpu-prof --cpu-prof-dir=/tmp/strata-prof bench/profile-produce.ts
 *   #   && tsx bench/cpuprofile-summary.ts /tmp/strata-prof
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RECORD_BATCH_CONTENT_TYPE } from '../lib/contract/index.js';
import { startLocalStack } from '../local/stack.js';
import { encodedBatch } from './binary.js';

const SECONDS = Number(process.env.STRATA_PROFILE_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.STRATA_PROFILE_CONCURRENCY ?? 1);
const BINARY = process.env.STRATA_PROFILE_PATH === 'binary';
/** Where the measured window is written (monotonic µs, the profile's clock), for the summariser. */
const WINDOW_FILE = process.env.STRATA_PROFILE_WINDOW ?? '/tmp/strata-prof/window.json';

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function main() {
  const stack = await startLocalStack({ port: 0, kafka: false });
  try {
    const topic = 'profile-produce';
    const created = await fetch(`${stack.url}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: topic,
        partitions: 8,
        config: { 'max.message.bytes': String(2 * 1024 * 1024) },
      }),
    });
    if (!created.ok && created.status !== 409) throw new Error(`create topic: ${created.status}`);
    const value = 'x'.repeat(1024);
    const body = BINARY
      ? encodedBatch(1024 * 1024, 1024)
      : JSON.stringify({ records: Array.from({ length: 1024 }, () => ({ value })) });
    const path = BINARY ? `/v1/topics/${topic}/partitions/0/batches` : `/v1/topics/${topic}/records`;
    const contentType = BINARY ? RECORD_BATCH_CONTENT_TYPE : 'application/json';
    let requests = 0;
    const startUs = monotonicUs();
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const res = await fetch(`${stack.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': contentType },
            body: body as BodyInit,
          });
          const text = await res.text();
          if (!res.ok) throw new Error(`produce: ${res.status} ${text.slice(0, 200)}`);
          requests++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    mkdirSync(dirname(WINDOW_FILE), { recursive: true });
    writeFileSync(
      WINDOW_FILE,
      JSON.stringify({ startUs, endUs: monotonicUs(), requests, concurrency: CONCURRENCY }),
    );
    console.log(
      `${requests} produce requests of 1 MiB in ${seconds.toFixed(1)} s: ${(requests / seconds).toFixed(1)} MB/s`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
