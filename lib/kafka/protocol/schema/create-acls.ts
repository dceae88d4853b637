import { api, array, field as f } from './types.js';

export const CreateAcls = api({
  key: 30,
  name: 'CreateAcls',
  versions: '1-3',
  flexible: '2+',
  request: [
    f(
      'creations',
      array([
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f('resourcePatternType', 'int8', '1+', { default: 3 }),
        f('principal', 'string'),
        f('host', 'string'),
        f('operation', 'int8'),
        f('permissionType', 'int8'),
      ]),
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'results',
      array([f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+', default: null })]),
    ),
  ],
});
