/**
 * Client figures for `npm run bench` (issue 3): the KafkaJS-shaped producer's throughput with
 * default settings, end-to-end latency through a consumer group, and the time a group of 3 takes
 * to rebalance after one member leaves.
 */
import { Strata } from '../lib/client/index.js';

export interface ClientBenchResult {
  producerMBs: number;
  /** The same without idempotence: what the producer ids and sequences cost. */
  plainProducerMBs: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  rebalanceMs: number;
}

const MiB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function clientBenches(url: string, bytesPerRun: number): Promise<ClientBenchResult> {
  const strata = new Strata({ endpoint: url, clientId: 'bench' });
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'bench-client', numPartitions: 8 },
      { topic: 'bench-e2e', numPartitions: 6 },
    ],
  });

  // --- producer with default settings (idempotent), then without idempotence -----------------
  const value = 'x'.repeat(1024);
  const total = Math.round(bytesPerRun / 1024);
  const throughput = async (producer: ReturnType<typeof strata.producer>) => {
    await producer.connect();
    const perSend = 100;
    const started = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += perSend) {
      sends.push(
        producer.send({
          topic: 'bench-client',
          messages: Array.from({ length: perSend }, () => ({ value })),
        }),
      );
    }
    await Promise.all(sends);
    return (total * 1024) / MiB / ((performance.now() - started) / 1000);
  };
  const producer = strata.producer();
  const producerMBs = await throughput(producer);
  const plain = strata.producer({ idempotent: false });
  const plainProducerMBs = await throughput(plain);
  await plain.disconnect();

  // --- end-to-end latency: a group of 3 on 6 partitions ----------------------------------------
  const seenAt = new Map<string, number>();
  const consumers = Array.from({ length: 3 }, () => strata.consumer({ groupId: 'bench-e2e-group' }));
  for (const c of consumers) {
    await c.connect();
    await c.subscribe({ topics: ['bench-e2e'], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        seenAt.set(String(message.value), performance.now());
      },
    });
  }
  await waitFor(async () => (await ownedPartitions(url, 'bench-e2e-group', 3)) === 6, 60_000);
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const id = `e2e-${i}`;
    await producer.send({ topic: 'bench-e2e', messages: [{ key: id, value: id }] });
    const resolved = performance.now();
    await waitFor(async () => seenAt.has(id), 20_000, 1);
    latencies.push((seenAt.get(id) as number) - resolved);
  }
  latencies.sort((a, b) => a - b);

  // --- rebalance: one of 3 leaves; time until the other 2 own all 6 partitions ---------------
  const leaveStarted = performance.now();
  await (consumers[0] as (typeof consumers)[0]).disconnect();
  await waitFor(async () => (await ownedPartitions(url, 'bench-e2e-group', 2)) === 6, 60_000, 5);
  const rebalanceMs = performance.now() - leaveStarted;

  for (const c of consumers.slice(1)) await c.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  return {
    producerMBs,
    plainProducerMBs,
    e2eP50Ms: percentile(latencies, 50),
    e2eP99Ms: percentile(latencies, 99),
    rebalanceMs,
  };
}

/** Partitions owned by exactly `members` stable members (none still revoking), per the group's describe. */
async function ownedPartitions(url: string, group: string, members: number): Promise<number> {
  const res = await fetch(`${url}/v1/groups/${group}`);
  if (!res.ok) return 0;
  const body = (await res.json()) as {
    members: { assignment: { partitions: number[] }[]; revoking?: unknown[] }[];
  };
  if (body.members.length !== members) return 0;
  if (body.members.some((m) => Array.isArray(m.revoking) && m.revoking.length > 0)) return 0;
  return body.members.reduce((n, m) => n + m.assignment.reduce((k, a) => k + a.partitions.length, 0), 0);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('bench: timed out waiting');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
