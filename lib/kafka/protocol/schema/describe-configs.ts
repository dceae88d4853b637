import { api, array, field as f } from './types.js';

export const DescribeConfigs = api({
  key: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexible: '4+',
  request: [
    f(
      'resources',
      array([
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f('configurationKeys', array('string'), '0+', { nullable: '0+' }),
      ]),
    ),
    f('includeSynonyms', 'bool', '1+'),
    f('includeDocumentation', 'bool', '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'results',
      array([
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f(
          'configs',
          array([
            f('name', 'string'),
            f('value', 'string', '0+', { nullable: '0+' }),
            f('readOnly', 'bool'),
            f('isDefault', 'bool', '0'),
            f('configSource', 'int8', '1+', { default: -1 }),
            f('isSensitive', 'bool'),
            f(
              'synonyms',
              array([
                f('name', 'string', '1+'),
                f('value', 'string', '1+', { nullable: '0+' }),
                f('source', 'int8', '1+'),
              ]),
              '1+',
            ),
            f('configType', 'int8', '3+'),
            f('documentation', 'string', '3+', { nullable: '0+' }),
          ]),
        ),
      ]),
    ),
  ],
});
