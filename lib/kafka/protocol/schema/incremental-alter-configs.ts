import { api, array, field as f } from './types.js';

/** configOperation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. */
export const IncrementalAlterConfigs = api({
  key: 44,
  name: 'IncrementalAlterConfigs',
  versions: '0-1',
  flexible: '1+',
  request: [
    f(
      'resources',
      array([
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f(
          'configs',
          array([
            f('name', 'string'),
            f('configOperation', 'int8'),
            f('value', 'string', '0+', { nullable: '0+' }),
          ]),
        ),
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
