import { api, array, field as f } from './types.js';

export const ListOffsets = api({
  key: 2,
  name: 'ListOffsets',
  versions: '0-10',
  flexible: '6+',
  request: [
    f('replicaId', 'int32'),
    f('isolationLevel', 'int8', '2+'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f(
          'partitions',
          array([
            f('partitionIndex', 'int32'),
            f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
            f('timestamp', 'int64'),
            f('maxNumOffsets', 'int32', '0', { default: 1 }),
          ]),
        ),
      ]),
    ),
    f('timeoutMs', 'int32', '10+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f(
          'partitions',
          array([
            f('partitionIndex', 'int32'),
            f('errorCode', 'int16'),
            f('oldStyleOffsets', array('int64'), '0'),
            f('timestamp', 'int64', '1+', { default: -1n }),
            f('offset', 'int64', '1+', { default: -1n }),
            f('leaderEpoch', 'int32', '4+', { default: -1 }),
          ]),
        ),
      ]),
    ),
  ],
});
