import { describeConsumerGroup } from '../../engine/index.js';
import { authorizedOperations as groupOperations } from '../authorization.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/** Kafka's AclOperation bits a group has (READ, DELETE, DESCRIBE), all granted without an authorizer. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

/**
 * ConsumerGroupDescribe v0-1 (KIP-848): each group with its epochs, assignor and live members
 * (HTTP and Kafka alike), their subscriptions and assignments by topic id and name. An unknown
 * group gets GROUP_ID_NOT_FOUND, as in Kafka.
 */
export const consumerGroupDescribeHandler = defineHandler({
  api: 'ConsumerGroupDescribe',
  min: 0,
  max: 1,
  async handle(ctx, body) {
    const groups = await Promise.all(
      body.groupIds.map(async (groupId) => {
        const authorizedOperations = body.includeAuthorizedOperations
          ? await groupOperations(ctx, 'GROUP', groupId, ALL_GROUP_OPERATIONS)
          : NOT_REQUESTED;
        try {
          await ctx.authz.require('DESCRIBE', 'GROUP', groupId);
          const g = await describeConsumerGroup(ctx.engine, groupId);
          return {
            errorCode: NONE,
            errorMessage: null,
            ...g,
            members: g.members.map((m) => ({
              ...m,
              assignment: { topicPartitions: m.assignment },
              targetAssignment: { topicPartitions: m.targetAssignment },
            })),
            authorizedOperations,
          };
        } catch (err) {
          return {
            errorCode: kafkaErrorCode(err),
            errorMessage: kafkaErrorMessage(err),
            groupId,
            groupState: '',
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: '',
            members: [],
            authorizedOperations,
          };
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
});
