import { api, array, field as f, struct } from './types.js';

const topicPartitions = [f('topicId', 'uuid'), f('partitions', array('int32'))] as const;

/** KIP-848 membership (lib/kafka/handlers/consumer-group-heartbeat.ts). */
export const ConsumerGroupHeartbeat = api({
  key: 68,
  name: 'ConsumerGroupHeartbeat',
  versions: '0-1',
  flexible: '0+',
  request: [
    f('groupId', 'string'),
    f('memberId', 'string'),
    f('memberEpoch', 'int32'),
    f('instanceId', 'string', '0+', { nullable: '0+', default: null }),
    f('rackId', 'string', '0+', { nullable: '0+', default: null }),
    f('rebalanceTimeoutMs', 'int32', '0+', { default: -1 }),
    f('subscribedTopicNames', array('string'), '0+', { nullable: '0+', default: null }),
    f('subscribedTopicRegex', 'string', '1+', { nullable: '1+', default: null }),
    f('serverAssignor', 'string', '0+', { nullable: '0+', default: null }),
    f('topicPartitions', array(topicPartitions), '0+', { nullable: '0+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('memberId', 'string', '0+', { nullable: '0+', default: null }),
    f('memberEpoch', 'int32'),
    f('heartbeatIntervalMs', 'int32'),
    f('assignment', struct([f('topicPartitions', array(topicPartitions))]), '0+', {
      nullable: '0+',
      default: null,
    }),
  ],
});
