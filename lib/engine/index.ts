/**
 * The engine's public face, for the edges (the Lambda handlers, the local stack, the Kafka gateway
 * to come): build an Engine once per process, then call operations with it. Everything else under
 * lib/engine is internal to the engine.
 */

export * from './acl.js';
export * from './config.js';
export * from './engine.js';
export * from './errors.js';
export * from './groups/classic.js';
export * from './groups/coordinator.js';
export * from './groups/kafka-consumer-group.js';
export * from './ops/acls.js';
export * from './ops/authorize.js';
export * from './ops/fetch.js';
export * from './ops/fetch-batches.js';
export * from './ops/leader-epoch.js';
export * from './ops/list-offsets.js';
export * from './ops/maintenance.js';
export * from './ops/produce.js';
export * from './ops/produce-batches.js';
export * from './ops/produce-flush.js';
export * from './ops/producers.js';
export * from './ops/retention.js';
export * from './ops/topics.js';
export * from './ops/users.js';
export * from './principal.js';
export * from './scram.js';
export { createAwsClients } from './storage/aws-clients.js';
export { ensureStorage } from './storage/provision.js';
export type * from './types.js';
