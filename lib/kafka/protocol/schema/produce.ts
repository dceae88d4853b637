import { api, array, field as f, struct } from './types.js';

/** v0-2 carry message sets (magic 0/1), v3+ RecordBatch v2; the codec keeps either as raw bytes. */
export const Produce = api({
  key: 0,
  name: 'Produce',
  versions: '0-11',
  flexible: '9+',
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    f('acks', 'int16'),
    f('timeoutMs', 'int32'),
    f(
      'topicData',
      array([
        f('name', 'string'),
        f('partitionData', array([f('index', 'int32'), f('records', 'records', '0+', { nullable: '0+' })])),
      ]),
    ),
  ],
  response: [
    f(
      'responses',
      array([
        f('name', 'string'),
        f(
          'partitionResponses',
          array([
            f('index', 'int32'),
            f('errorCode', 'int16'),
            f('baseOffset', 'int64'),
            f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
            f('logStartOffset', 'int64', '5+', { default: -1n }),
            f(
              'recordErrors',
              array([
                f('batchIndex', 'int32', '8+'),
                f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
              ]),
              '8+',
            ),
            f('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
            f(
              'currentLeader',
              struct([
                f('leaderId', 'int32', '10+', { default: -1 }),
                f('leaderEpoch', 'int32', '10+', { default: -1 }),
              ]),
              '10+',
              { tag: 0 },
            ),
          ]),
        ),
      ]),
    ),
    f('throttleTimeMs', 'int32', '1+'),
    f(
      'nodeEndpoints',
      array([
        f('nodeId', 'int32', '10+'),
        f('host', 'string', '10+'),
        f('port', 'int32', '10+'),
        f('rack', 'string', '10+', { nullable: '10+', default: null }),
      ]),
      '10+',
      { tag: 0 },
    ),
  ],
});
