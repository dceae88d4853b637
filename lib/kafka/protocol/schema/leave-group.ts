import { api, array, field as f } from './types.js';

/** v3+ batches members (Members[]). */
export const LeaveGroup = api({
  key: 13,
  name: 'LeaveGroup',
  versions: '0-5',
  flexible: '4+',
  request: [
    f('groupId', 'string'),
    f('memberId', 'string', '0-2'),
    f(
      'members',
      array([
        f('memberId', 'string', '3+'),
        f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        f('reason', 'string', '5+', { nullable: '5+', default: null }),
      ]),
      '3+',
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16'),
    f(
      'members',
      array([
        f('memberId', 'string', '3+'),
        f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
        f('errorCode', 'int16', '3+'),
      ]),
      '3+',
    ),
  ],
});
