import { api, array, field as f } from './types.js';

/** KIP-554: which SCRAM mechanisms (1 SCRAM-SHA-256, 2 SCRAM-SHA-512) and iterations each user has. Null users: all. */
export const DescribeUserScramCredentials = api({
  key: 50,
  name: 'DescribeUserScramCredentials',
  versions: '0',
  flexible: '0+',
  request: [f('users', array([f('name', 'string')]), '0+', { nullable: '0+' })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f(
      'results',
      array([
        f('user', 'string'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
        f('credentialInfos', array([f('mechanism', 'int8'), f('iterations', 'int32')])),
      ]),
    ),
  ],
});
