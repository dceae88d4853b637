import { alterTopicConfig, type TopicConfigAlteration } from '../../engine/index.js';
import { alterResources } from '../configs.js';
import { defineHandler } from '../handler.js';

/**
 * AlterConfigs v0-2, Kafka's legacy form: a topic's configs become exactly those given, every
 * other key returning to its default. Broker configs are read-only (INVALID_REQUEST).
 */
export const alterConfigsHandler = defineHandler({
  api: 'AlterConfigs',
  min: 0,
  max: 2,
  async handle(ctx, body) {
    const responses = await alterResources(ctx.authz, body.resources, (r) => {
      const alteration: TopicConfigAlteration = {
        replace: r.configs.map((c) => ({ name: c.name, value: c.value })),
      };
      return alterTopicConfig(ctx.engine, r.resourceName, alteration, { validateOnly: body.validateOnly });
    });
    return { throttleTimeMs: 0, responses };
  },
});
