/** The CDK construct that deploys Strata (docs/deploy.md); bin/app.ts is a ready-made app around it. */

export type { ClusterAcls } from './kafka-gateway.js';
export * from './strata-cluster.js';
