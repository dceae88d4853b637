import { api, array, field as f } from './types.js';

export const ApiVersions = api({
  key: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexible: '3+',
  request: [f('clientSoftwareName', 'string', '3+'), f('clientSoftwareVersion', 'string', '3+')],
  response: [
    f('errorCode', 'int16'),
    f('apiKeys', array([f('apiKey', 'int16'), f('minVersion', 'int16'), f('maxVersion', 'int16')])),
    f('throttleTimeMs', 'int32', '1+'),
    f(
      'supportedFeatures',
      array([f('name', 'string', '3+'), f('minVersion', 'int16', '3+'), f('maxVersion', 'int16', '3+')]),
      '3+',
      { tag: 0 },
    ),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, default: -1n }),
    f(
      'finalizedFeatures',
      array([
        f('name', 'string', '3+'),
        f('maxVersionLevel', 'int16', '3+'),
        f('minVersionLevel', 'int16', '3+'),
      ]),
      '3+',
      { tag: 2 },
    ),
    f('zkMigrationReady', 'bool', '3+', { tag: 3 }),
  ],
});
