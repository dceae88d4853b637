import { api, array, field as f, struct } from './types.js';

const assignment = struct([
  f(
    'topicPartitions',
    array([f('topicId', 'uuid'), f('topicName', 'string'), f('partitions', array('int32'))]),
  ),
]);

/** KIP-848 describe (lib/kafka/handlers/consumer-group-describe.ts). */
export const ConsumerGroupDescribe = api({
  key: 69,
  name: 'ConsumerGroupDescribe',
  versions: '0-1',
  flexible: '0+',
  request: [f('groupIds', array('string')), f('includeAuthorizedOperations', 'bool')],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'groups',
      array([
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
        f('groupId', 'string'),
        f('groupState', 'string'),
        f('groupEpoch', 'int32'),
        f('assignmentEpoch', 'int32'),
        f('assignorName', 'string'),
        f(
          'members',
          array([
            f('memberId', 'string'),
            f('instanceId', 'string', '0+', { nullable: '0+', default: null }),
            f('rackId', 'string', '0+', { nullable: '0+', default: null }),
            f('memberEpoch', 'int32'),
            f('clientId', 'string'),
            f('clientHost', 'string'),
            f('subscribedTopicNames', array('string')),
            f('subscribedTopicRegex', 'string', '0+', { nullable: '0+', default: null }),
            f('assignment', assignment),
            f('targetAssignment', assignment),
            f('memberType', 'int8', '1+', { default: -1 }),
          ]),
        ),
        f('authorizedOperations', 'int32', '0+', { default: -2147483648 }),
      ]),
    ),
  ],
});
