import { api, array, field as f } from './types.js';

export const DeleteGroups = api({
  key: 42,
  name: 'DeleteGroups',
  versions: '0-2',
  flexible: '2+',
  request: [f('groupsNames', array('string'))],
  response: [
    f('throttleTimeMs', 'int32'),
    f('results', array([f('groupId', 'string'), f('errorCode', 'int16')])),
  ],
});
