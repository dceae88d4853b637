import { heartbeatClassicGroup, validateGroupId } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/** Heartbeat v0-4 (classic groups): REBALANCE_IN_PROGRESS while the group rebalances, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID. */
export const heartbeatHandler = defineHandler({
  api: 'Heartbeat',
  min: 0,
  max: 4,
  async handle(ctx, body) {
    try {
      // As Kafka, READ on the group is asked before the group is looked at.
      await ctx.authz.require('READ', 'GROUP', body.groupId);
      validateGroupId(body.groupId);
      await heartbeatClassicGroup(ctx.engine, body.groupId, {
        memberId: body.memberId,
        generation: body.generationId,
        instanceId: body.groupInstanceId,
      });
      return { throttleTimeMs: 0, errorCode: NONE };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode(err) };
    }
  },
});
