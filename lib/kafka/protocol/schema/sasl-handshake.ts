import { api, array, field as f } from './types.js';

/** The mechanism the client chooses; v0 means the tokens follow raw (no request header), v1 in SaslAuthenticate. */
export const SaslHandshake = api({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: [f('mechanism', 'string')],
  response: [f('errorCode', 'int16'), f('mechanisms', array('string'))],
});
