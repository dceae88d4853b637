import { api, array, field as f } from './types.js';

/** Classic group membership: the rebalance barrier (JoinGroup completes when every member rejoined). */
export const JoinGroup = api({
  key: 11,
  name: 'JoinGroup',
  versions: '0-9',
  flexible: '6+',
  request: [
    f('groupId', 'string'),
    f('sessionTimeoutMs', 'int32'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolType', 'string'),
    f('protocols', array([f('name', 'string'), f('metadata', 'bytes')])),
    f('reason', 'string', '8+', { nullable: '8+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
    f('protocolName', 'string', '0+', { nullable: '7+' }),
    f('leader', 'string'),
    f('skipAssignment', 'bool', '9+'),
    f('memberId', 'string'),
    f(
      'members',
      array([
        f('memberId', 'string'),
        f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
        f('metadata', 'bytes'),
      ]),
    ),
  ],
});
