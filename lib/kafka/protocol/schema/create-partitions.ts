import { api, array, field as f } from './types.js';

export const CreatePartitions = api({
  key: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  flexible: '2+',
  request: [
    f(
      'topics',
      array([
        f('name', 'string'),
        f('count', 'int32'),
        f('assignments', array([f('brokerIds', array('int32'))]), '0+', { nullable: '0+' }),
      ]),
    ),
    f('timeoutMs', 'int32'),
    f('validateOnly', 'bool'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'results',
      array([
        f('name', 'string'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      ]),
    ),
  ],
});
