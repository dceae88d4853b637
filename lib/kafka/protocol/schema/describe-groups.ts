import { api, array, field as f } from './types.js';

export const DescribeGroups = api({
  key: 15,
  name: 'DescribeGroups',
  versions: '0-5',
  flexible: '5+',
  request: [f('groups', array('string')), f('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f(
      'groups',
      array([
        f('errorCode', 'int16'),
        f('groupId', 'string'),
        f('groupState', 'string'),
        f('protocolType', 'string'),
        f('protocolData', 'string'),
        f(
          'members',
          array([
            f('memberId', 'string'),
            f('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
            f('clientId', 'string'),
            f('clientHost', 'string'),
            f('memberMetadata', 'bytes'),
            f('memberAssignment', 'bytes'),
          ]),
        ),
        f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ]),
    ),
  ],
});
