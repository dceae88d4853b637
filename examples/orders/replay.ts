/**
 * Replay the last N minutes for a new consumer group: find, per partition, the first offset at or
 * after now - N minutes (admin.fetchTopicOffsetsByTimestamp), commit those as the group's offsets
 * (admin.setOffsets, allowed while the group has no members), then read from there to the end and
 * exit. The same with the CLI:
 *
 *   strata group reset replay-1 --topic orders --by-duration 15m --execute
 *   strata consume orders -g replay-1 -e
 *
 *   npx tsx examples/orders/replay.ts --minutes 15 --group replay-1
 */
import { arg, connect, parseOrder, TOPIC } from './shared.js';

const minutes = Number(arg('minutes', '15'));
const groupId = arg('group', `replay-${Date.now()}`);
const since = Date.now() - minutes * 60_000;

const strata = connect('replay');
const admin = strata.admin();
const starts = await admin.fetchTopicOffsetsByTimestamp(TOPIC, since);
await admin.setOffsets({ groupId, topic: TOPIC, partitions: starts });
const ends = await admin.fetchTopicOffsets(TOPIC);
const toRead = ends.reduce(
  (n, e) => n + Number(e.high) - Number(starts.find((s) => s.partition === e.partition)?.offset ?? e.high),
  0,
);
console.log(`group ${groupId}: replaying ${toRead} orders since ${new Date(since).toISOString()}`);

const consumer = strata.consumer({ groupId, maxWaitTimeInMs: 500 });
const atEnd = new Set<number>();
let owned = 0;
let total = 0;
let amount = 0;
const done = new Promise<void>((resolve) => {
  consumer.on(consumer.events.PARTITIONS_ASSIGNED, (e) => {
    owned += (e.payload as { partitions: unknown[] }).partitions.length;
  });
  consumer.on(consumer.events.END_OF_PARTITION, (e) => {
    atEnd.add((e.payload as { partition: number }).partition);
    if (owned > 0 && atEnd.size >= owned) resolve();
  });
});
await consumer.subscribe({ topics: [TOPIC] });
await consumer.run({
  eachMessage: async ({ message }) => {
    const order = parseOrder(message.value);
    if (!order) return;
    total++;
    amount += order.amount;
  },
});
await done;
await consumer.disconnect();
console.log(`replayed ${total} orders worth ${amount} from the last ${minutes} minutes`);
