import { api, array, field as f } from './types.js';

export const AlterConfigs = api({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  flexible: '2+',
  request: [
    f(
      'resources',
      array([
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f('configs', array([f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })])),
      ]),
    ),
    f('validateOnly', 'bool'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'responses',
      array([
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
      ]),
    ),
  ],
});
