/** What the orders example's scripts share: where Strata is, the topic, and the order shape. */
import { logLevel, Strata } from '../../index.js';

export const TOPIC = 'orders';
export const PARTITIONS = 6;

export interface Order {
  orderId: string;
  customerId: string;
  country: string;
  amount: number;
  items: number;
  createdAt: string;
}

/** These scripts are entry points: they read the endpoint from the environment, as the CLI does. */
export function connect(clientId: string): Strata {
  return new Strata({
    endpoint: process.env.STRATA_ENDPOINT || 'http://localhost:4510',
    clientId,
    logLevel: logLevel.WARN,
  });
}

export async function ensureTopic(strata: Strata): Promise<void> {
  const created = await strata
    .admin()
    .createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  if (created) console.log(`created topic ${TOPIC} with ${PARTITIONS} partitions`);
}

/** `--name value` from argv, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** Runs `stop` once on Ctrl-C (or SIGTERM), then exits. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(130);
    stopping = true;
    stop()
      .catch((err) => console.error(err))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function parseOrder(value: Uint8Array | null): Order | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(value)) as Order;
  } catch {
    return undefined;
  }
}
