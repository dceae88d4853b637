import { api, array, field as f } from './types.js';

// v0 (no pattern type) is gone since Kafka 4.0 (KIP-896); the pattern type defaults to LITERAL (3).
export const DescribeAcls = api({
  key: 29,
  name: 'DescribeAcls',
  versions: '1-3',
  flexible: '2+',
  request: [
    f('resourceTypeFilter', 'int8'),
    f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
    f('patternTypeFilter', 'int8', '1+', { default: 3 }),
    f('principalFilter', 'string', '0+', { nullable: '0+' }),
    f('hostFilter', 'string', '0+', { nullable: '0+' }),
    f('operation', 'int8'),
    f('permissionType', 'int8'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f(
      'resources',
      array([
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f('patternType', 'int8', '1+', { default: 3 }),
        f(
          'acls',
          array([
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
