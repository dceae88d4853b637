import { api, array, field as f } from './types.js';

/** v4+ batches keys (CoordinatorKeys, Coordinators[]); v0-3 ask for one key. */
export const FindCoordinator = api({
  key: 10,
  name: 'FindCoordinator',
  versions: '0-6',
  flexible: '3+',
  request: [
    f('key', 'string', '0-3'),
    f('keyType', 'int8', '1+'),
    f('coordinatorKeys', array('string'), '4+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    f(
      'coordinators',
      array([
        f('key', 'string', '4+'),
        f('nodeId', 'int32', '4+'),
        f('host', 'string', '4+'),
        f('port', 'int32', '4+'),
        f('errorCode', 'int16', '4+'),
        f('errorMessage', 'string', '4+', { nullable: '4+' }),
      ]),
      '4+',
    ),
  ],
});
