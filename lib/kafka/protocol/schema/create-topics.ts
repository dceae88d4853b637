import { api, array, field as f } from './types.js';

export const CreateTopics = api({
  key: 19,
  name: 'CreateTopics',
  versions: '0-7',
  flexible: '5+',
  request: [
    f(
      'topics',
      array([
        f('name', 'string'),
        f('numPartitions', 'int32'),
        f('replicationFactor', 'int16'),
        f('assignments', array([f('partitionIndex', 'int32'), f('brokerIds', array('int32'))])),
        f('configs', array([f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })])),
      ]),
    ),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('validateOnly', 'bool', '1+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f('topicId', 'uuid', '7+'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '1+', { nullable: '0+' }),
        f('topicConfigErrorCode', 'int16', '5+', { tag: 0 }),
        f('numPartitions', 'int32', '5+', { default: -1 }),
        f('replicationFactor', 'int16', '5+', { default: -1 }),
        f(
          'configs',
          array([
            f('name', 'string', '5+'),
            f('value', 'string', '5+', { nullable: '5+' }),
            f('readOnly', 'bool', '5+'),
            f('configSource', 'int8', '5+', { default: -1 }),
            f('isSensitive', 'bool', '5+'),
          ]),
          '5+',
          { nullable: '5+' },
        ),
      ]),
    ),
  ],
});
