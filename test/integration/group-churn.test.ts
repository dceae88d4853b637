/**
 * Group churn over HTTP against the local stack: 6 partitions, a producer writing throughout, and
 * consumers of one group joining, leaving and crashing (a crash cuts the member's network: it
 * stops heartbeating without leaving). Each consumer commits after processing. From the recorded
 * history (each member's own view: it acquires a partition when it starts processing it, and
 * releases it before it reports the release) the test checks:
 *  - at no instant do two members own the same partition;
 *  - every acknowledged record was processed at least once;
 *  - a record is processed again only at a partition that changed owner, and only at or after
 *    the offset last committed before the new owner took it;
 *  - once everyone stops, GET /v1/groups/{group} shows lag 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, logLevel, Strata } from '../../index.js';
import { api, createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

const TOPIC = 'churn';
const GROUP = 'churn-group';
const PARTITIONS = 6;
const SESSION_TIMEOUT = 3_000;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
});
afterAll(async () => {
  await server?.close();
});

// ---- the recorded history ---------------------------------------------------------------------
/** One clock for the whole process: every event gets the next number. */
let clock = 0;
interface Ownership {
  member: string;
  partition: number;
  acquire: number;
  release?: number;
  how?: string;
}
interface Processing {
  member: string;
  partition: number;
  offset: number;
  at: number;
}
interface Commit {
  member: string;
  partition: number;
  /** The next offset to read. */
  offset: number;
  at: number;
}
const ownership: Ownership[] = [];
const processed: Processing[] = [];
const commits: Commit[] = [];
const acked = new Map<number, Set<number>>();

type TpEvent = { payload: { partitions: { topic: string; partition: number }[] } };

class Member {
  readonly consumer: Consumer;
  crashed = false;

  constructor(readonly name: string) {
    // A crash cuts the network: every request fails before it leaves the process.
    const cut: typeof fetch = (input, init) =>
      this.crashed ? Promise.reject(new TypeError(`${name} crashed`)) : fetch(input, init);
    const strata = new Strata({
      endpoint: server.url,
      fetch: cut,
      logLevel: logLevel.NOTHING,
      clientId: name,
    });
    this.consumer = strata.consumer({
      groupId: GROUP,
      sessionTimeout: SESSION_TIMEOUT,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
      retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
    });
    const c = this.consumer;
    c.on(c.events.PARTITIONS_ASSIGNED, (e) => {
      for (const tp of (e as TpEvent).payload.partitions) {
        ownership.push({ member: name, partition: tp.partition, acquire: ++clock });
      }
    });
    const release = (how: string) => (e: unknown) => {
      for (const tp of (e as TpEvent).payload.partitions) {
        const open = ownership.find(
          (o) => o.member === name && o.partition === tp.partition && o.release === undefined,
        );
        if (open) {
          open.release = ++clock;
          open.how = how;
        }
      }
    };
    c.on(c.events.PARTITIONS_REVOKED, release('revoked'));
    c.on(c.events.PARTITIONS_LOST, release('lost'));
    c.on(c.events.COMMIT_OFFSETS, (e) => {
      const payload = e.payload as {
        topics: { topic: string; partitions: { partition: string; offset: string }[] }[];
      };
      for (const t of payload.topics) {
        for (const p of t.partitions) {
          commits.push({
            member: name,
            partition: Number(p.partition),
            offset: Number(p.offset),
            at: ++clock,
          });
        }
      }
    });
  }

