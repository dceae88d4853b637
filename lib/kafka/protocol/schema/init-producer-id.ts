import { api, field as f } from './types.js';

export const InitProducerId = api({
  key: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexible: '2+',
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32'),
    f('producerId', 'int64', '3+', { default: -1n }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('producerId', 'int64', '0+', { default: -1n }),
    f('producerEpoch', 'int16'),
  ],
});
