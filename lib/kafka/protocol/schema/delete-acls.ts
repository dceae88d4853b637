import { api, array, field as f } from './types.js';

export const DeleteAcls = api({
  key: 31,
  name: 'DeleteAcls',
  versions: '1-3',
  flexible: '2+',
  request: [
    f(
      'filters',
      array([
        f('resourceTypeFilter', 'int8'),
        f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
        f('patternTypeFilter', 'int8', '1+', { default: 3 }),
        f('principalFilter', 'string', '0+', { nullable: '0+' }),
        f('hostFilter', 'string', '0+', { nullable: '0+' }),
        f('operation', 'int8'),
        f('permissionType', 'int8'),
      ]),
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'filterResults',
      array([
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
        f(
          'matchingAcls',
          array([
            f('errorCode', 'int16'),
            f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
            f('resourceType', 'int8'),
            f('resourceName', 'string'),
            f('patternType', 'int8', '1+', { default: 3 }),
            f('principal', 'string'),
            f('host', 'string'),
            f('operation', 'int8'),
            f('permissionType', 'int8'),
          ]),
        ),
      ]),
    ),
  ],
});
