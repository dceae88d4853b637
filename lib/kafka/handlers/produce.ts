import { ERRORS } from '../../contract/errors.js';
import {
  authorizationError,
  CommitConflictError,
  InvalidRequestError,
  InvalidRequiredAcksError,
  type PartitionProduceResult,
  type Topic,
  UnknownTopicOrPartitionError,
} from '../../engine/index.js';
import { mayCreateTopic } from '../authorization.js';
import {
  defineHandler,
  kafkaErrorCode,
  kafkaErrorMessage,
  NO_RESPONSE,
  NONE,
  type RequestContext,
} from '../handler.js';
import type { RequestBody } from '../protocol/schema/index.js';
import { cachedTopic, topicByName } from '../topic-lookup.js';

type ProduceTopic = RequestBody<'Produce'>['topicData'][number];

/**
 * Produce v3-11 (RecordBatch v2). v0-2 are advertised, because librdkafka turns compression off
 * unless Produce starts at v0, and answered with UNSUPPORTED_VERSION when used. The client's
 * batches are checked and stored as sent; the answer (none for acks=0) comes after the commit.
 */
export const produceHandler = defineHandler({
  api: 'Produce',
  min: 3,
  max: 11,
  advertisedMin: 0,
  async handle(ctx, body) {
    const acks = body.acks;
    const failAll = (err: unknown) =>
      body.topicData.map((t) =>
        topicResponse(
          t.name,
          t.partitionData.map((p) => ({ partition: p.index, error: err })),
        ),
      );
    let responses: ReturnType<typeof topicResponse>[];
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      responses = failAll(new InvalidRequiredAcksError(`acks must be -1, 0 or 1, got ${acks}`));
    } else if (body.transactionalId !== null) {
      // As Kafka, WRITE on the transactional id is asked first: without it, nothing else is said.
      const allowed = await ctx.authz.allowed('WRITE', 'TRANSACTIONAL_ID', body.transactionalId);
      responses = failAll(
        allowed
          ? new InvalidRequestError('transactions are not supported yet')
          : authorizationError('TRANSACTIONAL_ID', 'WRITE', body.transactionalId),
      );
    } else {
      // Every topic is looked up first; then all join the flush at once, in this request's place.
      const prepared = await Promise.all(body.topicData.map((t) => prepareTopic(ctx, t)));
      const produced = prepared.map((p) => p());
      ctx.admitted();
      responses = await Promise.all(produced);
    }
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
  reject(_ctx, body, code) {
    return {
      responses: body.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({
          index: p.index,
          errorCode: code,
          baseOffset: -1n,
        })),
      })),
    };
  },
});

/**
 * Authorizes and looks up one topic of the request; returns the step that hands its partitions to
 * the flush (at once, when called) and resolves to the topic's answer.
 */
async function prepareTopic(
  ctx: RequestContext,
  t: ProduceTopic,
): Promise<() => Promise<ReturnType<typeof topicResponse>>> {
  let topic: Topic;
  try {
    // Asked before the topic is looked up, so a refused principal learns nothing of it. WRITE
    // also covers idempotent batches (KIP-679: IDEMPOTENT_WRITE on the cluster is not needed).
    await ctx.authz.require('WRITE', 'TOPIC', t.name);
    topic = await lookUp(ctx, t);
  } catch (err) {
    const failed = topicResponse(
      t.name,
      t.partitionData.map((p) => ({ partition: p.index, error: err })),
    );
    return async () => failed;
  }
  return async () => {
    const results = await ctx.flusher.produce(
      topic,
      t.partitionData.map((p) => ({ partition: p.index, records: p.records })),
      { refuseZstd: ctx.apiVersion < ZSTD_FROM_VERSION },
    );
    return topicResponse(t.name, results);
  };
}

/** KIP-110: zstd is for clients new enough to send Produce v7; Kafka refuses it in older versions. */
const ZSTD_FROM_VERSION = 7;

async function lookUp(ctx: RequestContext, t: ProduceTopic): Promise<Topic> {
  try {
    return await cachedTopic(
      ctx.engine,
      t.name,
      t.partitionData.map((p) => p.index),
    );
  } catch (err) {
    if (!(err instanceof UnknownTopicOrPartitionError)) throw err;
    // Produce may auto-create, as Kafka's does when the setting is on.
    return topicByName(ctx.engine, ctx.config, t.name, true, () => mayCreateTopic(ctx, t.name));
  }
}

function topicResponse(name: string, results: readonly PartitionProduceResult[]) {
  return {
    name,
    partitionResponses: results.map((r) =>
      r.baseOffset !== undefined
        ? { index: r.partition, errorCode: NONE, baseOffset: BigInt(r.baseOffset), logStartOffset: -1n }
        : {
            index: r.partition,
            errorCode: produceErrorCode(r.error),
            baseOffset: -1n,
            logStartOffset: -1n,
            errorMessage: kafkaErrorMessage(r.error),
          },
    ),
  };
}

/**
 * A commit the engine could not settle (CommitConflictError: every attempt ambiguous or lost to
 * contention; CONCURRENT_TRANSACTIONS over HTTP) may or may not have been written. Kafka never
 * answers a Produce with CONCURRENT_TRANSACTIONS, and librdkafka takes it as permanent; Kafka's
 * code for this is REQUEST_TIMED_OUT, which every client retries with the same producer id, epoch
 * and sequence (an idempotent retry is then found to be a duplicate).
 */
function produceErrorCode(err: unknown): number {
  return err instanceof CommitConflictError ? ERRORS.REQUEST_TIMED_OUT.kafkaCode : kafkaErrorCode(err);
}
