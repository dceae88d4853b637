import { api, array, field as f } from './types.js';

export const DeleteRecords = api({
  key: 21,
  name: 'DeleteRecords',
  versions: '0-2',
  flexible: '2+',
  request: [
    f(
      'topics',
      array([
        f('name', 'string'),
        f('partitions', array([f('partitionIndex', 'int32'), f('offset', 'int64')])),
      ]),
    ),
    f('timeoutMs', 'int32'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f(
          'partitions',
          array([f('partitionIndex', 'int32'), f('lowWatermark', 'int64'), f('errorCode', 'int16')]),
        ),
      ]),
    ),
  ],
});
