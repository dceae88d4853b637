import { listGroups } from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { defineHandler, NONE } from '../handler.js';

/**
 * ListGroups v0-5: every group, with its state (v4+: Empty, Reconciling or Stable for a KIP-848
 * group; Empty, PreparingRebalance, CompletingRebalance or Stable for a classic one) and its type
 * (v5+: 'consumer' for KIP-848, whether its members come over HTTP or not; 'classic').
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
    const all = await listGroups(ctx.engine);
    // DESCRIBE on the cluster lists every group; otherwise only those the principal may DESCRIBE.
    const visible = (await ctx.authz.allowed('DESCRIBE', 'CLUSTER'))
      ? undefined
      : await filterAllowed(
          ctx,
          'DESCRIBE',
          'GROUP',
          all.map((g) => g.groupId),
        );
    const groups = visible ? all.filter((g) => visible.has(g.groupId)) : all;
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      groups: groups
        .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .filter((g) => types.size === 0 || types.has(g.type))
        .map((g) => ({
          groupId: g.groupId,
          protocolType: g.protocolType,
          groupState: g.state,
          groupType: g.type,
        })),
    };
  },
});
