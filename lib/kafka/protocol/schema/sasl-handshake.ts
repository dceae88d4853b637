import { api, array, field as f } from './types.js';

/** SASL is a later issue: known so that a client configured for it gets an error, not a closed socket. */
export const SaslHandshake = api({
  key: 17,
  name: 'SaslHandshake',
  versions: '0-1',
  flexible: 'none',
  request: [f('mechanism', 'string')],
  response: [f('errorCode', 'int16'), f('mechanisms', array('string'))],
});
