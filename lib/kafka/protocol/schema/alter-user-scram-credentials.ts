import { api, array, field as f } from './types.js';

/** KIP-554: SCRAM credentials deleted and upserted; an upsertion carries the client-salted password, never the password. */
export const AlterUserScramCredentials = api({
  key: 51,
  name: 'AlterUserScramCredentials',
  versions: '0',
  flexible: '0+',
  request: [
    f('deletions', array([f('name', 'string'), f('mechanism', 'int8')])),
    f(
      'upsertions',
      array([
        f('name', 'string'),
        f('mechanism', 'int8'),
        f('iterations', 'int32'),
        f('salt', 'bytes'),
        f('saltedPassword', 'bytes'),
      ]),
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'results',
      array([
        f('user', 'string'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      ]),
    ),
  ],
});
