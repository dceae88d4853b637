import { deleteOffsets } from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { codeOf, defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * OffsetDelete v0 (KIP-496): a group's committed offsets of the partitions named. An empty group
 * loses them all; a non-empty one those of topics it does not subscribe to, the others answered
 * GROUP_SUBSCRIBED_TO_TOPIC. Group-wide errors (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a non-empty
 * classic group of another protocol type) are top-level, with no topics, as Kafka answers.
 */
export const offsetDeleteHandler = defineHandler({
  api: 'OffsetDelete',
  min: 0,
  max: 0,
  async handle(ctx, body) {
    try {
      // As Kafka: DELETE on the group (top-level), READ on each topic (its partitions refused).
      await ctx.authz.require('DELETE', 'GROUP', body.groupId);
      const readable = await filterAllowed(
        ctx,
        'READ',
        'TOPIC',
        body.topics.map((t) => t.name),
      );
      const asked = body.topics
        .filter((t) => readable.has(t.name))
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
      const results = asked.length === 0 ? [] : await deleteOffsets(ctx.engine, body.groupId, asked);
      const refused = codeOf('TOPIC_AUTHORIZATION_FAILED');
      const codes = new Map(
        results.map((r) => [`${r.topic}\u0000${r.partition}`, r.error ? kafkaErrorCode(r.error) : NONE]),
      );
      for (const t of body.topics)
        if (!readable.has(t.name))
          for (const p of t.partitions) codes.set(`${t.name}\u0000${p.partitionIndex}`, refused);
      return {
        errorCode: NONE,
        throttleTimeMs: 0,
        topics: body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: codes.get(`${t.name}\u0000${p.partitionIndex}`) ?? NONE,
          })),
        })),
      };
    } catch (err) {
      return { errorCode: kafkaErrorCode(err), throttleTimeMs: 0, topics: [] };
    }
  },
});
