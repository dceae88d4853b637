import { addPartitions, InvalidRequestError } from '../../engine/index.js';
import { duplicates } from '../duplicates.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * CreatePartitions v0-3: raises a topic's partition count to the new total (INVALID_PARTITIONS
 * unless it grows). Manual assignments must number one per new partition; the brokers they name
 * are ignored (one virtual broker holds every partition). validateOnly changes nothing.
 */
export const createPartitionsHandler = defineHandler({
  api: 'CreatePartitions',
  min: 0,
  max: 3,
  async handle(ctx, body) {
    const twice = duplicates(body.topics.map((t) => t.name));
    const results = await Promise.all(
      body.topics.map(async (t) => {
        try {
          if (twice.has(t.name)) throw new InvalidRequestError(`topic ${t.name} appears more than once`);
          await ctx.authz.require('ALTER', 'TOPIC', t.name);
          await addPartitions(ctx.engine, t.name, t.count, {
            validateOnly: body.validateOnly,
            ...(t.assignments !== null ? { assignments: t.assignments.length } : {}),
          });
          return { name: t.name, errorCode: NONE, errorMessage: null };
        } catch (err) {
          return { name: t.name, errorCode: kafkaErrorCode(err), errorMessage: kafkaErrorMessage(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});
