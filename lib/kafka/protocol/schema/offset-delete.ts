import { api, array, field as f } from './types.js';

/** OffsetDelete (KIP-496): the committed offsets of some partitions of a group. Never flexible. */
export const OffsetDelete = api({
  key: 47,
  name: 'OffsetDelete',
  versions: '0',
  flexible: 'none',
  request: [
    f('groupId', 'string'),
    f('topics', array([f('name', 'string'), f('partitions', array([f('partitionIndex', 'int32')]))])),
  ],
  response: [
    f('errorCode', 'int16'),
    f('throttleTimeMs', 'int32'),
    f(
      'topics',
      array([
        f('name', 'string'),
        f('partitions', array([f('partitionIndex', 'int32'), f('errorCode', 'int16')])),
      ]),
    ),
  ],
});
