import { syncClassicGroup, validateGroupId } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * SyncGroup v0-5 (classic groups): the leader's assignments are stored; a follower waits for its
 * own and never gets empty bytes in place of it (REBALANCE_IN_PROGRESS instead).
 */
export const syncGroupHandler = defineHandler({
  api: 'SyncGroup',
  min: 0,
  max: 5,
  async handle(ctx, body) {
    try {
      // As Kafka, READ on the group is asked before the group is looked at.
      await ctx.authz.require('READ', 'GROUP', body.groupId);
      validateGroupId(body.groupId);
      const r = await syncClassicGroup(ctx.engine, body.groupId, {
        memberId: body.memberId,
        generation: body.generationId,
        instanceId: body.groupInstanceId,
        protocolType: body.protocolType,
        protocolName: body.protocolName,
        assignments: body.assignments,
      });
      return { throttleTimeMs: 0, errorCode: NONE, ...r };
    } catch (err) {
      return {
        throttleTimeMs: 0,
        errorCode: kafkaErrorCode(err),
        protocolType: null,
        protocolName: null,
        assignment: new Uint8Array(0),
      };
    }
  },
});
