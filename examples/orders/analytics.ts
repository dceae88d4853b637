/**
 * Analytics: consumer group "analytics", reading the same topic as fraud, independently and at
 * its own pace (its own committed offsets). Prints revenue per country every 10 seconds, using
 * eachBatch to aggregate a batch at a time.
 *
 *   npx tsx examples/orders/analytics.ts
 */
import { connect, onShutdown, parseOrder, TOPIC } from './shared.js';

const revenue = new Map<string, { orders: number; amount: number }>();

const strata = connect('analytics');
const consumer = strata.consumer({ groupId: 'analytics' });
const report = setInterval(() => {
  const rows = [...revenue].sort((a, b) => b[1].amount - a[1].amount);
  console.log(
    `revenue: ${rows.map(([country, r]) => `${country} ${r.amount} (${r.orders})`).join(', ') || 'none yet'}`,
  );
}, 10_000);
onShutdown(async () => {
  clearInterval(report);
  await consumer.disconnect();
});

await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    for (const message of batch.messages) {
      const order = parseOrder(message.value);
      if (order) {
        const r = revenue.get(order.country) ?? { orders: 0, amount: 0 };
        r.orders++;
        r.amount += order.amount;
        revenue.set(order.country, r);
      }
      resolveOffset(message.offset);
    }
    await heartbeat();
  },
});
