import { authorizationError, deleteRecords } from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * DeleteRecords v0-2: moves each partition's log start up to the given offset (-1: the high
 * watermark) and answers the low watermark now in force; an offset past the high watermark is
 * OFFSET_OUT_OF_RANGE. An offset below the log start changes nothing and answers the log start.
 */
export const deleteRecordsHandler = defineHandler({
  api: 'DeleteRecords',
  min: 0,
  max: 2,
  async handle(ctx, body) {
    const deletable = await filterAllowed(
      ctx,
      'DELETE',
      'TOPIC',
      body.topics.map((t) => t.name),
    );
    const topics = await Promise.all(
      body.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            try {
              if (!deletable.has(t.name)) throw authorizationError('TOPIC', 'DELETE', t.name);
              const low = await deleteRecords(ctx.engine, t.name, p.partitionIndex, Number(p.offset));
              return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: NONE };
            } catch (err) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: kafkaErrorCode(err) };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
