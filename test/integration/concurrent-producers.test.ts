import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

const PRODUCERS = 8;
const REQUESTS_PER_PRODUCER = 300;

let engine: Engine;
let server: TestServer;

beforeAll(async () => {
  engine = await createTestEngine();
  server = await startTestServer(engine);
});
afterAll(async () => {
  await server?.close();
});

it('8 concurrent producers on one partition: dense offsets, every ack exactly once at its offset, order kept', async () => {
  const http = api(server.url);
  expect((await http.post('/v1/topics', { name: 'contended', partitions: 1 })).status).toBe(201);

  // value -> acknowledged offset
  const acked = new Map<string, number>();
  const producer = async (id: number) => {
    let previous = -1;
    for (let req = 0; req < REQUESTS_PER_PRODUCER; req++) {
      const count = 1 + (req % 3);
      const records = Array.from({ length: count }, (_, i) => ({
        key: `p${id}`,
        value: `p${id}-r${req}-${i}`,
      }));
      let res = await http.post('/v1/topics/contended/records', { records });
      // Eight writers racing for one head: a commit may lose every one of its attempts. That
      // answer is retriable and appended nothing (CONCURRENT_TRANSACTIONS), so a client sends it
      // again, as this one does; what is checked is what got appended.
      for (
        let retry = 0;
        res.status === 503 && res.body?.error?.code === 'CONCURRENT_TRANSACTIONS' && retry < 5;
        retry++
      )
        res = await http.post('/v1/topics/contended/records', { records });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      res.body.offsets.forEach((o: { offset: string }, i: number) => {
        const offset = Number(o.offset);
        // Each producer's records land in the order it sent them.
        expect(offset).toBeGreaterThan(previous);
        previous = offset;
        acked.set(records[i]?.value as string, offset);
      });
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, (_, id) => producer(id)));

  const total = acked.size;
  const seen: { offset: number; value: string }[] = [];
  let offset = 0;
  while (offset < total) {
    const res = await http.get(`/v1/topics/contended/partitions/0/records?offset=${offset}&maxRecords=10000`);
    expect(res.status).toBe(200);
    for (const r of res.body.records) seen.push({ offset: Number(r.offset), value: r.value });
    offset = Number(res.body.nextOffset);
    expect(res.body.highWatermark).toBe(String(total));
  }
  // Dense from 0, nothing extra, nothing missing.
  expect(seen.map((r) => r.offset)).toEqual(Array.from({ length: total }, (_, i) => i));
  // Every acknowledged record exactly once, at its acknowledged offset.
  expect(new Set(seen.map((r) => r.value)).size).toBe(total);
  for (const r of seen) expect(acked.get(r.value)).toBe(r.offset);
}, 300_000);
