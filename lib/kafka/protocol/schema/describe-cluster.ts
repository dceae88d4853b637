import { api, array, field as f } from './types.js';

export const DescribeCluster = api({
  key: 60,
  name: 'DescribeCluster',
  versions: '0-1',
  flexible: '0+',
  request: [f('includeClusterAuthorizedOperations', 'bool'), f('endpointType', 'int8', '1+', { default: 1 })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('endpointType', 'int8', '1+', { default: 1 }),
    f('clusterId', 'string'),
    f('controllerId', 'int32', '0+', { default: -1 }),
    f(
      'brokers',
      array([
        f('brokerId', 'int32'),
        f('host', 'string'),
        f('port', 'int32'),
        f('rack', 'string', '0+', { nullable: '0+', default: null }),
      ]),
    ),
    f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ],
});
