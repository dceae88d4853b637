import { api, array, field as f } from './types.js';

export const OffsetCommit = api({
  key: 8,
  name: 'OffsetCommit',
  versions: '0-9',
  flexible: '8+',
  request: [
    f('groupId', 'string'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1n }),
    f(
      'topics',
      array([
        f('name', 'string'),
        f(
          'partitions',
          array([
            f('partitionIndex', 'int32'),
            f('committedOffset', 'int64'),
            f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            f('commitTimestamp', 'int64', '1', { default: -1n }),
            f('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ]),
        ),
      ]),
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f('partitions', array([f('partitionIndex', 'int32'), f('errorCode', 'int16')])),
      ]),
    ),
  ],
});
