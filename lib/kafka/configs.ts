import { TOPIC_CONFIG_DEFAULTS, topicConfigString } from '../contract/limits.js';
import { type Authorizer, InvalidRequestError, type Topic, topicConfigEntries } from '../engine/index.js';
import { BROKER_ID, DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from './config.js';
import { duplicates } from './duplicates.js';
import { kafkaErrorCode, kafkaErrorMessage, NONE } from './handler.js';

/** Kafka's ConfigResource types. */
export const RESOURCE = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** Kafka's ConfigSource ids, as DescribeConfigs and CreateTopics report them. */
export const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

/** Kafka's ConfigType ids (DescribeConfigs v3+). */
const TYPE = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7 } as const;

/** One config as DescribeConfigs answers it. */
export interface ConfigEntry {
  name: string;
  value: string;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string; source: number }[];
  configType: number;
  documentation: string | null;
}

export interface DescribeOptions {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

interface TopicConfigInfo {
  type: number;
  /** The broker setting that gives the topic its default (Kafka's synonym). */
  broker: string;
  doc: string;
}

const TOPIC_CONFIGS: Record<string, TopicConfigInfo> = {
  'cleanup.policy': {
    type: TYPE.LIST,
    broker: 'log.cleanup.policy',
    doc: 'delete: old records go by retention.ms and retention.bytes; compact: the latest record of each key is kept; compact,delete: both.',
  },
  'delete.retention.ms': {
    type: TYPE.LONG,
    broker: 'log.cleaner.delete.retention.ms',
    doc: 'How long a tombstone (a key with a null value) is kept once compaction reaches it, in milliseconds.',
  },
  'max.message.bytes': {
    type: TYPE.INT,
    broker: 'message.max.bytes',
    doc: 'The largest record batch the topic accepts, in bytes.',
  },
  'max.compaction.lag.ms': {
    type: TYPE.LONG,
    broker: 'log.cleaner.max.compaction.lag.ms',
    doc: 'The longest a record stays uncompacted on a compacted topic, in milliseconds (9223372036854775807: no bound).',
  },
  'message.timestamp.type': {
    type: TYPE.STRING,
    broker: 'log.message.timestamp.type',
    doc: 'CreateTime or LogAppendTime: which timestamp the topic reports (batches keep the producer time).',
  },
  'min.cleanable.dirty.ratio': {
    type: TYPE.DOUBLE,
    broker: 'log.cleaner.min.cleanable.ratio',
    doc: 'The share of a partition (0 to 1) that must be uncompacted before compaction picks it.',
  },
  'min.compaction.lag.ms': {
    type: TYPE.LONG,
    broker: 'log.cleaner.min.compaction.lag.ms',
    doc: 'The shortest a record stays uncompacted on a compacted topic, in milliseconds.',
  },
  'retention.bytes': {
    type: TYPE.LONG,
    broker: 'log.retention.bytes',
    doc: 'The most bytes a partition keeps before its oldest batches go (-1: no limit).',
  },
  'retention.ms': {
    type: TYPE.LONG,
    broker: 'log.retention.ms',
    doc: 'How long a batch is kept after its newest record, in milliseconds (-1: forever).',
  },
};

/**
 * Every config a topic stores, with Kafka's sources: a key set for the topic is
 * DYNAMIC_TOPIC_CONFIG; any other takes the built-in default (DEFAULT_CONFIG), which the broker
 * reports under its own name (the synonym, such as log.retention.ms for retention.ms).
 */
export function topicConfigs(topic: Topic, options: DescribeOptions): ConfigEntry[] {
  return topicConfigEntries(topic).map((e) => {
    const info = TOPIC_CONFIGS[e.name];
    const defaults: Record<string, unknown> = TOPIC_CONFIG_DEFAULTS;
    const synonyms = [
      ...(e.overridden ? [{ name: e.name, value: e.value, source: SOURCE.DYNAMIC_TOPIC_CONFIG }] : []),
      ...(info
        ? [
            {
              name: info.broker,
              value: topicConfigString(e.name, defaults[e.name]),
              source: SOURCE.DEFAULT_CONFIG,
            },
          ]
        : []),
    ];
    return {
      name: e.name,
      value: e.value,
      readOnly: false,
      configSource: e.overridden ? SOURCE.DYNAMIC_TOPIC_CONFIG : SOURCE.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: info?.type ?? TYPE.STRING,
      documentation: options.includeDocumentation ? (info?.doc ?? null) : null,
    };
  });
}

interface BrokerSetting {
  name: string;
  value: string;
  type: number;
  doc: string;
  /** Set by the gateway's configuration (or fixed by Strata's design) rather than a built-in default. */
  static: boolean;
}

/**
 * The broker settings clients and tools read, all read-only: those that come from the gateway's
 * configuration are STATIC_BROKER_CONFIG when set to other than the built-in default, the rest
 * DEFAULT_CONFIG (Strata's built-in values).
 */
function brokerSettings(config: GatewayConfig, broker: { host: string; port: number }): BrokerSetting[] {
  const d = DEFAULT_GATEWAY_CONFIG;
  const t = TOPIC_CONFIG_DEFAULTS;
  const fixed = (name: string, value: string | number | boolean, type: number, doc: string) => ({
    name,
    value: String(value),
    type,
    doc,
    static: false,
  });
  const fromConfig = (
    name: string,
    value: string | number | boolean,
    fallback: string | number | boolean,
    type: number,
    doc: string,
  ) => ({ name, value: String(value), type, doc, static: value !== fallback });
  return [
    {
      name: 'advertised.listeners',
      value: `PLAINTEXT://${broker.host}:${broker.port}`,
      type: TYPE.STRING,
      doc: 'Where clients reach the one virtual broker.',
      static: true,
    },
    fromConfig(
      'auto.create.topics.enable',
      config.autoCreateTopics,
      d.autoCreateTopics,
      TYPE.BOOLEAN,
      'Whether Metadata (when the request allows it) and Produce create a missing topic.',
    ),
    {
      name: 'broker.id',
      value: String(BROKER_ID),
      type: TYPE.INT,
      doc: 'The one virtual broker that leads every partition.',
      static: true,
    },
    fixed('compression.type', 'producer', TYPE.STRING, 'Batches are stored as the producer compressed them.'),
    fromConfig(
      'connections.max.idle.ms',
      config.idleMs,
      d.idleMs,
      TYPE.LONG,
      'A connection with nothing in flight is closed after this long.',
    ),
    fixed('default.replication.factor', 1, TYPE.INT, 'Every topic is stored once, in S3.'),
    fixed('delete.topic.enable', true, TYPE.BOOLEAN, 'DeleteTopics deletes topics.'),
    fixed(
      'log.cleaner.delete.retention.ms',
      t['delete.retention.ms'],
      TYPE.LONG,
      'The default delete.retention.ms of topics.',
    ),
    fixed(
      'log.cleaner.max.compaction.lag.ms',
      topicConfigString('max.compaction.lag.ms', t['max.compaction.lag.ms']),
      TYPE.LONG,
      'The default max.compaction.lag.ms of topics.',
    ),
    fixed(
      'log.cleaner.min.cleanable.ratio',
      t['min.cleanable.dirty.ratio'],
      TYPE.DOUBLE,
      'The default min.cleanable.dirty.ratio of topics.',
    ),
    fixed(
      'log.cleaner.min.compaction.lag.ms',
      t['min.compaction.lag.ms'],
      TYPE.LONG,
      'The default min.compaction.lag.ms of topics.',
    ),
    fixed('log.cleanup.policy', t['cleanup.policy'], TYPE.LIST, 'The default cleanup.policy of topics.'),
    fixed(
      'log.message.timestamp.type',
      t['message.timestamp.type'],
      TYPE.STRING,
      'The default message.timestamp.type of topics.',
    ),
    fixed('log.retention.bytes', t['retention.bytes'], TYPE.LONG, 'The default retention.bytes of topics.'),
    fixed('log.retention.ms', t['retention.ms'], TYPE.LONG, 'The default retention.ms of topics.'),
    fixed('message.max.bytes', t['max.message.bytes'], TYPE.INT, 'The default max.message.bytes of topics.'),
    fixed('min.insync.replicas', 1, TYPE.INT, 'One copy acknowledges every write.'),
    {
      name: 'node.id',
      value: String(BROKER_ID),
      type: TYPE.INT,
      doc: 'The one virtual broker that leads every partition.',
      static: true,
    },
    fromConfig(
      'num.partitions',
      config.defaultPartitions,
      d.defaultPartitions,
      TYPE.INT,
      'Partitions of an auto-created topic, and of CreateTopics with -1.',
    ),
    fixed('offsets.topic.replication.factor', 1, TYPE.SHORT, 'Committed offsets live in DynamoDB.'),
    fromConfig(
      'socket.request.max.bytes',
      config.maxFrameBytes,
      d.maxFrameBytes,
      TYPE.INT,
      'A larger request frame closes the connection.',
    ),
    fixed('transaction.state.log.min.isr', 1, TYPE.INT, 'Transactions are not served yet.'),
    fixed('transaction.state.log.replication.factor', 1, TYPE.SHORT, 'Transactions are not served yet.'),
  ];
}

/** The broker's configs (resource name "0"), all read-only. */
export function brokerConfigs(
  config: GatewayConfig,
  broker: { host: string; port: number },
  options: DescribeOptions,
): ConfigEntry[] {
  return brokerSettings(config, broker).map((s) => {
    const source = s.static ? SOURCE.STATIC_BROKER_CONFIG : SOURCE.DEFAULT_CONFIG;
    return {
      name: s.name,
      value: s.value,
      readOnly: true,
      configSource: source,
      isSensitive: false,
      synonyms: options.includeSynonyms ? [{ name: s.name, value: s.value, source }] : [],
      configType: s.type,
      documentation: options.includeDocumentation ? s.doc : null,
    };
  });
}

/**
 * The common frame of AlterConfigs and IncrementalAlterConfigs: a resource named twice is
 * INVALID_REQUEST (both entries), a topic is altered by `alterTopic`, the broker's configs are
 * read-only and any other type unknown, both INVALID_REQUEST, as Kafka answers a config it cannot
 * change dynamically.
 */
export async function alterResources<R extends { resourceType: number; resourceName: string }>(
  authz: Authorizer,
  resources: readonly R[],
  alterTopic: (resource: R) => Promise<unknown>,
): Promise<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[]> {
  const twice = duplicates(resources.map((r) => `${r.resourceType}/${r.resourceName}`));
  return Promise.all(
    resources.map(async (r) => {
      const answer = (err?: unknown) => ({
        errorCode: err === undefined ? NONE : kafkaErrorCode(err),
        errorMessage: err === undefined ? null : kafkaErrorMessage(err),
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      });
      try {
        if (twice.has(`${r.resourceType}/${r.resourceName}`)) {
          throw new InvalidRequestError('each resource must appear at most once');
        }
        // ALTER_CONFIGS is asked before anything else is said of the resource, as Kafka does.
        if (r.resourceType === RESOURCE.TOPIC) await authz.require('ALTER_CONFIGS', 'TOPIC', r.resourceName);
        if (r.resourceType === RESOURCE.BROKER) {
          await authz.require('ALTER_CONFIGS', 'CLUSTER');
          throw new InvalidRequestError(
            "broker configs are read-only: they come from the gateway's settings (docs/kafka.md)",
          );
        }
        if (r.resourceType !== RESOURCE.TOPIC) {
          throw new InvalidRequestError(`unsupported config resource type ${r.resourceType}`);
        }
        await alterTopic(r);
        return answer();
      } catch (err) {
        return answer(err);
      }
    }),
  );
}
