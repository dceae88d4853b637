import { api, array, field as f } from './types.js';

export const OffsetForLeaderEpoch = api({
  key: 23,
  name: 'OffsetForLeaderEpoch',
  versions: '0-4',
  flexible: '4+',
  request: [
    f('replicaId', 'int32', '3+', { default: -2 }),
    f(
      'topics',
      array([
        f('topic', 'string'),
        f(
          'partitions',
          array([
            f('partition', 'int32'),
            f('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
            f('leaderEpoch', 'int32'),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f(
      'topics',
      array([
        f('topic', 'string'),
        f(
          'partitions',
          array([
            f('errorCode', 'int16'),
            f('partition', 'int32'),
            f('leaderEpoch', 'int32', '1+', { default: -1 }),
            f('endOffset', 'int64', '0+', { default: -1n }),
          ]),
        ),
      ]),
    ),
  ],
});
