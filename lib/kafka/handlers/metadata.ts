import type { Topic } from '../../engine/index.js';
import { authorizedOperations, filterAllowed, mayCreateTopic } from '../authorization.js';
import { BROKER_ID } from '../config.js';
import { codeOf, defineHandler, kafkaErrorCode, NONE, type RequestContext } from '../handler.js';
import { topicByName, topicsById, ZERO_UUID } from '../topic-lookup.js';

/** Every topic operation (Kafka's AclOperation bits), reported when asked and no authorizer runs. */
export const ALL_TOPIC_OPERATIONS = bits([3, 4, 5, 6, 7, 8, 10, 11]);
/** Every cluster operation. */
export const ALL_CLUSTER_OPERATIONS = bits([5, 7, 8, 9, 10, 11, 12, 14, 15]);
export const NOT_REQUESTED = -2147483648;

function bits(ops: number[]): number {
  return ops.reduce((acc, op) => acc | (1 << op), 0);
}

type TopicEntry =
  | { topic: Topic; errorCode: 0 }
  | { name: string | null; topicId: string; errorCode: number; topic?: undefined };

/**
 * Metadata: one virtual broker (node 0 at the advertised address) that leads every partition,
 * with replicas and ISR [0], a constant leader epoch of 0, and the topics' UUIDs as topic ids.
 * With authorization on, as Kafka: topics the principal may not DESCRIBE are left out of the
 * all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when named (existing or not), and
 * auto-creation needs CREATE on the cluster or the topic. Authorized operations are the real bits.
 */
export const metadataHandler = defineHandler({
  api: 'Metadata',
  min: 0,
  max: 12,
  async handle(ctx, body) {
    const entries = await lookUp(ctx, body);
    const refused = codeOf('TOPIC_AUTHORIZATION_FAILED');
    const topicOps = await Promise.all(
      entries.map(async (e) => {
        // Nothing is said of a topic the principal may not see, not even what it may do there.
        if (!body.includeTopicAuthorizedOperations || e.errorCode === refused) return NOT_REQUESTED;
        const name = e.topic ? e.topic.name : e.name;
        if (name === null) return ALL_TOPIC_OPERATIONS;
        return authorizedOperations(ctx, 'TOPIC', name, ALL_TOPIC_OPERATIONS);
      }),
    );
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: BROKER_ID, host: ctx.broker.host, port: ctx.broker.port, rack: null }],
      clusterId: ctx.config.clusterId,
      controllerId: BROKER_ID,
      clusterAuthorizedOperations: body.includeClusterAuthorizedOperations
        ? await authorizedOperations(ctx, 'CLUSTER', undefined, ALL_CLUSTER_OPERATIONS)
        : NOT_REQUESTED,
      topics: entries.map((e, i) =>
        e.topic
          ? {
              errorCode: NONE,
              name: e.topic.name,
              topicId: e.topic.topicId,
              isInternal: false,
              partitions: Array.from({ length: e.topic.partitions }, (_, p) => ({
                errorCode: NONE,
                partitionIndex: p,
                leaderId: BROKER_ID,
                leaderEpoch: 0,
                replicaNodes: [BROKER_ID],
                isrNodes: [BROKER_ID],
                offlineReplicas: [],
              })),
              topicAuthorizedOperations: topicOps[i] as number,
            }
          : {
              errorCode: e.errorCode,
              name: e.name,
              topicId: e.topicId,
              isInternal: false,
              partitions: [],
              topicAuthorizedOperations: topicOps[i] as number,
            },
      ),
    };
  },
});

async function lookUp(
  ctx: RequestContext,
  body: { topics: { topicId: string; name: string | null }[] | null; allowAutoTopicCreation: boolean },
): Promise<TopicEntry[]> {
  const { engine, config } = ctx;
  // v0 has no null: an empty list means all topics there, and none from v1 on.
  if (body.topics === null || (ctx.apiVersion === 0 && body.topics.length === 0)) {
    const all = [...(await topicsById(engine)).values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    // Kafka leaves out what the principal may not DESCRIBE, so listing reveals nothing.
    const visible = await filterAllowed(
      ctx,
      'DESCRIBE',
      'TOPIC',
      all.map((t) => t.name),
    );
    return all.filter((t) => visible.has(t.name)).map((topic) => ({ topic, errorCode: 0 }));
  }
  const byId = body.topics.some((t) => t.name === null) ? await topicsById(engine) : undefined;
  // Auto-creation is Metadata v4+'s flag; before v4 the request always allows it, as in Kafka.
  const allowCreate = ctx.apiVersion < 4 || body.allowAutoTopicCreation;
  return Promise.all(
    body.topics.map(async (t): Promise<TopicEntry> => {
      if (t.name === null) {
        const topic = byId?.get(t.topicId);
        if (!topic) return { name: null, topicId: t.topicId, errorCode: codeOf('UNKNOWN_TOPIC_ID') };
        if (!(await ctx.authz.allowed('DESCRIBE', 'TOPIC', topic.name)))
          return { name: null, topicId: t.topicId, errorCode: codeOf('TOPIC_AUTHORIZATION_FAILED') };
        return { topic, errorCode: 0 };
      }
      try {
        // Asked before the lookup: whether a topic the principal may not see exists stays unsaid.
        await ctx.authz.require('DESCRIBE', 'TOPIC', t.name);
        const mayCreate = () => mayCreateTopic(ctx, t.name as string);
        return { topic: await topicByName(engine, config, t.name, allowCreate, mayCreate), errorCode: 0 };
      } catch (err) {
        return { name: t.name, topicId: ZERO_UUID, errorCode: kafkaErrorCode(err) };
      }
    }),
  );
}
