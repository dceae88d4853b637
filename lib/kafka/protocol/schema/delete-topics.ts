import { api, array, field as f } from './types.js';

/** v6+ names topics by name or by id (Topics[]); v0-5 by name only (TopicNames). */
export const DeleteTopics = api({
  key: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  flexible: '4+',
  request: [
    f(
      'topics',
      array([f('name', 'string', '6+', { nullable: '6+', default: null }), f('topicId', 'uuid', '6+')]),
      '6+',
    ),
    f('topicNames', array('string'), '0-5'),
    f('timeoutMs', 'int32'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f(
      'responses',
      array([
        f('name', 'string', '0+', { nullable: '6+' }),
        f('topicId', 'uuid', '6+'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
      ]),
    ),
  ],
});
