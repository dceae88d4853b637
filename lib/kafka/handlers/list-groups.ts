import { listGroups } from '../../engine/index.js';
import { defineHandler, NONE } from '../handler.js';

/** Every Strata group is a KIP-848 consumer group, whether its members come over HTTP or not. */
const GROUP_TYPE = 'consumer';
const PROTOCOL_TYPE = 'consumer';

/**
 * ListGroups v0-5: every group, with its state (v4+: Empty, Reconciling or Stable) and type (v5+).
 * The states and types filters (v4+, v5+) match case-insensitively, as Kafka's do; empty means all.
 */
export const listGroupsHandler = defineHandler({
  api: 'ListGroups',
  min: 0,
  max: 5,
  async handle(ctx, body) {
    const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
    const states = ctx.apiVersion >= 4 ? lower(body.statesFilter) : new Set<string>();
    const types = ctx.apiVersion >= 5 ? lower(body.typesFilter) : new Set<string>();
    const groups = types.size > 0 && !types.has(GROUP_TYPE) ? [] : await listGroups(ctx.engine);
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      groups: groups
        .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .map((g) => ({
          groupId: g.groupId,
          protocolType: PROTOCOL_TYPE,
          groupState: g.state,
          groupType: GROUP_TYPE,
        })),
    };
  },
});
