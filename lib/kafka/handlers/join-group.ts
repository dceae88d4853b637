import { joinClassicGroup, MemberIdRequired, validateGroupId } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * JoinGroup v0-9 (classic groups): waits at the group's rebalance barrier (lib/engine/groups/classic.ts)
 * and answers with the generation, the chosen protocol, the leader and, to the leader only, every
 * member's metadata. v4+: a first join without an instance id gets MEMBER_ID_REQUIRED with its id.
 */
export const joinGroupHandler = defineHandler({
  api: 'JoinGroup',
  min: 0,
  max: 9,
  async handle(ctx, body) {
    const failed = (errorCode: number, memberId = body.memberId) => ({
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: ctx.apiVersion >= 7 ? null : '',
      leader: '',
      skipAssignment: false,
      memberId,
      members: [],
    });
    try {
      // As Kafka, READ on the group is asked before the group is looked at.
      await ctx.authz.require('READ', 'GROUP', body.groupId);
      validateGroupId(body.groupId);
      const r = await joinClassicGroup(ctx.engine, body.groupId, {
        memberId: body.memberId,
        instanceId: body.groupInstanceId,
        clientId: ctx.clientId ?? '',
        host: ctx.clientHost,
        protocolType: body.protocolType,
        protocols: body.protocols,
        sessionTimeoutMs: body.sessionTimeoutMs,
        rebalanceTimeoutMs: body.rebalanceTimeoutMs,
        requireKnownMemberId: ctx.apiVersion >= 4,
        initialRebalanceDelayMs: ctx.config.initialRebalanceDelayMs,
      });
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        generationId: r.generation,
        protocolType: r.protocolType,
        protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
        leader: r.leader,
        skipAssignment: false,
        memberId: r.memberId,
        members: r.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          metadata: m.metadata,
        })),
      };
    } catch (err) {
      if (err instanceof MemberIdRequired) return failed(kafkaErrorCode(err), err.memberId);
      return failed(kafkaErrorCode(err));
    }
  },
});
