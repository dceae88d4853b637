/**
 * One real Kafka client end to end (issue 12): kafkajs 2.2.4 producing 1 KiB messages through the
 * gateway in sends of many messages (acks=-1, its default partitioner spreading them over the
 * topic's partitions), then a kafkajs group consumer reading them all back.
 */
import { Kafka, logLevel } from 'kafkajs';
import { createTopic, type Engine } from '../lib/engine/index.js';

const MiB = 1024 * 1024;

export interface KafkajsResult {
  producerMBs: number;
  /** From the consumer's group join to its last batch (the join itself is not counted). */
  consumerMBs: number;
  /** The consumer's group join (connect to joined), which the gateway delays by design. */
  consumerJoinMs: number;
  messages: number;
}

export async function benchKafkajs(
  engine: Engine,
  bootstrap: string,
  opts: { totalBytes: number; messageBytes: number; perSend: number; inFlight: number; partitions: number },
): Promise<KafkajsResult> {
  const topic = 'bench-kafkajs';
  await createTopic(engine, { name: topic, partitions: opts.partitions });
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const value = Buffer.alloc(opts.messageBytes, 107);
  const sends = Math.max(4, Math.round(opts.totalBytes / (opts.messageBytes * opts.perSend)));
  const messages = sends * opts.perSend;

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: opts.inFlight }, async () => {
        while (next < sends) {
          next++;
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: opts.perSend }, () => ({ value })),
          });
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  const producerMBs = (messages * opts.messageBytes) / MiB / ((performance.now() - started) / 1000);

  const consumer = kafka.consumer({ groupId: 'bench-kafkajs', maxWaitTimeInMs: 100 });
  let seen = 0;
  let joined = 0;
  let last = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = performance.now();
  });
  const joinStarted = performance.now();
  await consumer.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer: ${seen} of ${messages}`)), 120_000);
      consumer.subscribe({ topic, fromBeginning: true }).then(
        () =>
          consumer.run({
            eachBatch: async ({ batch }) => {
              if (joined === 0) joined = performance.now();
              seen += batch.messages.length;
              if (seen >= messages) {
                last = performance.now();
                clearTimeout(timer);
                resolve();
              }
            },
          }),
        reject,
      );
    });
  } finally {
    await consumer.disconnect();
  }
  const consumedMiB = (messages * opts.messageBytes) / MiB;
  return {
    producerMBs,
    consumerMBs: consumedMiB / Math.max(0.001, (last - joined) / 1000),
    consumerJoinMs: joined - joinStarted,
    messages,
  };
}
