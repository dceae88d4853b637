import { leaveClassicGroup, validateGroupId } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/** LeaveGroup v0-5 (classic groups): v0-2 one member, v3+ a batch (static members by instance id), each answered. */
export const leaveGroupHandler = defineHandler({
  api: 'LeaveGroup',
  min: 0,
  max: 5,
  async handle(ctx, body) {
    const batched = ctx.apiVersion >= 3;
    const leaving = batched
      ? body.members.map((m) => ({ memberId: m.memberId, instanceId: m.groupInstanceId }))
      : [{ memberId: body.memberId, instanceId: null }];
    try {
      // As Kafka, READ on the group is asked before the group is looked at.
      await ctx.authz.require('READ', 'GROUP', body.groupId);
      validateGroupId(body.groupId);
      const results = await leaveClassicGroup(ctx.engine, body.groupId, leaving);
      const members = results.map((r) => ({
        memberId: r.memberId,
        groupInstanceId: r.instanceId,
        errorCode: r.error ? kafkaErrorCode(r.error) : NONE,
      }));
      const first = members[0]?.errorCode ?? NONE;
      return { throttleTimeMs: 0, errorCode: batched ? NONE : first, members };
    } catch (err) {
      const code = kafkaErrorCode(err);
      return {
        throttleTimeMs: 0,
        errorCode: code,
        members: leaving.map((l) => ({
          memberId: l.memberId,
          groupInstanceId: l.instanceId,
          errorCode: code,
        })),
      };
    }
  },
});