  async start(): Promise<void> {
    await this.consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitThreshold: 1,
      eachMessage: async ({ partition, message }) => {
        processed.push({ member: this.name, partition, offset: Number(message.offset), at: ++clock });
        await new Promise((r) => setTimeout(r, 1));
      },
    });
  }

  leave(): Promise<void> {
    return this.consumer.disconnect();
  }

  crash(): void {
    this.crashed = true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('group churn', () => {
  it('keeps one owner per partition, processes every acknowledged record, and ends with no lag', async () => {
    const strata = new Strata({ endpoint: server.url, logLevel: logLevel.NOTHING });
    await strata.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });

    // The producer writes throughout.
    let producing = true;
    let sentBatches = 0;
    const producer = strata.producer({ linger: 5 });
    const writer = (async () => {
      let n = 0;
      while (producing) {
        const messages = Array.from({ length: 12 }, () => ({ key: `k${n % 97}`, value: `v${n++}` }));
        const res = await producer.send({ topic: TOPIC, messages });
        for (const md of res) {
          const set = acked.get(md.partition) ?? new Set<number>();
          for (const o of md.offsets) set.add(Number(o));
          acked.set(md.partition, set);
        }
        sentBatches++;
        await sleep(20);
      }
      await producer.disconnect();
    })();

    const members = new Map<string, Member>();
    const join = async (name: string) => {
      const m = new Member(name);
      members.set(name, m);
      await m.start();
      // The schedule moves on once the newcomer owns something, however slow the machine is.
      const deadline = Date.now() + 60_000;
      while (!ownership.some((o) => o.member === name)) {
        if (Date.now() > deadline) throw new Error(`${name} was never assigned a partition`);
        await sleep(50);
      }
      return m;
    };

    const started = Date.now();
    const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
    await Promise.all([join('m1'), join('m2')]);
    await at(3_000);
    await join('m3');
    await at(6_000);
    await members.get('m1')?.leave();
    await at(8_000);
    await join('m4');
    await at(10_000);
    members.get('m2')?.crash();
    await at(15_000);
    await join('m5');
    await at(18_000);
    members.get('m3')?.crash();
    await at(20_000);
    await join('m6');
    await at(22_000);
    await members.get('m4')?.leave();
    await at(25_000);
    // Not vacuous: enough was written through the churn (on a loaded machine it takes longer).
    while (sentBatches <= 50) await sleep(20);
    producing = false;
    await writer;
    expect(sentBatches).toBeGreaterThan(50);

    // The survivors catch up: every acknowledged record processed, and nothing left to commit.
    const http = api(server.url);
    const allProcessed = () => {
      const seen = new Map<number, Set<number>>();
      for (const p of processed) {
        const set = seen.get(p.partition) ?? new Set<number>();
        set.add(p.offset);
        seen.set(p.partition, set);
      }
      return [...acked].every(([partition, offsets]) =>
        [...offsets].every((o) => seen.get(partition)?.has(o)),
      );
    };
    const deadline = Date.now() + 60_000;
    let lagZero = false;
    while (Date.now() < deadline) {
      if (allProcessed()) {
        const d = await http.get(`/v1/groups/${GROUP}`);
        const offsets = d.body.offsets as { partition: number; lag: string | null }[];
        lagZero = offsets.length === PARTITIONS && offsets.every((o) => o.lag === '0');
        if (lagZero) break;
      }
      await sleep(200);
    }
    expect(allProcessed(), 'every acknowledged record processed').toBe(true);
    expect(lagZero, 'lag 0 on every partition').toBe(true);

    await Promise.all([members.get('m5')?.leave(), members.get('m6')?.leave()]);
    // The crashed ones are stopped too (their leave cannot get through: that is the point).
    await Promise.all([members.get('m2')?.consumer.stop(), members.get('m3')?.consumer.stop()]);

    const final = await http.get(`/v1/groups/${GROUP}`);
    expect(final.status).toBe(200);
    for (const o of final.body.offsets as {
      partition: number;
      committedOffset: string;
      logEndOffset: string;
      lag: string;
    }[]) {
      expect(o.lag, `partition ${o.partition}`).toBe('0');
      expect(o.committedOffset).toBe(o.logEndOffset);
      expect(Number(o.logEndOffset)).toBe(acked.get(o.partition)?.size ?? 0);
    }

    // ---- the history's invariants -----------------------------------------------------------
    // Every interval is closed now.
    for (const o of ownership) expect(o.release, `${o.member} never released ${o.partition}`).toBeDefined();

    // 1. One owner at a time: per partition, each interval starts after the previous one ended.
    for (let p = 0; p < PARTITIONS; p++) {
      const intervals = ownership.filter((o) => o.partition === p).sort((a, b) => a.acquire - b.acquire);
      expect(intervals.length).toBeGreaterThan(0);
      for (let i = 1; i < intervals.length; i++) {
        const prev = intervals[i - 1] as Ownership;
        const next = intervals[i] as Ownership;
        expect(
          next.acquire,
          `partition ${p}: ${next.member} acquired before ${prev.member} released`,
        ).toBeGreaterThan(prev.release as number);
      }
    }
    const intervalOf = (e: Processing) =>
      ownership.find(
        (o) =>
          o.member === e.member &&
          o.partition === e.partition &&
          o.acquire < e.at &&
          e.at < (o.release as number),
      );
    // Each member processed only what it owned (its own view is consistent).
    for (const e of processed)
      expect(intervalOf(e), `${e.member} processed ${e.partition}@${e.offset} unowned`).toBeDefined();

    // 2. At least once: checked above (allProcessed).

    // 3. Reprocessing only after an ownership change, and only from the last commit before it.
    const byRecord = new Map<string, Processing[]>();
    for (const e of processed) {
      const k = `${e.partition}:${e.offset}`;
      byRecord.set(k, [...(byRecord.get(k) ?? []), e]);
    }
    let reprocessed = 0;
    for (const events of byRecord.values()) {
      events.sort((a, b) => a.at - b.at);
      for (let i = 1; i < events.length; i++) {
        reprocessed++;
        const prev = events[i - 1] as Processing;
        const again = events[i] as Processing;
        const prevOwner = intervalOf(prev);
        const owner = intervalOf(again) as Ownership;
        expect(owner, 'reprocessing within an ownership').toBeDefined();
        expect(owner, `partition ${again.partition}@${again.offset} processed twice by one owner`).not.toBe(
          prevOwner,
        );
        const lastCommit = commits
          .filter((c) => c.partition === again.partition && c.at < owner.acquire)
          .sort((a, b) => b.at - a.at)[0];
        expect(
          again.offset,
          `partition ${again.partition}: reprocessed below the last commit`,
        ).toBeGreaterThanOrEqual(lastCommit?.offset ?? 0);
      }
    }

    // The schedule really churned: leaves, crashes (lost partitions) and joins all happened.
    expect(ownership.some((o) => o.how === 'lost')).toBe(true);
    expect(ownership.some((o) => o.how === 'revoked')).toBe(true);
    expect(new Set(ownership.map((o) => o.member)).size).toBe(6);
    console.info(
      `churn: ${processed.length} processings of ${[...acked.values()].reduce((n, s) => n + s.size, 0)} records, ` +
        `${reprocessed} reprocessed, ${ownership.length} ownerships, ${commits.length} commits`,
    );
  }, 180_000);
});
