import type { AclBinding } from '../../lib/contract/acl.js';

/** An ACL binding: User:alice may READ the LITERAL topic `orders` from any host, with `over` on top. */
export const aclBinding = (over: Partial<AclBinding> = {}): AclBinding => ({
  principal: 'User:alice',
  host: '*',
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  operation: 'READ',
  permission: 'ALLOW',
  ...over,
});
