import { api, array, field as f } from './types.js';

/** v8+ batches groups (Groups[]); v0-7 ask for one group. */
export const OffsetFetch = api({
  key: 9,
  name: 'OffsetFetch',
  versions: '0-9',
  flexible: '6+',
  request: [
    f('groupId', 'string', '0-7'),
    f('topics', array([f('name', 'string', '0-7'), f('partitionIndexes', array('int32'), '0-7')]), '0-7', {
      nullable: '2-7',
    }),
    f(
      'groups',
      array([
        f('groupId', 'string', '8+'),
        f('memberId', 'string', '9+', { nullable: '9+', default: null }),
        f('memberEpoch', 'int32', '9+', { default: -1 }),
        f('topics', array([f('name', 'string', '8+'), f('partitionIndexes', array('int32'), '8+')]), '8+', {
          nullable: '8+',
        }),
      ]),
      '8+',
    ),
    f('requireStable', 'bool', '7+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f(
      'topics',
      array([
        f('name', 'string', '0-7'),
        f(
          'partitions',
          array([
            f('partitionIndex', 'int32', '0-7'),
            f('committedOffset', 'int64', '0-7'),
            f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
            f('metadata', 'string', '0-7', { nullable: '0-7' }),
            f('errorCode', 'int16', '0-7'),
          ]),
          '0-7',
        ),
      ]),
      '0-7',
    ),
    f('errorCode', 'int16', '2-7'),
    f(
      'groups',
      array([
        f('groupId', 'string', '8+'),
        f(
          'topics',
          array([
            f('name', 'string', '8+'),
            f(
              'partitions',
              array([
                f('partitionIndex', 'int32', '8+'),
                f('committedOffset', 'int64', '8+'),
                f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
                f('metadata', 'string', '8+', { nullable: '8+' }),
                f('errorCode', 'int16', '8+'),
              ]),
              '8+',
            ),
          ]),
          '8+',
        ),
        f('errorCode', 'int16', '8+'),
      ]),
      '8+',
    ),
  ],
});
