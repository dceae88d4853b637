/**
 * "Latest order state per order id": every change of an order's state is a record on the
 * compacted topic `order-states`, keyed by order id (created, paid, shipped, delivered; a
 * cancelled order is a tombstone). Compaction keeps the last record of each order, so reading the
 * topic from the start rebuilds the current state of every order; strata.table() does exactly
 * that and then keeps the map current.
 */
import type { Producer, Strata, TableView } from '../../index.js';

export const STATE_TOPIC = 'order-states';
export const STATE_PARTITIONS = 6;

export const STATUSES = ['created', 'paid', 'shipped', 'delivered'] as const;
export type OrderStatus = (typeof STATUSES)[number];

export interface OrderState {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  updatedAt: string;
}

/** The state topic, compacted: it holds at least the latest state of every order. */
export async function ensureStateTopic(strata: Strata): Promise<void> {
  const created = await strata.admin().createTopics({
    topics: [
      {
        topic: STATE_TOPIC,
        numPartitions: STATE_PARTITIONS,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  if (created) console.log(`created compacted topic ${STATE_TOPIC} with ${STATE_PARTITIONS} partitions`);
}

/** The status after `status`, or undefined once delivered. */
export function nextStatus(status: OrderStatus): OrderStatus | undefined {
  return STATUSES[STATUSES.indexOf(status) + 1];
}

/** One state change; `null` cancels the order (a tombstone: compaction forgets it). */
export function publishState(
  producer: Producer,
  orderId: string,
  state: OrderState | null,
): Promise<unknown> {
  return producer.send({
    topic: STATE_TOPIC,
    messages: [{ key: orderId, value: state === null ? null : JSON.stringify(state) }],
  });
}

/** The table of latest states: order id to OrderState. `await table.ready()` before reading it. */
export function orderStateTable(strata: Strata, maxWaitTimeInMs?: number): TableView<OrderState> {
  return strata.table<OrderState>({
    topic: STATE_TOPIC,
    valueDecoder: (value) => JSON.parse(new TextDecoder().decode(value)) as OrderState,
    ...(maxWaitTimeInMs === undefined ? {} : { maxWaitTimeInMs }),
  });
}

/** How many orders are in each status now. */
export function countByStatus(table: TableView<OrderState>): Record<OrderStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
  for (const state of table.values()) counts[state.status]++;
  return counts;
}
