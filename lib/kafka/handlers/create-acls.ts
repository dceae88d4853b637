import { createAcls } from '../../engine/index.js';
import { bindingFromWire } from '../acl-wire.js';
import { codeOf, defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * CreateAcls v1-3: stores each binding (engine createAcls); one Kafka cannot store is answered
 * INVALID_REQUEST and the others are still created. Needs ALTER on the cluster: without it every
 * creation is CLUSTER_AUTHORIZATION_FAILED and nothing is stored. Served whether or not
 * authorization is enforced, so ACLs can be set up before it is turned on (docs/decisions.md).
 */
export const createAclsHandler = defineHandler({
  api: 'CreateAcls',
  min: 1,
  max: 3,
  async handle(ctx, body) {
    if (!(await ctx.authz.allowed('ALTER', 'CLUSTER'))) {
      const errorCode = codeOf('CLUSTER_AUTHORIZATION_FAILED');
      const errorMessage = 'not authorized to ALTER on the cluster';
      return { throttleTimeMs: 0, results: body.creations.map(() => ({ errorCode, errorMessage })) };
    }
    const parsed = body.creations.map((c) => bindingFromWire({ ...c, patternType: c.resourcePatternType }));
    const valid = parsed.filter((p) => typeof p !== 'string');
    const created = await createAcls(ctx.engine, valid);
    let next = 0;
    const results = parsed.map((p) => {
      if (typeof p === 'string') return { errorCode: codeOf('INVALID_REQUEST'), errorMessage: p };
      const r = created[next++];
      return r?.error
        ? { errorCode: kafkaErrorCode(r.error), errorMessage: kafkaErrorMessage(r.error) }
        : { errorCode: NONE, errorMessage: null };
    });
    return { throttleTimeMs: 0, results };
  },
});
