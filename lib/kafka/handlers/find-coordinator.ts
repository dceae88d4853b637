import { validateGroupId } from '../../engine/index.js';
import { BROKER_ID } from '../config.js';
import {
  codeOf,
  defineHandler,
  kafkaErrorCode,
  kafkaErrorMessage,
  NONE,
  type RequestContext,
} from '../handler.js';

/** Kafka's coordinator key types (FindCoordinator v1+; v0 asks for a group). */
const GROUP = 0;
const TRANSACTION = 1;

/**
 * FindCoordinator v0-6 (v4+ batches its keys): the one virtual broker coordinates every group.
 * Transactions are not served yet, so a transaction key gets COORDINATOR_NOT_AVAILABLE; any other
 * key type (share groups, v6) INVALID_REQUEST.
 */
export const findCoordinatorHandler = defineHandler({
  api: 'FindCoordinator',
  min: 0,
  max: 6,
  async handle(ctx, body) {
    const keyType = ctx.apiVersion >= 1 ? body.keyType : GROUP;
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: await Promise.all(body.coordinatorKeys.map((key) => answer(ctx, keyType, key))),
      };
    }
    const { errorCode, errorMessage, nodeId, host, port } = await answer(ctx, keyType, body.key);
    return { throttleTimeMs: 0, errorCode, errorMessage, nodeId, host, port };
  },
});

async function answer(ctx: RequestContext, keyType: number, key: string) {
  const failed = (errorCode: number, errorMessage: string | null) => ({
    key,
    nodeId: -1,
    host: '',
    port: -1,
    errorCode,
    errorMessage,
  });
  if (keyType === TRANSACTION) {
    if (!(await ctx.authz.allowed('DESCRIBE', 'TRANSACTIONAL_ID', key)))
      return failed(codeOf('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), `not authorized to DESCRIBE ${key}`);
    return failed(codeOf('COORDINATOR_NOT_AVAILABLE'), 'transactions are not served over Kafka yet');
  }
  if (keyType !== GROUP) return failed(codeOf('INVALID_REQUEST'), `unknown coordinator key type ${keyType}`);
  try {
    await ctx.authz.require('DESCRIBE', 'GROUP', key);
    validateGroupId(key);
  } catch (err) {
    return failed(kafkaErrorCode(err), kafkaErrorMessage(err));
  }
  return {
    key,
    nodeId: BROKER_ID,
    host: ctx.broker.host,
    port: ctx.broker.port,
    errorCode: NONE,
    errorMessage: null,
  };
}
