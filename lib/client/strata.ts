/**
 * `new Strata({ endpoint })`: the entry point, in the place of KafkaJS's `new Kafka({ brokers })`.
 * Browser-safe: it needs only `fetch`, `TextEncoder`/`TextDecoder` and timers.
 */
import { Admin } from './admin.js';
import { StrataApi } from './api.js';
import { Consumer } from './consumer.js';
import { type RequestSigner, Transport } from './http.js';
import { createLogger, type LogCreator, type Logger, type LogLevel, logLevel } from './logger.js';
import { TopicMetadataCache } from './metadata.js';
import { Producer } from './producer.js';
import { type ResolvedRetry, type RetryOptions, resolveRetry } from './retry.js';
import { type TableConfig, TableView } from './table.js';
import type { ConsumerConfig, DataPath, MessageBytes, ProducerConfig } from './types.js';

export interface StrataConfig {
  /** The API's base URL, e.g. http://localhost:4510 or the API Gateway stage URL. */
  endpoint: string;
  clientId?: string;
  retry?: RetryOptions;
  /** ms per request (long polls get their wait on top). Default 30000. */
  requestTimeout?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Signs each request before it is sent (e.g. SigV4 for an IAM-authorised API). */
  requestSigner?: RequestSigner;
  /**
   * How producers and consumers move records: `binary` (default), Kafka RecordBatch v2 bytes per
   * partition; `json`, the JSON records routes. A producer's or consumer's own setting wins.
   */
  dataPath?: DataPath;
  logLevel?: LogLevel;
  logCreator?: LogCreator;
  /** Accepted so that `new Kafka({ clientId, brokers })` call sites port by renaming alone; ignored. */
  brokers?: unknown;
  ssl?: unknown;
  sasl?: unknown;
  connectionTimeout?: number;
}

export class Strata {
  readonly api: StrataApi;
  private readonly retry: ResolvedRetry;
  private readonly log: Logger;
  private readonly metadata: TopicMetadataCache;
  private readonly clientId: string | undefined;
  private readonly consumers = new Map<string, Consumer>();
  private readonly dataPath: DataPath;

  constructor(config: StrataConfig) {
    if (!config || typeof config.endpoint !== 'string' || config.endpoint === '') {
      throw new TypeError(
        'Strata: `endpoint` is required, e.g. new Strata({ endpoint: "http://localhost:4510" })',
      );
    }
    this.retry = resolveRetry(config.retry);
    this.dataPath = config.dataPath ?? 'binary';
    this.clientId = config.clientId;
    this.log = createLogger(config.logLevel ?? logLevel.INFO, config.logCreator);
    const transport = new Transport({
      endpoint: config.endpoint,
      retry: this.retry,
      logger: this.log.namespace('http'),
      ...(config.fetch ? { fetch: config.fetch } : {}),
      ...(config.requestSigner ? { requestSigner: config.requestSigner } : {}),
      ...(config.clientId ? { clientId: config.clientId } : {}),
      ...(config.requestTimeout ? { requestTimeout: config.requestTimeout } : {}),
    });
    this.api = new StrataApi(transport);
    this.metadata = new TopicMetadataCache(this.api);
  }

  producer(config: ProducerConfig = {}): Producer {
    const metadata =
      config.metadataMaxAge === undefined
        ? this.metadata
        : new TopicMetadataCache(this.api, config.metadataMaxAge);
    return new Producer(
      this.api,
      metadata,
      { dataPath: this.dataPath, ...config },
      this.retry,
      this.log.namespace('producer'),
      (groupId) => this.consumers.get(groupId),
    );
  }

  consumer(config: ConsumerConfig): Consumer {
    const consumer = new Consumer(
      this.api,
      config && { dataPath: this.dataPath, ...config },
      this.retry,
      this.log.namespace(`consumer.${config?.groupId ?? ''}`),
    );
    // The latest consumer of a group is the one a transaction's sendOffsets commits as.
    if (config?.groupId) this.consumers.set(config.groupId, consumer);
    return consumer;
  }

  /**
   * A topic as a table: key to latest value, kept current (docs/client.md "Table view").
   * `await table.ready()` starts it and waits until it holds the topic as it was then.
   */
  table<V = MessageBytes>(config: TableConfig<V>): TableView<V> {
    return new TableView<V>(
      this.api,
      { dataPath: this.dataPath, ...config },
      this.retry,
      this.log.namespace(`table.${config?.topic ?? ''}`),
    );
  }

  admin(_config: { retry?: RetryOptions } = {}): Admin {
    return new Admin(this.api, this.metadata, this.log.namespace('admin'));
  }

  logger(): Logger {
    return this.log;
  }
}
