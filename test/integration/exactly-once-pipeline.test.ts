import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { ambiguousNext } from '../support/faults.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

/**
 * A consume-transform-produce pipeline killed at random points. Each incarnation joins the group,
 * takes the producer's transactionalId (fencing the last one), resumes from the committed offsets,
 * and writes each output batch together with the input offsets it consumed, in one commit.
 */
const INPUT = 120;
const SESSION_MS = 5_000;

let engine: Engine;
let server: TestServer;
let http: ReturnType<typeof api>;
let clockShift = 0;

beforeAll(async () => {
  engine = await createTestEngine();
  engine.now = () => Date.now() + clockShift;
  server = await startTestServer(engine);
  http = api(server.url);
});
afterAll(async () => {
  await server?.close();
});

class Crash extends Error {}

/** A seeded generator, so a failure replays. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

async function setup(prefix: string) {
  for (const name of [`${prefix}-in`, `${prefix}-out`]) {
    expect((await http.post('/v1/topics', { name, partitions: 2 })).status).toBe(201);
  }
  const records = Array.from({ length: INPUT }, (_, i) => ({ value: `order-${i}`, partition: i % 2 }));
  expect((await http.post(`/v1/topics/${prefix}-in/records`, { records })).status).toBe(200);
}

/** One transformer incarnation; throws Crash at the points `crashAt` picks. */
async function transformer(
  prefix: string,
  group: string,
  atomic: boolean,
  crashAt: (point: 'before-produce' | 'lost-response' | 'between-produce-and-commit') => boolean,
) {
  // Whoever crashed before is gone once its session has timed out.
  clockShift += SESSION_MS + 1;
  let member = await http.post(`/v1/groups/${group}/heartbeat`, {
    memberEpoch: 0,
    topics: [`${prefix}-in`],
    sessionTimeoutMs: SESSION_MS,
  });
  expect(member.status, JSON.stringify(member.body)).toBe(200);
  for (let i = 0; i < 20 && member.body.assignment.length === 0; i++) {
    member = await http.post(`/v1/groups/${group}/heartbeat`, {
      memberId: member.body.memberId,
      memberEpoch: member.body.memberEpoch,
      ownedPartitions: [],
    });
  }
  const { memberId, memberEpoch } = member.body;
  const owned: number[] = member.body.assignment[0].partitions;
  await http.post(`/v1/groups/${group}/heartbeat`, {
    memberId,
    memberEpoch,
    ownedPartitions: [{ topic: `${prefix}-in`, partitions: owned }],
  });
  const producer = (await http.post('/v1/producers', { transactionalId: `${group}-transformer` })).body;
  const committed = (await http.get(`/v1/groups/${group}/offsets`)).body.offsets as {
    partition: number;
    offset: string;
  }[];
  const position = new Map(
    owned.map((p) => [p, Number(committed.find((c) => c.partition === p)?.offset ?? 0)]),
  );
  const sequence = new Map<number, number>();

  for (;;) {
    let progressed = false;
    for (const p of owned) {
      const fetched = await http.get(
        `/v1/topics/${prefix}-in/partitions/${p}/records?offset=${position.get(p)}&maxRecords=7`,
      );
      const records = fetched.body.records as { offset: string; value: string }[];
      if (records.length === 0) continue;
      progressed = true;
      const next = Number(fetched.body.nextOffset);
      const seq = sequence.get(p) ?? 0;
      if (crashAt('before-produce')) throw new Crash();
      const offsets = [{ topic: `${prefix}-in`, partition: p, offset: String(next) }];
      const res = await http.post(`/v1/topics/${prefix}-out/records`, {
        records: records.map((r) => ({ value: r.value.toUpperCase(), partition: p })),
        producer: { ...producer, sequences: [{ partition: p, baseSequence: seq }] },
        ...(atomic ? { groupCommit: { groupId: group, memberId, memberEpoch, offsets } } : {}),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (crashAt('lost-response')) throw new Crash();
      if (!atomic) {
        if (crashAt('between-produce-and-commit')) throw new Crash();
        const commit = await http.post(`/v1/groups/${group}/offsets`, { memberId, memberEpoch, offsets });
        expect(commit.status, JSON.stringify(commit.body)).toBe(200);
      }
      sequence.set(p, seq + records.length);
      position.set(p, next);
    }
    if (!progressed) return;
  }
}

async function runPipeline(prefix: string, atomic: boolean, seed: number) {
  await setup(prefix);
  const rnd = random(seed);
  let crashes = 0;
  // Lost responses inside the server, on produce commits (the ones that write index entries).
  const server = ambiguousNext(engine.clients.dynamodb, 'TransactWriteItems', {
    times: 3,
    when: (input) =>
      (input.TransactItems as { Put?: { TableName?: string } }[]).some(
        (a) => a.Put?.TableName === engine.config.indexTable,
      ),
  });
  for (let incarnation = 0; incarnation < 60; incarnation++) {
    try {
      await transformer(prefix, `${prefix}-group`, atomic, () => rnd() < 0.12);
      break;
    } catch (err) {
      if (!(err instanceof Crash)) throw err;
      crashes++;
    }
  }
  server.remove();
  const out: string[] = [];
  for (const p of [0, 1]) {
    const res = await http.get(`/v1/topics/${prefix}-out/partitions/${p}/records?offset=0&maxRecords=10000`);
    out.push(...res.body.records.map((r: { value: string }) => r.value));
  }
  return { out, crashes };
}

describe('exactly-once consume, transform, produce', () => {
  it("holds each input record's result exactly once in the output, across random crashes", async () => {
    const { out, crashes } = await runPipeline('eos', true, 7);
    expect(crashes).toBeGreaterThan(3);
    expect(out.length).toBe(INPUT);
    expect(new Set(out)).toEqual(new Set(Array.from({ length: INPUT }, (_, i) => `ORDER-${i}`)));
  }, 120_000);

  it('control: committing offsets separately from the output duplicates under the same crashes', async () => {
    const { out, crashes } = await runPipeline('split', false, 7);
    expect(crashes).toBeGreaterThan(3);
    expect(new Set(out).size).toBe(INPUT);
    expect(out.length).toBeGreaterThan(INPUT);
  }, 120_000);
});
