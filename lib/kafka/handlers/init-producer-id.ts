import { initProducer } from '../../engine/index.js';
import { allowedOnSomeResource } from '../authorization.js';
import { codeOf, defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * InitProducerId v0-5 for idempotent producers: a fresh producer id at epoch 0, from the same
 * producer registry as HTTP's POST /v1/producers. As in Kafka, a request without a transactional
 * id gets a fresh id even when it names its current producer id and epoch (v3+, KIP-360): the
 * producer starts its sequences over under the new id. A transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED until transactions are served over Kafka: every client
 * treats it as fatal, so a transactional producer fails at once instead of retrying forever.
 */
export const initProducerIdHandler = defineHandler({
  api: 'InitProducerId',
  min: 0,
  max: 5,
  async handle(ctx, body) {
    const failed = (errorCode: number) => ({
      throttleTimeMs: 0,
      errorCode,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (body.transactionalId !== null) return failed(codeOf('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
    // As Kafka (KIP-679): IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
    const idempotent =
      (await ctx.authz.allowed('IDEMPOTENT_WRITE', 'CLUSTER')) ||
      (await allowedOnSomeResource(ctx, 'WRITE', 'TOPIC'));
    if (!idempotent) return failed(codeOf('CLUSTER_AUTHORIZATION_FAILED'));
    try {
      const { producerId, producerEpoch } = await initProducer(ctx.engine, {});
      return { throttleTimeMs: 0, errorCode: NONE, producerId: BigInt(producerId), producerEpoch };
    } catch (err) {
      return failed(kafkaErrorCode(err));
    }
  },
});
