/** The CDK construct that deploys Strata (docs/deploy.md); bin/app.ts is a ready-made app around it. */
export * from './strata-cluster.js';
export type { ClusterAcls } from './kafka-gateway.js';
