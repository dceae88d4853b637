/**
 * The latest state of every order, kept current: strata.table() over the compacted
 * `order-states` topic (which producer.ts writes). It reads the topic from the start to its end,
 * prints the counts per status, then prints each change as it arrives until Ctrl-C.
 *
 *   npx tsx examples/orders/latest-state.ts
 *   npx tsx examples/orders/latest-state.ts --order o-1733540000000-42    # one order, then exit
 *
 * The CLI prints the same table once: `npx strata consume order-states --table`.
 */
import { TABLE_EVENTS, type TableUpdate } from '../../index.js';
import { countByStatus, ensureStateTopic, type OrderState, orderStateTable } from './order-states.js';
import { arg, connect, onShutdown } from './shared.js';

const orderId = arg('order', '');
const strata = connect('latest-state');
await ensureStateTopic(strata);
const table = orderStateTable(strata);
const started = Date.now();
await table.ready();
console.log(`${table.size} open orders, read in ${Date.now() - started} ms:`, countByStatus(table));

if (orderId !== '') {
  const state = table.get(orderId);
  console.log(
    state ? `${orderId}: ${state.status} (since ${state.updatedAt})` : `${orderId}: no such open order`,
  );
  await table.stop();
} else {
  table.on<TableUpdate<OrderState>>(TABLE_EVENTS.UPDATE, ({ payload: u }) => {
    const from = u.previous?.status ?? 'new';
    console.log(`${u.key}: ${from} -> ${u.deleted ? 'cancelled' : u.value?.status}`);
  });
  onShutdown(() => table.stop());
}
