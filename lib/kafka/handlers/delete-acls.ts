import type { AclFilter } from '../../contract/acl.js';
import { deleteAcls } from '../../engine/index.js';
import { bindingToWire, filterFromWire } from '../acl-wire.js';
import { codeOf, defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * DeleteAcls v1-3: each filter deletes every binding it selects (ANY, MATCH as Kafka's) and
 * answers them; a filter with codes Kafka does not know is INVALID_REQUEST. Needs ALTER on the
 * cluster: without it every filter is CLUSTER_AUTHORIZATION_FAILED and nothing is deleted.
 */
export const deleteAclsHandler = defineHandler({
  api: 'DeleteAcls',
  min: 1,
  max: 3,
  async handle(ctx, body) {
    const failed = (errorCode: number, errorMessage: string | null) => ({
      errorCode,
      errorMessage,
      matchingAcls: [],
    });
    if (!(await ctx.authz.allowed('ALTER', 'CLUSTER'))) {
      const refused = failed(
        codeOf('CLUSTER_AUTHORIZATION_FAILED'),
        'not authorized to ALTER on the cluster',
      );
      return { throttleTimeMs: 0, filterResults: body.filters.map(() => refused) };
    }
    const parsed = body.filters.map(filterFromWire);
    const deletions = await deleteAcls(
      ctx.engine,
      parsed.filter((p): p is AclFilter => typeof p !== 'string'),
    );
    let next = 0;
    const filterResults = parsed.map((p) => {
      if (typeof p === 'string') return failed(codeOf('INVALID_REQUEST'), p);
      const d = deletions[next++];
      if (!d) return failed(codeOf('UNKNOWN_SERVER_ERROR'), null);
      if (d.error) return failed(kafkaErrorCode(d.error), kafkaErrorMessage(d.error));
      return {
        errorCode: NONE,
        errorMessage: null,
        matchingAcls: d.deleted.map((b) => ({ errorCode: NONE, errorMessage: null, ...bindingToWire(b) })),
      };
    });
    return { throttleTimeMs: 0, filterResults };
  },
});
