import { authorizedOperations } from '../authorization.js';
import { BROKER_ID } from '../config.js';
import { codeOf, defineHandler, NONE } from '../handler.js';
import { ALL_CLUSTER_OPERATIONS, NOT_REQUESTED } from './metadata.js';

/** Kafka's EndpointType: what DescribeCluster v1 asks to list. */
const ENDPOINT = { BROKER: 1, CONTROLLER: 2 } as const;

/**
 * DescribeCluster v0-1: the one virtual broker (node 0, at the advertised address), which is also
 * the controller, and the cluster id. Authorized operations, when asked, are every cluster
 * operation (no authorizer runs). Asking for the controllers' endpoints is MISMATCHED_ENDPOINT_TYPE
 * and an unknown endpoint type UNSUPPORTED_ENDPOINT_TYPE (both INVALID_REQUEST at v0), as in Kafka.
 */
export const describeClusterHandler = defineHandler({
  api: 'DescribeCluster',
  min: 0,
  max: 1,
  async handle(ctx, body) {
    const type = ctx.apiVersion >= 1 ? body.endpointType : ENDPOINT.BROKER;
    // v0 has no endpoint-type codes: those are INVALID_REQUEST there (an authorization code is not).
    const refused = (code: number, errorMessage: string, v0Code = codeOf('INVALID_REQUEST')) => ({
      throttleTimeMs: 0,
      errorCode: ctx.apiVersion === 0 ? v0Code : code,
      errorMessage,
      endpointType: type,
      clusterId: ctx.config.clusterId,
      controllerId: -1,
      brokers: [],
    });
    if (!(await ctx.authz.allowed('DESCRIBE', 'CLUSTER'))) {
      const denied = codeOf('CLUSTER_AUTHORIZATION_FAILED');
      return refused(denied, 'not authorized to DESCRIBE on the cluster', denied);
    }
    if (type === ENDPOINT.CONTROLLER) {
      return refused(
        codeOf('MISMATCHED_ENDPOINT_TYPE'),
        'this is a broker endpoint; the controller is not reachable on its own',
      );
    }
    if (type !== ENDPOINT.BROKER) {
      return refused(codeOf('UNSUPPORTED_ENDPOINT_TYPE'), `unsupported endpoint type ${type}`);
    }
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      errorMessage: null,
      endpointType: ENDPOINT.BROKER,
      clusterId: ctx.config.clusterId,
      controllerId: BROKER_ID,
      brokers: [{ brokerId: BROKER_ID, host: ctx.broker.host, port: ctx.broker.port, rack: null }],
      clusterAuthorizedOperations: body.includeClusterAuthorizedOperations
        ? await authorizedOperations(ctx, 'CLUSTER', undefined, ALL_CLUSTER_OPERATIONS)
        : NOT_REQUESTED,
    };
  },
});
