import type { AclBinding } from '../../contract/acl.js';
import { bindingKey, describeAcls } from '../../engine/index.js';
import { bindingToWire, filterFromWire } from '../acl-wire.js';
import { codeOf, defineHandler, NONE } from '../handler.js';

/**
 * DescribeAcls v1-3: the stored bindings the filter selects, grouped by resource pattern as
 * Kafka answers them. Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED otherwise); a
 * filter with codes Kafka does not know is INVALID_REQUEST.
 */
export const describeAclsHandler = defineHandler({
  api: 'DescribeAcls',
  min: 1,
  max: 3,
  async handle(ctx, body) {
    const refused = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      resources: [],
    });
    if (!(await ctx.authz.allowed('DESCRIBE', 'CLUSTER')))
      return refused(codeOf('CLUSTER_AUTHORIZATION_FAILED'), 'not authorized to DESCRIBE on the cluster');
    const filter = filterFromWire(body);
    if (typeof filter === 'string') return refused(codeOf('INVALID_REQUEST'), filter);
    const byResource = new Map<string, AclBinding[]>();
    for (const b of await describeAcls(ctx.engine, filter)) {
      const key = bindingKey({ ...b, principal: '', host: '', operation: 'ALL', permission: 'ALLOW' });
      byResource.set(key, [...(byResource.get(key) ?? []), b]);
    }
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      errorMessage: null,
      resources: [...byResource.values()].map((bs) => {
        const first = bindingToWire(bs[0] as AclBinding);
        return {
          resourceType: first.resourceType,
          resourceName: first.resourceName,
          patternType: first.patternType,
          acls: bs.map((b) => {
            const w = bindingToWire(b);
            return {
              principal: w.principal,
              host: w.host,
              operation: w.operation,
              permissionType: w.permissionType,
            };
          }),
        };
      }),
    };
  },
});
