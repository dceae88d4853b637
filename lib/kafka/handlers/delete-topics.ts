import {
  deleteTopic,
  deleteTopicById,
  InvalidRequestError,
  InvalidTopicError,
  UnknownTopicOrPartitionError,
} from '../../engine/index.js';
import { duplicates } from '../duplicates.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';
import { topicById, ZERO_UUID } from '../topic-lookup.js';

interface Target {
  name: string | null;
  topicId: string;
}

/**
 * DeleteTopics v1-6: by name, and from v6 by name or by topic id (not both). A name no topic has,
 * valid or not, is UNKNOWN_TOPIC_OR_PARTITION and an unknown id UNKNOWN_TOPIC_ID, as in Kafka; a
 * name or id given twice is INVALID_REQUEST.
 */
export const deleteTopicsHandler = defineHandler({
  api: 'DeleteTopics',
  min: 1,
  max: 6,
  async handle(ctx, body) {
    const targets: Target[] =
      ctx.apiVersion >= 6
        ? body.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : body.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const twiceNames = duplicates(targets.flatMap((t) => (t.name !== null ? [t.name] : [])));
    const twiceIds = duplicates(targets.flatMap((t) => (t.topicId !== ZERO_UUID ? [t.topicId] : [])));
    const responses = await Promise.all(
      targets.map(async (t) => {
        try {
          if (t.name !== null && t.topicId !== ZERO_UUID) {
            throw new InvalidRequestError('give a topic name or a topic id, not both');
          }
          if (t.name === null) {
            if (t.topicId === ZERO_UUID) throw new InvalidRequestError('neither a topic name nor an id');
            if (twiceIds.has(t.topicId)) throw new InvalidRequestError(`topic id ${t.topicId} appears twice`);
            // The id names a topic; DELETE is asked of its name (an unknown id stays UNKNOWN_TOPIC_ID).
            const named = await topicById(ctx.engine, t.topicId);
            if (named) await ctx.authz.require('DELETE', 'TOPIC', named.name);
            const topic = await deleteTopicById(ctx.engine, t.topicId);
            return { name: topic.name, topicId: topic.topicId, errorCode: NONE, errorMessage: null };
          }
          if (twiceNames.has(t.name)) throw new InvalidRequestError(`topic ${t.name} appears twice`);
          await ctx.authz.require('DELETE', 'TOPIC', t.name);
          const topic = await deleteTopic(ctx.engine, t.name);
          return { name: t.name, topicId: topic.topicId, errorCode: NONE, errorMessage: null };
        } catch (err) {
          // Kafka looks a name up and finds nothing; it does not judge the name.
          const e =
            err instanceof InvalidTopicError
              ? new UnknownTopicOrPartitionError(`unknown topic ${t.name}`, { cause: err })
              : err;
          return {
            name: t.name,
            topicId: t.topicId,
            errorCode: kafkaErrorCode(e),
            errorMessage: kafkaErrorMessage(e),
          };
        }
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
});
