/**
 * The fraud check: consumer group "fraud". Flags large orders, and customers placing many orders
 * within a minute. Run several copies: the group spreads the partitions over them, and a
 * customer's orders always reach the same copy (they share a partition).
 *
 *   npx tsx examples/orders/fraud.ts
 */
import { connect, onShutdown, parseOrder, TOPIC } from './shared.js';

const LARGE = 1_000;
const BURST = 5;
const recent = new Map<string, number[]>();

const strata = connect('fraud');
const consumer = strata.consumer({ groupId: 'fraud' });
onShutdown(() => consumer.disconnect());
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const { memberAssignment } = e.payload as { memberAssignment: Record<string, number[]> };
  console.log(`fraud: now reading partitions ${JSON.stringify(memberAssignment[TOPIC] ?? [])}`);
});

await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    const order = parseOrder(message.value);
    if (!order) return;
    if (order.amount >= LARGE) {
      console.log(
        `ALERT large order ${order.orderId}: ${order.amount} by ${order.customerId} (p${partition}@${message.offset})`,
      );
    }
    const now = Date.parse(order.createdAt);
    const times = (recent.get(order.customerId) ?? []).filter((t) => now - t < 60_000);
    times.push(now);
    recent.set(order.customerId, times);
    if (times.length === BURST)
      console.log(`ALERT ${order.customerId} placed ${BURST} orders within a minute`);
  },
});
