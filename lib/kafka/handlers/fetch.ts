import {
  fetchBatches,
  type PartitionFetchRequest,
  type PartitionFetchResult,
  type Topic,
  UnknownTopicIdError,
} from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE, type RequestContext } from '../handler.js';
import type { RequestBody } from '../protocol/schema/index.js';
import { cachedTopic, topicById } from '../topic-lookup.js';

type FetchBody = RequestBody<'Fetch'>;
type FetchTopic = FetchBody['topics'][number];

const READ_COMMITTED = 1;
const EMPTY = new Uint8Array(0);

/** A requested topic, found or failed, with its partitions' requests in request order. */
interface TopicFetch {
  wire: FetchTopic;
  topic?: Topic;
  error?: unknown;
}

/**
 * Fetch v4-17: the stored batches, unchanged but for their base offsets, never past the high
 * watermark. Sessions are not kept (session id 0: clients send full fetches), and with no
 * transactions the last stable offset is the high watermark at either isolation level.
 */
export const fetchHandler = defineHandler({
  api: 'Fetch',
  min: 4,
  max: 17,
  async handle(ctx, body) {
    const topics = await Promise.all(body.topics.map((t) => lookUp(ctx, t)));
    const requests: PartitionFetchRequest[] = [];
    for (const t of topics) {
      if (!t.topic) continue;
      for (const p of t.wire.partitions) {
        requests.push({
          topic: t.topic,
          partition: p.partition,
          offset: Number(p.fetchOffset),
          maxBytes: Math.max(0, p.partitionMaxBytes),
        });
      }
    }
    const results = await fetchBatches(ctx.engine, requests, {
      // A failed topic answers at once, as Kafka's fetch does on any partition error.
      maxWaitMs: topics.some((t) => !t.topic) ? 0 : Math.max(0, body.maxWaitMs),
      minBytes: body.minBytes,
      maxBytes: Math.max(0, body.maxBytes),
    });
    const aborted = body.isolationLevel === READ_COMMITTED ? [] : null;
    let next = 0;
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      sessionId: 0,
      responses: topics.map((t) => ({
        topic: t.wire.topic,
        topicId: t.wire.topicId,
        partitions: t.wire.partitions.map((p) => {
          if (!t.topic) return failed(p.partition, t.error, aborted);
          return answer(results[next++] as PartitionFetchResult, aborted);
        }),
      })),
    };
  },
});

async function lookUp(ctx: RequestContext, wire: FetchTopic): Promise<TopicFetch> {
  try {
    if (ctx.apiVersion >= 13) {
      const topic = await topicById(ctx.engine, wire.topicId);
      if (!topic) throw new UnknownTopicIdError(`no topic has id ${wire.topicId}`);
      await ctx.authz.require('READ', 'TOPIC', topic.name);
      return { wire, topic };
    }
    // Asked before the lookup: a refused principal does not learn whether the topic exists.
    await ctx.authz.require('READ', 'TOPIC', wire.topic);
    const partitions = wire.partitions.map((p) => p.partition);
    return { wire, topic: await cachedTopic(ctx.engine, wire.topic, partitions) };
  } catch (err) {
    return { wire, error: err };
  }
}

function answer(r: PartitionFetchResult, aborted: never[] | null) {
  if (r.error !== undefined) {
    return {
      ...failed(r.request.partition, r.error, aborted),
      highWatermark: BigInt(r.highWatermark),
      lastStableOffset: BigInt(r.highWatermark),
      logStartOffset: BigInt(r.logStartOffset),
    };
  }
  return {
    partitionIndex: r.request.partition,
    errorCode: NONE,
    highWatermark: BigInt(r.highWatermark),
    lastStableOffset: BigInt(r.highWatermark),
    logStartOffset: BigInt(r.logStartOffset),
    abortedTransactions: aborted,
    preferredReadReplica: -1,
    records: r.records,
  };
}

function failed(partition: number, err: unknown, aborted: never[] | null) {
  return {
    partitionIndex: partition,
    errorCode: kafkaErrorCode(err),
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: aborted,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}
