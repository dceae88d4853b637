import { consumerGroupHeartbeat } from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * ConsumerGroupHeartbeat v0-1 (KIP-848): join (epoch 0), heartbeat, leave (-1) and static leave
 * (-2) of a Strata group, the same groups as the HTTP API's. v0 has the server mint the member id,
 * v1 the client (KIP-1082). Assignments name topics by id; the whole assignment comes back when it
 * changed, null otherwise. Rules and codes: lib/engine/groups/kafka-consumer-group.ts.
 */
export const consumerGroupHeartbeatHandler = defineHandler({
  api: 'ConsumerGroupHeartbeat',
  min: 0,
  max: 1,
  async handle(ctx, body) {
    try {
      await ctx.authz.require('READ', 'GROUP', body.groupId);
      // As Kafka, subscribed topics the principal may not DESCRIBE are treated as absent: they
      // are never assigned, and their existence is not revealed.
      const described =
        body.subscribedTopicNames === null
          ? null
          : await filterAllowed(ctx, 'DESCRIBE', 'TOPIC', body.subscribedTopicNames);
      const res = await consumerGroupHeartbeat(ctx.engine, {
        apiVersion: ctx.apiVersion,
        groupId: body.groupId,
        memberId: body.memberId,
        memberEpoch: body.memberEpoch,
        instanceId: body.instanceId,
        rackId: body.rackId,
        rebalanceTimeoutMs: body.rebalanceTimeoutMs,
        subscribedTopicNames:
          described === null ? null : (body.subscribedTopicNames ?? []).filter((t) => described.has(t)),
        subscribedTopicRegex: body.subscribedTopicRegex,
        serverAssignor: body.serverAssignor,
        topicPartitions: body.topicPartitions,
        clientId: ctx.clientId,
        clientHost: ctx.clientHost,
      });
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        errorMessage: null,
        memberId: res.memberId,
        memberEpoch: res.memberEpoch,
        heartbeatIntervalMs: res.heartbeatIntervalMs,
        assignment: res.assignment === null ? null : { topicPartitions: res.assignment },
      };
    } catch (err) {
      return {
        throttleTimeMs: 0,
        errorCode: kafkaErrorCode(err),
        errorMessage: kafkaErrorMessage(err),
        memberId: null,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
  },
});
