import { type KafkaOffsetSpec, kafkaListOffset, NO_OFFSET, type TimedOffset } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE, type RequestContext } from '../handler.js';
import type { RequestBody } from '../protocol/schema/index.js';
import { cachedTopic } from '../topic-lookup.js';

type ListOffsetsTopic = RequestBody<'ListOffsets'>['topics'][number];

/** The leader epoch reported with every offset found: one virtual leader that never changes. */
const LEADER_EPOCH = 0;

/**
 * ListOffsets v1-10 over Kafka's special timestamps: -2 earliest (and -4, earliest local, the same
 * with no tiering), -1 latest, -3 the record with the largest timestamp, -5 (latest tiered) none;
 * any other timestamp finds the first record at or after it. Isolation levels answer alike, since
 * the last stable offset is the high watermark.
 */
export const listOffsetsHandler = defineHandler({
  api: 'ListOffsets',
  min: 1,
  max: 10,
  async handle(ctx, body) {
    return {
      throttleTimeMs: 0,
      topics: await Promise.all(body.topics.map((t) => listTopic(ctx, t))),
    };
  },
});

async function listTopic(ctx: RequestContext, t: ListOffsetsTopic) {
  const answer = (at: (p: number, spec: KafkaOffsetSpec) => Promise<TimedOffset>) =>
    Promise.all(
      t.partitions.map(async (p) => {
        const spec = specOf(p.timestamp);
        try {
          const found = spec === 'none' ? NO_OFFSET : await at(p.partitionIndex, spec);
          return entry(p.partitionIndex, NONE, found);
        } catch (err) {
          return entry(p.partitionIndex, kafkaErrorCode(err), NO_OFFSET);
        }
      }),
    );
  try {
    await ctx.authz.require('DESCRIBE', 'TOPIC', t.name);
    const partitions = t.partitions.map((p) => p.partitionIndex);
    const topic = await cachedTopic(ctx.engine, t.name, partitions);
    return {
      name: t.name,
      partitions: await answer((p, spec) => kafkaListOffset(ctx.engine, topic, p, spec)),
    };
  } catch (err) {
    return { name: t.name, partitions: await answer(() => Promise.reject(err)) };
  }
}

function specOf(timestamp: bigint): KafkaOffsetSpec | 'none' {
  switch (timestamp) {
    case -1n:
      return 'latest';
    case -2n:
    case -4n:
      return 'earliest';
    case -3n:
      return 'max-timestamp';
    case -5n:
      return 'none';
    default:
      return Number(timestamp);
  }
}

function entry(partitionIndex: number, errorCode: number, found: TimedOffset) {
  return {
    partitionIndex,
    errorCode,
    timestamp: BigInt(found.timestamp),
    offset: BigInt(found.offset),
    leaderEpoch: found.offset === -1 ? -1 : LEADER_EPOCH,
  };
}
