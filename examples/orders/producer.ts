/**
 * The orders producer: writes orders keyed by customer id, so that each customer's orders stay
 * in order on one partition. `--rate` orders per second, `--count` in all (0: until Ctrl-C).
 * Each order's state changes (created, paid, shipped, delivered; now and then cancelled, a
 * tombstone) go to the compacted topic `order-states`, keyed by order id: latest-state.ts reads
 * it as a table.
 *
 *   npx tsx examples/orders/producer.ts --rate 50 --count 1000
 */
import { ensureStateTopic, nextStatus, type OrderState, publishState } from './order-states.js';
import { arg, connect, ensureTopic, type Order, onShutdown, TOPIC } from './shared.js';

const rate = Number(arg('rate', '20'));
const count = Number(arg('count', '0'));
const countries = ['DE', 'FR', 'GB', 'NL', 'US', 'JP'];

const strata = connect('orders-producer');
await ensureTopic(strata);
await ensureStateTopic(strata);
const producer = strata.producer();
await producer.connect();

let running = true;
onShutdown(async () => {
  running = false;
  await producer.disconnect();
});

let sent = 0;
/** Orders not delivered or cancelled yet: one of them moves on with each new order. */
const open: OrderState[] = [];
const report = (err: { code?: string; message: string }) =>
  console.error(`send failed: ${err.code ?? ''} ${err.message}`);
const started = Date.now();
while (running && (count === 0 || sent < count)) {
  const customer = Math.floor(Math.random() * 200);
  const order: Order = {
    orderId: `o-${started}-${sent}`,
    customerId: `c-${customer}`,
    country: countries[customer % countries.length] as string,
    // Mostly small orders, now and then a large one for the fraud check to flag.
    amount:
      Math.random() < 0.02 ? 2_000 + Math.round(Math.random() * 8_000) : Math.round(Math.random() * 300),
    items: 1 + Math.floor(Math.random() * 5),
    createdAt: new Date().toISOString(),
  };
  // Not awaited one by one: the producer batches what arrives within its linger time.
  void producer
    .send({
      topic: TOPIC,
      messages: [{ key: order.customerId, value: JSON.stringify(order), headers: { type: 'order.created' } }],
    })
    .catch(report);
  const state: OrderState = {
    orderId: order.orderId,
    customerId: order.customerId,
    status: 'created',
    updatedAt: order.createdAt,
  };
  open.push(state);
  void publishState(producer, state.orderId, state).catch(report);
  // Move one open order on: 3% are cancelled (a tombstone), the rest go to their next status.
  const i = Math.floor(Math.random() * open.length);
  const moving = open[i] as OrderState;
  const status = Math.random() < 0.03 ? undefined : nextStatus(moving.status);
  const changed = status && { ...moving, status, updatedAt: new Date().toISOString() };
  if (changed && status !== 'delivered') open[i] = changed;
  else open.splice(i, 1);
  void publishState(producer, moving.orderId, changed || null).catch(report);
  sent++;
  if (sent % 100 === 0) console.log(`sent ${sent} orders`);
  // Pace to the rate.
  const due = started + (sent * 1000) / rate;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
}
await producer.disconnect();
console.log(`sent ${sent} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`);
