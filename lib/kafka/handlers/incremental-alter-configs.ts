import {
  alterTopicConfig,
  type ConfigChange,
  type ConfigOperation,
  InvalidRequestError,
} from '../../engine/index.js';
import { alterResources } from '../configs.js';
import { defineHandler } from '../handler.js';

/** Kafka's AlterConfigOp.OpType ids. */
const OPERATIONS: readonly ConfigOperation[] = ['set', 'delete', 'append', 'subtract'];

/**
 * IncrementalAlterConfigs v0-1: SET, DELETE (back to the default), APPEND and SUBTRACT (list
 * configs only, else INVALID_CONFIG) on a topic's configs. Broker configs are read-only
 * (INVALID_REQUEST).
 */
export const incrementalAlterConfigsHandler = defineHandler({
  api: 'IncrementalAlterConfigs',
  min: 0,
  max: 1,
  async handle(ctx, body) {
    const responses = await alterResources(ctx.authz, body.resources, (r) => {
      const changes: ConfigChange[] = r.configs.map((c) => {
        const op = OPERATIONS[c.configOperation];
        if (!op) throw new InvalidRequestError(`unknown config operation ${c.configOperation}`);
        return { name: c.name, op, value: c.value };
      });
      return alterTopicConfig(ctx.engine, r.resourceName, { changes }, { validateOnly: body.validateOnly });
    });
    return { throttleTimeMs: 0, responses };
  },
});
