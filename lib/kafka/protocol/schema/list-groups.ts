import { api, array, field as f } from './types.js';

export const ListGroups = api({
  key: 16,
  name: 'ListGroups',
  versions: '0-5',
  flexible: '3+',
  request: [f('statesFilter', array('string'), '4+'), f('typesFilter', array('string'), '5+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16'),
    f(
      'groups',
      array([
        f('groupId', 'string'),
        f('protocolType', 'string'),
        f('groupState', 'string', '4+'),
        f('groupType', 'string', '5+'),
      ]),
    ),
  ],
});
