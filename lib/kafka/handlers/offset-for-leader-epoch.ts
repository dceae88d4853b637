import { endOffsetForLeaderEpoch, getTopic, type Topic } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * OffsetForLeaderEpoch v2-4, over Strata's constant leader epoch 0: epoch 0 ends at the high
 * watermark; a later epoch is unknown (-1/-1); a current leader epoch other than -1 (unchecked)
 * and 0 is FENCED_LEADER_EPOCH when older and UNKNOWN_LEADER_EPOCH when newer.
 */
export const offsetForLeaderEpochHandler = defineHandler({
  api: 'OffsetForLeaderEpoch',
  min: 2,
  max: 4,
  async handle(ctx, body) {
    const topics = await Promise.all(
      body.topics.map(async (t) => {
        let topic: Topic | undefined;
        let lookupError: unknown;
        try {
          await ctx.authz.require('DESCRIBE', 'TOPIC', t.topic);
          topic = await getTopic(ctx.engine, t.topic);
        } catch (err) {
          lookupError = err;
        }
        const partitions = await Promise.all(
          t.partitions.map(async (p) => {
            try {
              if (!topic) throw lookupError;
              const end = await endOffsetForLeaderEpoch(
                ctx.engine,
                topic,
                p.partition,
                p.leaderEpoch,
                p.currentLeaderEpoch,
              );
              return {
                errorCode: NONE,
                partition: p.partition,
                leaderEpoch: end.leaderEpoch,
                endOffset: BigInt(end.endOffset),
              };
            } catch (err) {
              return {
                errorCode: kafkaErrorCode(err),
                partition: p.partition,
                leaderEpoch: -1,
                endOffset: -1n,
              };
            }
          }),
        );
        return { topic: t.topic, partitions };
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
});
