/** The Strata client: KafkaJS's API over Strata's HTTP API. See docs/client.md. */

// For the raw API's binary routes (strata.api.produceBatches / fetchBatches): the contract's codec.
export {
  type BatchProducerInfo,
  type BatchRecord,
  encodeUncompressedBatch,
  NO_PRODUCER,
  RECORD_BATCH_CONTENT_TYPE,
} from '../contract/record-batch.js';
export { ADMIN_EVENTS, Admin } from './admin.js';
export * from './api.js';
export { CONSUMER_EVENTS, Consumer, subscriptionToWire } from './consumer.js';
export * from './errors.js';
export type { InstrumentationEvent, Listener, RemoveListener } from './events.js';
export type { RequestSigner, SignableRequest } from './http.js';
export {
  createLogger,
  type LogCreator,
  type LogEntry,
  type Logger,
  type LogLevel,
  logLevel,
} from './logger.js';
export { PRODUCER_EVENTS, Producer, Transaction } from './producer.js';
export { decodeFetchedBatches } from './record-batches.js';
export { backoffDelay, DEFAULT_RETRY, type RetryOptions } from './retry.js';
export { Strata, type StrataConfig } from './strata.js';
export { TABLE_EVENTS, type TableConfig, type TableUpdate, TableView } from './table.js';
export * from './types.js';

import { PRODUCER_EVENTS } from './producer.js';

/**
 * KafkaJS's partitioner choices, for ports that name one: all of them are Kafka's murmur2
 * partitioner here (KafkaJS's DefaultPartitioner is the same since v2).
 */
export const Partitioners = {
  DefaultPartitioner: undefined,
  JavaCompatiblePartitioner: undefined,
  LegacyPartitioner: undefined,
} as const;

/** KafkaJS exposes the producer's event names statically too. */
export const ProducerEvents = PRODUCER_EVENTS;
