import { api, field as f } from './types.js';

/** One SASL token each way; v1 adds the session lifetime (KIP-368 re-authentication). */
export const SaslAuthenticate = api({
  key: 36,
  name: 'SaslAuthenticate',
  versions: '0-2',
  flexible: '2+',
  request: [f('authBytes', 'bytes')],
  response: [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('authBytes', 'bytes'),
    f('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
  ],
});
