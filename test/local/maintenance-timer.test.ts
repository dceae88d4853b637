import { expect, it, vi } from 'vitest';
import { produce } from '../../lib/engine/ops/produce.js';
import { createTopic, describeTopic } from '../../lib/engine/ops/topics.js';
import { startMaintenanceTimer } from '../../local/maintenance-timer.js';
import { createTestEngine } from '../support/stack.js';

it('runs retention on a timer in the local stack, one run at a time, and stops cleanly', async () => {
  const engine = await createTestEngine();
  await createTopic(engine, { name: 'short-lived', partitions: 1, config: { 'retention.ms': 1000 } });
  const old = Date.now() - 10_000;
  await produce(engine, 'short-lived', [
    { key: null, value: new Uint8Array([1]), headers: [], timestamp: old },
  ]);
  const reports: number[] = [];
  const timer = startMaintenanceTimer(engine, 50, (r) => reports.push(r.partitionsTrimmed));
  await vi.waitFor(
    async () => {
      const { heads } = await describeTopic(engine, 'short-lived');
      expect(heads[0]?.logStartOffset).toBe(1);
    },
    { timeout: 10_000, interval: 100 },
  );
  await timer.stop();
  const runs = reports.length;
  await new Promise((r) => setTimeout(r, 200));
  expect(reports.length).toBe(runs);
  expect(reports).toContain(1);
});
