import { getTopic, InvalidRequestError } from '../../engine/index.js';
import { BROKER_ID } from '../config.js';
import { brokerConfigs, type ConfigEntry, type DescribeOptions, RESOURCE, topicConfigs } from '../configs.js';
import { defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE, type RequestContext } from '../handler.js';
import type { RequestBody } from '../protocol/schema/index.js';

type Resource = RequestBody<'DescribeConfigs'>['resources'][number];

/**
 * DescribeConfigs v1-4. A topic: every config it stores, set ones as DYNAMIC_TOPIC_CONFIG and the
 * rest as DEFAULT_CONFIG; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION. The broker, by its id
 * "0": the settings clients read (all read-only). The broker by "" means the cluster-wide dynamic
 * defaults, as in Kafka, and there are none. Any other resource type (groups, broker loggers,
 * client metrics) is INVALID_REQUEST.
 */
export const describeConfigsHandler = defineHandler({
  api: 'DescribeConfigs',
  min: 1,
  max: 4,
  async handle(ctx, body) {
    const options: DescribeOptions = {
      includeSynonyms: body.includeSynonyms,
      includeDocumentation: body.includeDocumentation,
    };
    const results = await Promise.all(
      body.resources.map(async (r) => {
        try {
          const wanted = r.configurationKeys?.length ? new Set(r.configurationKeys) : undefined;
          const configs = (await describe(ctx, r, options)).filter((c) => !wanted || wanted.has(c.name));
          return {
            errorCode: NONE,
            errorMessage: null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs,
          };
        } catch (err) {
          return {
            errorCode: kafkaErrorCode(err),
            errorMessage: kafkaErrorMessage(err),
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [],
          };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});

async function describe(ctx: RequestContext, r: Resource, options: DescribeOptions): Promise<ConfigEntry[]> {
  switch (r.resourceType) {
    case RESOURCE.TOPIC:
      // Asked before the lookup, as Kafka: a refused principal does not learn the topic exists.
      await ctx.authz.require('DESCRIBE_CONFIGS', 'TOPIC', r.resourceName);
      return topicConfigs(await getTopic(ctx.engine, r.resourceName), options);
    case RESOURCE.BROKER:
      await ctx.authz.require('DESCRIBE_CONFIGS', 'CLUSTER');
      if (r.resourceName === '') return [];
      if (r.resourceName !== String(BROKER_ID)) {
        throw new InvalidRequestError(
          `unexpected broker id: expected ${BROKER_ID} or the empty string, got ${JSON.stringify(r.resourceName)}`,
        );
      }
      return brokerConfigs(ctx.config, ctx.broker, options);
    default:
      throw new InvalidRequestError(`unsupported config resource type ${r.resourceType}`);
  }
}
