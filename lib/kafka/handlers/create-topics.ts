import { authorizationError, createTopic, InvalidRequestError } from '../../engine/index.js';
import { mayCreateTopic } from '../authorization.js';
import { topicConfigs } from '../configs.js';
import { duplicates } from '../duplicates.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * CreateTopics v2-7. Names, partitions and configs are validated as HTTP validates them; -1
 * partitions is the gateway's num.partitions; any replication factor of 1 or more is accepted
 * and reported as 1 (one copy, in S3). validateOnly checks everything and creates nothing.
 */
export const createTopicsHandler = defineHandler({
  api: 'CreateTopics',
  min: 2,
  max: 7,
  async handle(ctx, body) {
    const twice = duplicates(body.topics.map((t) => t.name));
    const topics = await Promise.all(
      body.topics.map(async (t) => {
        try {
          if (twice.has(t.name)) throw new InvalidRequestError(`topic ${t.name} appears more than once`);
          if (!(await mayCreateTopic(ctx, t.name))) throw authorizationError('TOPIC', 'CREATE', t.name);
          const topic = await createTopic(
            ctx.engine,
            {
              name: t.name,
              ...(t.numPartitions !== -1 ? { partitions: t.numPartitions } : {}),
              ...(t.replicationFactor !== -1 ? { replicationFactor: t.replicationFactor } : {}),
              config: Object.fromEntries(t.configs.map((c) => [c.name, c.value])),
              assignedPartitions: t.assignments.map((a) => a.partitionIndex),
            },
            { validateOnly: body.validateOnly, defaultPartitions: ctx.config.defaultPartitions },
          );
          return {
            name: t.name,
            topicId: topic.topicId,
            errorCode: NONE,
            errorMessage: null,
            numPartitions: topic.partitions,
            replicationFactor: 1,
            configs: topicConfigs(topic, { includeSynonyms: false, includeDocumentation: false }).map(
              (c) => ({
                name: c.name,
                value: c.value,
                readOnly: c.readOnly,
                configSource: c.configSource,
                isSensitive: c.isSensitive,
              }),
            ),
          };
        } catch (err) {
          return {
            name: t.name,
            errorCode: kafkaErrorCode(err),
            errorMessage: kafkaErrorMessage(err),
            numPartitions: -1,
            replicationFactor: -1,
            configs: [],
          };
        }
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
});
