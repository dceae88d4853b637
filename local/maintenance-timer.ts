import type { Engine } from '../lib/engine/engine.js';
import { type MaintenanceReport, maintenanceOptions, runMaintenance } from '../lib/engine/ops/maintenance.js';

/**
 * The local stand-in for the EventBridge schedule: one maintenance run every `intervalMs`, never
 * two at once. stop() waits for a run in progress, so Ctrl-C never cuts a cleanup in half.
 */
export function startMaintenanceTimer(
  engine: Engine,
  intervalMs: number,
  onReport: (report: MaintenanceReport) => void = () => {},
  onError: (err: unknown) => void = (err) => console.error('maintenance run failed:', err),
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = runMaintenance(engine, maintenanceOptions(engine))
      .then(onReport, onError)
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
