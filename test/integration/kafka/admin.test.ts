/**
 * The Kafka admin APIs against a real gateway and engine: raw wire requests for the edge cases,
 * then kafkajs, @platformatic/kafka and kafka-python as their users call them. Results are checked
 * through the HTTP API too: a topic made over Kafka is the same topic over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { ConfigResourceTypes as KafkajsResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import { TOPIC_CONFIG_DEFAULTS, topicConfigString } from '../../../lib/contract/limits.js';
import { alterTopicConfig } from '../../../lib/engine/index.js';
import type { KafkaGateway } from '../../../lib/kafka/gateway.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { startTestGateway, useTestGateway } from '../../support/gateway.js';
import { runPythonScript } from '../../support/kafka-clients.js';
import { type KafkaWire, openKafkaWire } from '../../support/kafka-wire.js';
import { kafkajsClient } from '../../support/kafkajs.js';

const DEFAULT_PARTITIONS = 3;
const ctx = useTestGateway({ defaultPartitions: DEFAULT_PARTITIONS });
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const code = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;

const K = {
  CREATE_TOPICS: APIS.CreateTopics.key,
  DELETE_TOPICS: APIS.DeleteTopics.key,
  CREATE_PARTITIONS: APIS.CreatePartitions.key,
  DELETE_RECORDS: APIS.DeleteRecords.key,
  DESCRIBE_CONFIGS: APIS.DescribeConfigs.key,
  ALTER_CONFIGS: APIS.AlterConfigs.key,
  INCREMENTAL_ALTER_CONFIGS: APIS.IncrementalAlterConfigs.key,
  DESCRIBE_CLUSTER: APIS.DescribeCluster.key,
  OFFSET_FOR_LEADER_EPOCH: APIS.OffsetForLeaderEpoch.key,
  METADATA: APIS.Metadata.key,
  API_VERSIONS: APIS.ApiVersions.key,
} as const;

/** Kafka's config sources and resource types. */
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
const TOPIC = 2;
const BROKER = 4;
const GROUP = 32;

let wire: KafkaWire;

beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
});
afterAll(() => wire?.close());

function newTopic(
  name: string,
  extra: Partial<{
    numPartitions: number;
    replicationFactor: number;
    configs: { name: string; value: string | null }[];
    assignments: { partitionIndex: number; brokerIds: number[] }[];
  }> = {},
) {
  return {
    name,
    numPartitions: extra.numPartitions ?? -1,
    replicationFactor: extra.replicationFactor ?? -1,
    assignments: extra.assignments ?? [],
    configs: extra.configs ?? [],
  };
}

async function createTopics(version: number, topics: ReturnType<typeof newTopic>[], validateOnly = false) {
  return wire.request(K.CREATE_TOPICS, version, { topics, timeoutMs: 5000, validateOnly });
}

async function describeTopicConfigs(name: string, options: { keys?: string[]; synonyms?: boolean } = {}) {
  const res = await wire.request(K.DESCRIBE_CONFIGS, 4, {
    resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: options.keys ?? null }],
    includeSynonyms: options.synonyms ?? false,
    includeDocumentation: false,
  });
  return res.results[0];
}

async function configMap(name: string) {
  const result = await describeTopicConfigs(name);
  expect(result?.errorCode).toBe(0);
  return Object.fromEntries(
    (result?.configs ?? []).map((c) => [c.name, { value: c.value, source: c.configSource }]),
  );
}

async function produce(topic: string, partition: number, count: number) {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition }));
  expect((await ctx.http.post(`/v1/topics/${topic}/records`, { records })).status).toBe(200);
}

/** A topic's id as Metadata v12 reports it (the HTTP API does not show ids). */
async function topicIdOf(name: string): Promise<string> {
  const res = await wire.request(K.METADATA, 12, {
    topics: [{ name, topicId: ZERO_UUID }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  expect(res.topics[0]?.errorCode).toBe(0);
  return res.topics[0]?.topicId ?? ZERO_UUID;
}

async function httpPartitions(topic: string) {
  const res = await ctx.http.get(`/v1/topics/${topic}`);
  expect(res.status).toBe(200);
  return res.body.partitions as { partition: number; earliestOffset: string; latestOffset: string }[];
}

describe('ApiVersions', () => {
  it('advertises exactly the admin ranges served', async () => {
    const res = await wire.request(K.API_VERSIONS, 3, {
      clientSoftwareName: 'strata-test',
      clientSoftwareVersion: '1',
    });
    const ranges = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges).toMatchObject({
      [K.CREATE_TOPICS]: [2, 7],
      [K.DELETE_TOPICS]: [1, 6],
      [K.CREATE_PARTITIONS]: [0, 3],
      [K.DELETE_RECORDS]: [0, 2],
      [K.DESCRIBE_CONFIGS]: [1, 4],
      [K.ALTER_CONFIGS]: [0, 2],
      [K.INCREMENTAL_ALTER_CONFIGS]: [0, 1],
      [K.DESCRIBE_CLUSTER]: [0, 1],
      [K.OFFSET_FOR_LEADER_EPOCH]: [2, 4],
    });
  });
});

describe('CreateTopics over the wire', () => {
  it('validateOnly answers what would be made and changes nothing', async () => {
    const res = await createTopics(
      7,
      [
        newTopic('validated', {
          numPartitions: 2,
          replicationFactor: 3,
          configs: [{ name: 'retention.ms', value: '60000' }],
        }),
      ],
      true,
    );
    expect(res.topics[0]).toMatchObject({
      name: 'validated',
      errorCode: 0,
      numPartitions: 2,
      replicationFactor: 1,
    });
    expect(res.topics[0]?.configs?.find((c) => c.name === 'retention.ms')).toMatchObject({
      value: '60000',
      configSource: DYNAMIC_TOPIC_CONFIG,
    });
    expect((await ctx.http.get('/v1/topics/validated')).status).toBe(404);
    // A validate-only request still checks the config, and that the name is free.
    const bad = await createTopics(
      7,
      [newTopic('validated', { configs: [{ name: 'no.such', value: '1' }] })],
      true,
    );
    expect(bad.topics[0]?.errorCode).toBe(code('INVALID_CONFIG'));
    expect((await ctx.http.post('/v1/topics', { name: 'taken' })).status).toBe(201);
    const taken = await createTopics(7, [newTopic('taken')], true);
    expect(taken.topics[0]?.errorCode).toBe(code('TOPIC_ALREADY_EXISTS'));
  });

  it('creates with broker defaults for -1, reports replication 1, topic id and configs, seen over HTTP', async () => {
    const res = await createTopics(7, [
      newTopic('made-over-kafka', {
        replicationFactor: 3,
        configs: [
          { name: 'retention.ms', value: '3600000' },
          { name: 'cleanup.policy', value: 'compact' },
        ],
      }),
    ]);
    const made = res.topics[0];
    expect(made).toMatchObject({ errorCode: 0, numPartitions: DEFAULT_PARTITIONS, replicationFactor: 1 });
    expect(made?.topicId).not.toBe(ZERO_UUID);
    const configs = Object.fromEntries((made?.configs ?? []).map((c) => [c.name, c]));
    expect(configs['retention.ms']).toMatchObject({
      value: '3600000',
      configSource: DYNAMIC_TOPIC_CONFIG,
      readOnly: false,
    });
    expect(configs['cleanup.policy']).toMatchObject({ value: 'compact', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(configs['retention.bytes']).toMatchObject({ value: '-1', configSource: DEFAULT_CONFIG });

    const http = await ctx.http.get('/v1/topics/made-over-kafka');
    expect(http.status).toBe(200);
    expect(await topicIdOf('made-over-kafka')).toBe(made?.topicId);
    expect(http.body.partitions).toHaveLength(DEFAULT_PARTITIONS);
    expect(http.body.config).toMatchObject({ 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
  });

  it('refuses what HTTP refuses, with Kafka codes, one topic at a time', async () => {
    const res = await createTopics(4, [
      newTopic('bad/name'),
      newTopic('zero-partitions', { numPartitions: 0 }),
      newTopic('minus-two-partitions', { numPartitions: -2 }),
      newTopic('zero-replicas', { numPartitions: 1, replicationFactor: 0 }),
      newTopic('minus-two-replicas', { numPartitions: 1, replicationFactor: -2 }),
      newTopic('unknown-config', { configs: [{ name: 'segment.bytes', value: '1024' }] }),
      newTopic('bad-value', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      newTopic('null-value', { configs: [{ name: 'retention.ms', value: null }] }),
      newTopic('too-many', { numPartitions: 100_000 }),
      newTopic('gap', {
        assignments: [
          { partitionIndex: 0, brokerIds: [0] },
          { partitionIndex: 2, brokerIds: [0] },
        ],
      }),
      newTopic('assigned-and-counted', {
        numPartitions: 2,
        assignments: [{ partitionIndex: 0, brokerIds: [0] }],
      }),
      newTopic('twice'),
      newTopic('twice'),
      newTopic('ok-one'),
    ]);
    const byName = res.topics.map((t) => [t.name, t.errorCode]);
    expect(byName).toEqual([
      ['bad/name', code('INVALID_TOPIC_EXCEPTION')],
      ['zero-partitions', code('INVALID_PARTITIONS')],
      ['minus-two-partitions', code('INVALID_PARTITIONS')],
      ['zero-replicas', code('INVALID_REPLICATION_FACTOR')],
      ['minus-two-replicas', code('INVALID_REPLICATION_FACTOR')],
      ['unknown-config', code('INVALID_CONFIG')],
      ['bad-value', code('INVALID_CONFIG')],
      ['null-value', code('INVALID_CONFIG')],
      ['too-many', code('INVALID_PARTITIONS')],
      ['gap', code('INVALID_REPLICA_ASSIGNMENT')],
      ['assigned-and-counted', code('INVALID_REQUEST')],
      ['twice', code('INVALID_REQUEST')],
      ['twice', code('INVALID_REQUEST')],
      ['ok-one', 0],
    ]);
    expect(res.topics.every((t) => t.errorCode === 0 || t.errorMessage)).toBe(true);
    for (const name of ['zero-partitions', 'unknown-config', 'gap', 'twice']) {
      expect((await ctx.http.get(`/v1/topics/${name}`)).status).toBe(404);
    }
    expect(await httpPartitions('ok-one')).toHaveLength(DEFAULT_PARTITIONS);
    const again = await createTopics(2, [newTopic('ok-one', { numPartitions: 1, replicationFactor: 1 })]);
    expect(again.topics[0]?.errorCode).toBe(code('TOPIC_ALREADY_EXISTS'));
  });

  it('takes the partition count from a manual assignment', async () => {
    const res = await createTopics(5, [
      newTopic('assigned', {
        assignments: [
          { partitionIndex: 1, brokerIds: [0, 1, 2] },
          { partitionIndex: 0, brokerIds: [0, 1, 2] },
        ],
      }),
    ]);
    expect(res.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(await httpPartitions('assigned')).toHaveLength(2);
  });
});

describe('DeleteTopics over the wire', () => {
  it('deletes by name (v1) and by id (v6), with Kafka codes for the rest', async () => {
    for (const name of ['del-a', 'del-b', 'del-c']) {
      expect((await ctx.http.post('/v1/topics', { name })).status).toBe(201);
    }
    const v1 = await wire.request(K.DELETE_TOPICS, 1, {
      topicNames: ['del-a', 'never-was', 'bad/name'],
      timeoutMs: 5000,
    });
    expect(v1.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['del-a', 0],
      ['never-was', code('UNKNOWN_TOPIC_OR_PARTITION')],
      ['bad/name', code('UNKNOWN_TOPIC_OR_PARTITION')],
    ]);
    expect((await ctx.http.get('/v1/topics/del-a')).status).toBe(404);

    const idOfB = await topicIdOf('del-b');
    const idOfC = await topicIdOf('del-c');
    const v6 = await wire.request(K.DELETE_TOPICS, 6, {
      topics: [
        { name: null, topicId: idOfB },
        { name: null, topicId: '11111111-1111-1111-1111-111111111111' },
        { name: 'del-c', topicId: idOfC },
        { name: null, topicId: ZERO_UUID },
      ],
      timeoutMs: 5000,
    });
    expect(v6.responses.map((r) => [r.name, r.topicId, r.errorCode])).toEqual([
      ['del-b', idOfB, 0],
      [null, '11111111-1111-1111-1111-111111111111', code('UNKNOWN_TOPIC_ID')],
      ['del-c', idOfC, code('INVALID_REQUEST')],
      [null, ZERO_UUID, code('INVALID_REQUEST')],
    ]);
    expect((await ctx.http.get('/v1/topics/del-b')).status).toBe(404);
    expect((await ctx.http.get('/v1/topics/del-c')).status).toBe(200);
    const byName = await wire.request(K.DELETE_TOPICS, 6, {
      topics: [{ name: 'del-c', topicId: ZERO_UUID }],
      timeoutMs: 5000,
    });
    expect(byName.responses[0]).toMatchObject({ name: 'del-c', topicId: idOfC, errorCode: 0 });
  });
});

describe('CreatePartitions over the wire', () => {
  it('grows a topic; validateOnly and a count that does not grow change nothing', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'growing', partitions: 2 })).status).toBe(201);
    const ask = (
      count: number,
      validateOnly: boolean,
      assignments: { brokerIds: number[] }[] | null = null,
    ) =>
      wire.request(K.CREATE_PARTITIONS, 3, {
        topics: [{ name: 'growing', count, assignments }],
        timeoutMs: 5000,
        validateOnly,
      });
    expect((await ask(5, true)).results[0]?.errorCode).toBe(0);
    expect(await httpPartitions('growing')).toHaveLength(2);
    expect((await ask(2, false)).results[0]?.errorCode).toBe(code('INVALID_PARTITIONS'));
    expect((await ask(1, false)).results[0]?.errorCode).toBe(code('INVALID_PARTITIONS'));
    expect((await ask(4, false, [{ brokerIds: [0] }])).results[0]?.errorCode).toBe(
      code('INVALID_REPLICA_ASSIGNMENT'),
    );
    expect(await httpPartitions('growing')).toHaveLength(2);
    expect((await ask(4, false, [{ brokerIds: [0] }, { brokerIds: [0] }])).results[0]?.errorCode).toBe(0);
    expect(await httpPartitions('growing')).toHaveLength(4);
    const v0 = await wire.request(K.CREATE_PARTITIONS, 0, {
      topics: [{ name: 'nowhere', count: 3, assignments: null }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(v0.results[0]?.errorCode).toBe(code('UNKNOWN_TOPIC_OR_PARTITION'));
  });
});

describe('DeleteRecords over the wire', () => {
  it('moves the low watermark; -1 means the high watermark; past it is OFFSET_OUT_OF_RANGE', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'trimmed', partitions: 3 })).status).toBe(201);
    await produce('trimmed', 0, 5);
    await produce('trimmed', 1, 4);
    await produce('trimmed', 2, 2);
    const res = await wire.request(K.DELETE_RECORDS, 2, {
      topics: [
        {
          name: 'trimmed',
          partitions: [
            { partitionIndex: 0, offset: 2n },
            { partitionIndex: 1, offset: -1n },
            { partitionIndex: 2, offset: 3n },
            { partitionIndex: 7, offset: 0n },
          ],
        },
        { name: 'untrimmed-nowhere', partitions: [{ partitionIndex: 0, offset: 0n }] },
      ],
      timeoutMs: 5000,
    });
    expect(res.topics[0]?.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: 2n, errorCode: 0 },
      { partitionIndex: 1, lowWatermark: 4n, errorCode: 0 },
      { partitionIndex: 2, lowWatermark: -1n, errorCode: code('OFFSET_OUT_OF_RANGE') },
      { partitionIndex: 7, lowWatermark: -1n, errorCode: code('UNKNOWN_TOPIC_OR_PARTITION') },
    ]);
    expect(res.topics[1]?.partitions[0]?.errorCode).toBe(code('UNKNOWN_TOPIC_OR_PARTITION'));
    const parts = await httpPartitions('trimmed');
    expect(parts.map((p) => p.earliestOffset)).toEqual(['2', '4', '0']);
    // Below the log start: nothing moves back, and the answer is the log start.
    const back = await wire.request(K.DELETE_RECORDS, 0, {
      topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 1n }] }],
      timeoutMs: 5000,
    });
    expect(back.topics[0]?.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 2n, errorCode: 0 });
  });

  it('a compact-only topic refuses it with POLICY_VIOLATION and keeps its log start; compact,delete takes it', async () => {
    for (const [name, policy] of [
      ['trim-table', 'compact'],
      ['trim-both', 'compact,delete'],
    ]) {
      const made = await ctx.http.post('/v1/topics', { name, config: { 'cleanup.policy': policy } });
      expect(made.status).toBe(201);
      await ctx.http.post(`/v1/topics/${name}/records`, {
        records: [0, 1, 2].map((i) => ({ key: `k${i}`, value: 'v', partition: 0 })),
      });
    }
    const res = await wire.request(K.DELETE_RECORDS, 2, {
      topics: ['trim-table', 'trim-both'].map((name) => ({
        name,
        partitions: [{ partitionIndex: 0, offset: 2n }],
      })),
      timeoutMs: 5000,
    });
    expect(res.topics.map((t) => t.partitions[0])).toEqual([
      { partitionIndex: 0, lowWatermark: -1n, errorCode: code('POLICY_VIOLATION') },
      { partitionIndex: 0, lowWatermark: 2n, errorCode: 0 },
    ]);
    expect((await httpPartitions('trim-table')).map((p) => p.earliestOffset)).toEqual(['0']);
  });
});

describe('DescribeConfigs over the wire', () => {
  it('reports every stored topic config with its source, filtered by name, with synonyms when asked', async () => {
    expect(
      (await ctx.http.post('/v1/topics', { name: 'described', config: { 'retention.bytes': '1048576' } }))
        .status,
    ).toBe(201);
    const all = await describeTopicConfigs('described');
    expect(all?.errorCode).toBe(0);
    // Every config a topic stores, each at its default unless set.
    expect(all?.configs.map((c) => c.name).sort()).toEqual(Object.keys(TOPIC_CONFIG_DEFAULTS).sort());
    const described = await configMap('described');
    for (const [name, value] of Object.entries(TOPIC_CONFIG_DEFAULTS)) {
      if (name !== 'retention.bytes')
        expect(described[name], name).toEqual({
          value: topicConfigString(name, value),
          source: DEFAULT_CONFIG,
        });
    }
    expect(described).toMatchObject({
      'cleanup.policy': { value: 'delete', source: DEFAULT_CONFIG },
      'max.message.bytes': { value: '1048576', source: DEFAULT_CONFIG },
      'retention.bytes': { value: '1048576', source: DYNAMIC_TOPIC_CONFIG },
      'retention.ms': { value: '604800000', source: DEFAULT_CONFIG },
    });
    const filtered = await describeTopicConfigs('described', {
      keys: ['retention.bytes', 'no.such'],
      synonyms: true,
    });
    expect(filtered?.configs).toHaveLength(1);
    expect(filtered?.configs[0]?.synonyms).toEqual([
      { name: 'retention.bytes', value: '1048576', source: DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.bytes', value: '-1', source: DEFAULT_CONFIG },
    ]);
    expect(
      (await describeTopicConfigs('described', { keys: ['retention.ms'] }))?.configs[0]?.synonyms,
    ).toEqual([]);
    const documented = await wire.request(K.DESCRIBE_CONFIGS, 3, {
      resources: [{ resourceType: TOPIC, resourceName: 'described', configurationKeys: ['retention.ms'] }],
      includeSynonyms: false,
      includeDocumentation: true,
    });
    expect(documented.results[0]?.configs[0]).toMatchObject({ configType: 5, readOnly: false });
    expect(documented.results[0]?.configs[0]?.documentation).toMatch(/milliseconds/);
  });

  it('describes the broker by its id, and answers Kafka codes for the rest', async () => {
    const res = await wire.request(K.DESCRIBE_CONFIGS, 1, {
      resources: [
        { resourceType: BROKER, resourceName: '0', configurationKeys: null },
        { resourceType: BROKER, resourceName: '', configurationKeys: null },
        { resourceType: BROKER, resourceName: '1', configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'no-such-topic', configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'bad/name', configurationKeys: null },
        { resourceType: GROUP, resourceName: 'some-group', configurationKeys: null },
      ],
      includeSynonyms: false,
    });
    const [broker, cluster, other, unknown, invalid, group] = res.results;
    expect(broker?.errorCode).toBe(0);
    const settings = Object.fromEntries((broker?.configs ?? []).map((c) => [c.name, c]));
    expect(settings['auto.create.topics.enable']).toMatchObject({
      value: 'false',
      configSource: DEFAULT_CONFIG,
      readOnly: true,
    });
    expect(settings['num.partitions']).toMatchObject({
      value: String(DEFAULT_PARTITIONS),
      configSource: STATIC_BROKER_CONFIG,
    });
    expect(settings['default.replication.factor']?.value).toBe('1');
    expect(settings['message.max.bytes']?.value).toBe('1048576');
    expect(settings['log.retention.ms']?.value).toBe('604800000');
    expect(settings['min.insync.replicas']?.value).toBe('1');
    expect(settings['advertised.listeners']?.value).toBe(`PLAINTEXT://${ctx.bootstrap}`);
    expect(cluster).toMatchObject({ errorCode: 0, configs: [] });
    expect(other?.errorCode).toBe(code('INVALID_REQUEST'));
    expect(unknown).toMatchObject({ errorCode: code('UNKNOWN_TOPIC_OR_PARTITION'), configs: [] });
    expect(invalid?.errorCode).toBe(code('INVALID_TOPIC_EXCEPTION'));
    expect(group?.errorCode).toBe(code('INVALID_REQUEST'));
  });
});

describe('AlterConfigs and IncrementalAlterConfigs over the wire', () => {
  it('AlterConfigs replaces the whole set; validateOnly and refusals change nothing', async () => {
    expect(
      (
        await ctx.http.post('/v1/topics', {
          name: 'replaced',
          config: { 'retention.ms': '1000', 'max.message.bytes': '2048' },
        })
      ).status,
    ).toBe(201);
    const alter = (
      configs: { name: string; value: string | null }[],
      validateOnly = false,
      name = 'replaced',
      resourceType = TOPIC,
    ) =>
      wire.request(K.ALTER_CONFIGS, 2, {
        resources: [{ resourceType, resourceName: name, configs }],
        validateOnly,
      });
    expect((await alter([{ name: 'retention.bytes', value: '5000' }], true)).responses[0]?.errorCode).toBe(0);
    expect((await configMap('replaced'))['retention.ms']).toEqual({
      value: '1000',
      source: DYNAMIC_TOPIC_CONFIG,
    });
    for (const [configs, expected] of [
      [[{ name: 'segment.bytes', value: '1' }], code('INVALID_CONFIG')],
      [[{ name: 'retention.ms', value: 'x' }], code('INVALID_CONFIG')],
      [[{ name: 'retention.ms', value: null }], code('INVALID_REQUEST')],
      [
        [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', value: '2' },
        ],
        code('INVALID_REQUEST'),
      ],
    ] as const) {
      expect((await alter([...configs])).responses[0]?.errorCode).toBe(expected);
    }
    expect((await alter([], false, 'no-such-topic')).responses[0]?.errorCode).toBe(
      code('UNKNOWN_TOPIC_OR_PARTITION'),
    );
    expect(
      (await alter([{ name: 'num.partitions', value: '9' }], false, '0', BROKER)).responses[0]?.errorCode,
    ).toBe(code('INVALID_REQUEST'));
    expect((await configMap('replaced'))['max.message.bytes']).toEqual({
      value: '2048',
      source: DYNAMIC_TOPIC_CONFIG,
    });

    const ok = await alter([{ name: 'retention.bytes', value: '5000' }]);
    expect(ok.responses[0]).toMatchObject({ errorCode: 0, resourceType: TOPIC, resourceName: 'replaced' });
    expect(await configMap('replaced')).toMatchObject({
      'cleanup.policy': { value: 'delete', source: DEFAULT_CONFIG },
      'max.message.bytes': { value: '1048576', source: DEFAULT_CONFIG },
      'retention.bytes': { value: '5000', source: DYNAMIC_TOPIC_CONFIG },
      'retention.ms': { value: '604800000', source: DEFAULT_CONFIG },
    });
    const http = await ctx.http.get('/v1/topics/replaced');
    expect(http.body.config).toMatchObject({ 'retention.bytes': '5000', 'retention.ms': '604800000' });
  });

  it('IncrementalAlterConfigs sets, deletes, appends and subtracts', async () => {
    expect(
      (await ctx.http.post('/v1/topics', { name: 'incremental', config: { 'retention.ms': '1000' } })).status,
    ).toBe(201);
    const alter = (
      configs: { name: string; configOperation: number; value: string | null }[],
      validateOnly = false,
    ) =>
      wire.request(K.INCREMENTAL_ALTER_CONFIGS, 1, {
        resources: [{ resourceType: TOPIC, resourceName: 'incremental', configs }],
        validateOnly,
      });
    const SET = 0;
    const DELETE = 1;
    const APPEND = 2;
    const SUBTRACT = 3;
    expect(
      (await alter([{ name: 'retention.bytes', configOperation: SET, value: '7000' }])).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect(await configMap('incremental')).toMatchObject({
      'retention.ms': { value: '1000', source: DYNAMIC_TOPIC_CONFIG },
      'retention.bytes': { value: '7000', source: DYNAMIC_TOPIC_CONFIG },
    });
    expect(
      (await alter([{ name: 'retention.ms', configOperation: DELETE, value: null }])).responses[0]?.errorCode,
    ).toBe(0);
    expect((await configMap('incremental'))['retention.ms']).toEqual({
      value: '604800000',
      source: DEFAULT_CONFIG,
    });
    // A list config: appending a value it holds changes nothing, subtracting its only value leaves it invalid.
    expect(
      (await alter([{ name: 'cleanup.policy', configOperation: APPEND, value: 'delete' }])).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect((await configMap('incremental'))['cleanup.policy']).toEqual({
      value: 'delete',
      source: DYNAMIC_TOPIC_CONFIG,
    });
    for (const [configs, expected] of [
      [[{ name: 'retention.ms', configOperation: APPEND, value: '5' }], code('INVALID_CONFIG')],
      [[{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }], code('INVALID_CONFIG')],
      [[{ name: 'cleanup.policy', configOperation: APPEND, value: 'shred' }], code('INVALID_CONFIG')],
      [[{ name: 'retention.ms', configOperation: SET, value: null }], code('INVALID_REQUEST')],
      [[{ name: 'retention.ms', configOperation: 9, value: '1' }], code('INVALID_REQUEST')],
      [[{ name: 'no.such', configOperation: DELETE, value: null }], code('INVALID_CONFIG')],
    ] as const) {
      expect((await alter([...configs])).responses[0]?.errorCode, JSON.stringify(configs)).toBe(expected);
    }
    // Both policies are Kafka's list compact,delete; subtracting one leaves the other.
    expect(
      (await alter([{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect((await configMap('incremental'))['cleanup.policy']?.value).toBe('compact,delete');
    expect(
      (await alter([{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'compact' }])).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect((await configMap('incremental'))['cleanup.policy']?.value).toBe('delete');
    expect(
      (await alter([{ name: 'retention.bytes', configOperation: SET, value: '1' }], true)).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect((await configMap('incremental'))['retention.bytes']).toEqual({
      value: '7000',
      source: DYNAMIC_TOPIC_CONFIG,
    });
    const v0 = await wire.request(K.INCREMENTAL_ALTER_CONFIGS, 0, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: 'incremental',
          configs: [{ name: 'cleanup.policy', configOperation: SET, value: 'compact' }],
        },
        {
          resourceType: BROKER,
          resourceName: '0',
          configs: [{ name: 'num.partitions', configOperation: SET, value: '2' }],
        },
      ],
      validateOnly: false,
    });
    expect(v0.responses.map((r) => r.errorCode)).toEqual([0, code('INVALID_REQUEST')]);
    expect((await ctx.http.get('/v1/topics/incremental')).body.config['cleanup.policy']).toBe('compact');
  });
});

describe('alterTopicConfig (the engine op behind both alters)', () => {
  it('never loses a concurrent change: each alter is conditional on the config it read', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'contended' })).status).toBe(201);
    const sets = [
      ['retention.ms', '11111'],
      ['retention.bytes', '22222'],
      ['max.message.bytes', '33333'],
      ['cleanup.policy', 'compact'],
    ] as const;
    await Promise.all(
      sets.map(([name, value]) =>
        alterTopicConfig(ctx.engine, 'contended', { changes: [{ name, op: 'set', value }] }),
      ),
    );
    const configs = await configMap('contended');
    for (const [name, value] of sets) {
      expect(configs[name], name).toEqual({ value, source: DYNAMIC_TOPIC_CONFIG });
    }
  });
});

describe('a topic stored before config overrides were recorded', () => {
  it('counts a value unlike the default as set, until an alter records the set', async () => {
    // As such a topic's item reads: a full config, no override keys, no config version.
    await ctx.engine.metadata.createTopic({
      name: 'legacy',
      topicId: randomUUID(),
      partitions: 1,
      config: { ...TOPIC_CONFIG_DEFAULTS, 'retention.ms': 1000 },
      createdAt: Date.now(),
    });
    expect(await configMap('legacy')).toMatchObject({
      'retention.ms': { value: '1000', source: DYNAMIC_TOPIC_CONFIG },
      'retention.bytes': { value: '-1', source: DEFAULT_CONFIG },
    });
    await alterTopicConfig(ctx.engine, 'legacy', {
      changes: [{ name: 'retention.bytes', op: 'set', value: '-1' }],
    });
    const after = await ctx.engine.metadata.getTopic('legacy');
    expect(after).toMatchObject({ configOverrides: ['retention.bytes', 'retention.ms'], configVersion: 1 });
    expect(await configMap('legacy')).toMatchObject({
      'retention.ms': { value: '1000', source: DYNAMIC_TOPIC_CONFIG },
      // Set to the default's value, and still reported as set, as Kafka does.
      'retention.bytes': { value: '-1', source: DYNAMIC_TOPIC_CONFIG },
    });
  });
});

describe('DescribeCluster over the wire', () => {
  it('one broker, which is the controller, and the cluster id', async () => {
    const port = Number(ctx.bootstrap.split(':')[1]);
    for (const version of [0, 1]) {
      const res = await wire.request(K.DESCRIBE_CLUSTER, version, {
        includeClusterAuthorizedOperations: true,
        endpointType: 1,
      });
      expect(res).toMatchObject({
        errorCode: 0,
        clusterId: 'strata-local',
        controllerId: 0,
        brokers: [{ brokerId: 0, host: '127.0.0.1', port, rack: null }],
      });
      expect(res.clusterAuthorizedOperations).toBeGreaterThan(0);
    }
    const plain = await wire.request(K.DESCRIBE_CLUSTER, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 1,
    });
    expect(plain.clusterAuthorizedOperations).toBe(-2147483648);
    const controllers = await wire.request(K.DESCRIBE_CLUSTER, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2,
    });
    expect(controllers.errorCode).toBe(code('MISMATCHED_ENDPOINT_TYPE'));
    const unknown = await wire.request(K.DESCRIBE_CLUSTER, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 7,
    });
    expect(unknown.errorCode).toBe(code('UNSUPPORTED_ENDPOINT_TYPE'));
  });
});

describe('OffsetForLeaderEpoch over the wire', () => {
  it('epoch 0 ends at the high watermark; other current epochs are fenced or unknown', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'epochs', partitions: 1 })).status).toBe(201);
    await produce('epochs', 0, 6);
    const ask = (
      partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[],
      topic = 'epochs',
    ) => wire.request(K.OFFSET_FOR_LEADER_EPOCH, 4, { replicaId: -1, topics: [{ topic, partitions }] });
    const res = await ask([
      { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: -2, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 3 },
      { partition: 4, currentLeaderEpoch: 0, leaderEpoch: 0 },
    ]);
    expect(res.topics[0]?.partitions).toEqual([
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 6n },
      { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 6n },
      { errorCode: code('UNKNOWN_LEADER_EPOCH'), partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: code('FENCED_LEADER_EPOCH'), partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n },
      { errorCode: code('UNKNOWN_TOPIC_OR_PARTITION'), partition: 4, leaderEpoch: -1, endOffset: -1n },
    ]);
    const missing = await ask([{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }], 'no-epochs-here');
    expect(missing.topics[0]?.partitions[0]?.errorCode).toBe(code('UNKNOWN_TOPIC_OR_PARTITION'));
    const v2 = await wire.request(K.OFFSET_FOR_LEADER_EPOCH, 2, {
      topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }],
    });
    expect(v2.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 6n });
  });
});

describe('auto.create.topics.enable', () => {
  const metadata = (w: KafkaWire, name: string, allowAutoTopicCreation: boolean) =>
    w.request(K.METADATA, 12, {
      topics: [{ name, topicId: ZERO_UUID }],
      allowAutoTopicCreation,
      includeTopicAuthorizedOperations: false,
    });

  it('off (the default): Metadata never creates, whatever the request allows', async () => {
    const res = await metadata(wire, 'auto-off', true);
    expect(res.topics[0]?.errorCode).toBe(code('UNKNOWN_TOPIC_OR_PARTITION'));
    expect((await ctx.http.get('/v1/topics/auto-off')).status).toBe(404);
  });

  it('on: Metadata creates with num.partitions only when the request allows it', async () => {
    let gateway: KafkaGateway | undefined;
    let other: KafkaWire | undefined;
    try {
      gateway = await startTestGateway(ctx.engine, { autoCreateTopics: true, defaultPartitions: 4 });
      other = await openKafkaWire(gateway.bootstrap);
      const refused = await metadata(other, 'auto-on-refused', false);
      expect(refused.topics[0]?.errorCode).toBe(code('UNKNOWN_TOPIC_OR_PARTITION'));
      expect((await ctx.http.get('/v1/topics/auto-on-refused')).status).toBe(404);
      const made = await metadata(other, 'auto-on', true);
      expect(made.topics[0]).toMatchObject({ errorCode: 0, name: 'auto-on' });
      expect(made.topics[0]?.partitions).toHaveLength(4);
      expect(await httpPartitions('auto-on')).toHaveLength(4);
      const broker = await other.request(K.DESCRIBE_CONFIGS, 4, {
        resources: [
          { resourceType: BROKER, resourceName: '0', configurationKeys: ['auto.create.topics.enable'] },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      expect(broker.results[0]?.configs).toMatchObject([
        { name: 'auto.create.topics.enable', value: 'true', configSource: STATIC_BROKER_CONFIG },
      ]);
    } finally {
      other?.close();
      await gateway?.close();
    }
  });
});

describe('kafkajs admin', () => {
  const kafka = () => kafkajsClient(ctx.bootstrap, 'admin-test');
  let admin: ReturnType<ReturnType<typeof kafka>['admin']>;
  beforeAll(async () => {
    admin = kafka().admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it('creates (validateOnly first, replication factor 3), reads metadata, grows, deletes', async () => {
    const topics = [
      {
        topic: 'kjs-made',
        numPartitions: 2,
        replicationFactor: 3,
        configEntries: [{ name: 'retention.ms', value: '120000' }],
      },
    ];
    expect(await admin.createTopics({ topics, validateOnly: true, waitForLeaders: false })).toBe(true);
    expect((await ctx.http.get('/v1/topics/kjs-made')).status).toBe(404);
    expect(await admin.createTopics({ topics })).toBe(true);
    // An existing topic: kafkajs answers false rather than throwing.
    expect(await admin.createTopics({ topics })).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-made'] });
    expect(meta.topics[0]?.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
      [0, 0, [0], [0]],
      [1, 0, [0], [0]],
    ]);
    expect((await ctx.http.get('/v1/topics/kjs-made')).body.config['retention.ms']).toBe('120000');

    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-made', count: 5 }] });
    expect(await httpPartitions('kjs-made')).toHaveLength(5);
    await expect(
      admin.createPartitions({ topicPartitions: [{ topic: 'kjs-made', count: 5 }] }),
    ).rejects.toThrow();

    await admin.deleteTopics({ topics: ['kjs-made'] });
    expect((await ctx.http.get('/v1/topics/kjs-made')).status).toBe(404);
  });

  it('describes and alters configs, topic and broker', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-configs', numPartitions: 1 }] })).toBe(true);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: KafkajsResourceTypes.TOPIC,
          name: 'kjs-configs',
          configEntries: [{ name: 'retention.bytes', value: '999999' }],
        },
      ],
    });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: KafkajsResourceTypes.TOPIC, name: 'kjs-configs' },
        {
          type: KafkajsResourceTypes.BROKER,
          name: '0',
          configNames: ['num.partitions', 'auto.create.topics.enable'],
        },
      ],
    });
    const [topic, broker] = described.resources;
    const entries = Object.fromEntries((topic?.configEntries ?? []).map((e) => [e.configName, e]));
    expect(entries['retention.bytes']).toMatchObject({
      configValue: '999999',
      isDefault: false,
      configSource: DYNAMIC_TOPIC_CONFIG,
    });
    expect(entries['retention.ms']).toMatchObject({
      configValue: '604800000',
      isDefault: true,
      configSource: DEFAULT_CONFIG,
    });
    expect(broker?.configEntries.map((e) => [e.configName, e.configValue]).sort()).toEqual([
      ['auto.create.topics.enable', 'false'],
      ['num.partitions', String(DEFAULT_PARTITIONS)],
    ]);
    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: KafkajsResourceTypes.TOPIC,
            name: 'kjs-configs',
            configEntries: [{ name: 'bogus', value: '1' }],
          },
        ],
      }),
    ).rejects.toThrow();
    await expect(
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: KafkajsResourceTypes.TOPIC, name: 'kjs-nowhere' }],
      }),
    ).rejects.toThrow();
  });

  it('deletes records up to an offset', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-trim', numPartitions: 1 }] })).toBe(true);
    await produce('kjs-trim', 0, 10);
    // kafkajs finds the leader in its own metadata cache, which createTopics does not fill.
    await admin.fetchTopicMetadata({ topics: ['kjs-trim'] });
    await admin.deleteTopicRecords({ topic: 'kjs-trim', partitions: [{ partition: 0, offset: '7' }] });
    expect((await httpPartitions('kjs-trim'))[0]?.earliestOffset).toBe('7');
    const offsets = await admin.fetchTopicOffsets('kjs-trim');
    expect(offsets[0]).toMatchObject({ partition: 0, low: '7', high: '10' });
  });
});

describe('@platformatic/kafka Admin', () => {
  let admin: Admin;
  beforeAll(() => {
    admin = new Admin({ clientId: 'admin-test', bootstrapBrokers: [ctx.bootstrap] });
  });
  afterAll(async () => {
    await admin?.close();
  });

  it('creates (v7), grows, describes, alters, trims and deletes', async () => {
    const [created] = await admin.createTopics({
      topics: ['plt-made'],
      partitions: 2,
      replicas: 3,
      configs: [{ name: 'retention.ms', value: '300000' }],
    });
    expect(created).toMatchObject({ name: 'plt-made', partitions: 2, replicas: 1 });
    expect(created?.configuration['retention.ms']).toBe('300000');
    expect((await ctx.http.get('/v1/topics/plt-made')).status).toBe(200);
    expect(await topicIdOf('plt-made')).toBe(created?.id);

    await admin.createPartitions({ topics: [{ name: 'plt-made', count: 3 }] });
    expect(await httpPartitions('plt-made')).toHaveLength(3);

    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plt-made',
          configs: [
            {
              name: 'max.message.bytes',
              configOperation: IncrementalAlterConfigOperationTypes.SET,
              value: '4096',
            },
            { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
          ],
        },
      ],
    });
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-made' }],
      includeSynonyms: true,
    });
    const configs = Object.fromEntries((described?.configs ?? []).map((c) => [c.name, c]));
    expect(configs['max.message.bytes']).toMatchObject({ value: '4096', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(configs['retention.ms']).toMatchObject({ value: '604800000', configSource: DEFAULT_CONFIG });
    expect(configs['retention.ms']?.synonyms).toEqual([
      { name: 'log.retention.ms', value: '604800000', source: DEFAULT_CONFIG },
    ]);

    await admin.alterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plt-made',
          // With `delete` too: a compact-only topic refuses the DeleteRecords below.
          configs: [{ name: 'cleanup.policy', value: 'compact,delete' }],
        },
      ],
    });
    expect((await ctx.http.get('/v1/topics/plt-made')).body.config).toMatchObject({
      'cleanup.policy': 'compact,delete',
      'max.message.bytes': '1048576',
    });

    await produce('plt-made', 1, 3);
    const trimmed = await admin.deleteRecords({
      topics: [{ name: 'plt-made', partitions: [{ partition: 1, offset: -1n }] }],
    });
    expect(trimmed[0]?.partitions).toEqual([{ partition: 1, lowWatermark: 3n }]);

    await admin.deleteTopics({ topics: ['plt-made'] });
    expect((await ctx.http.get('/v1/topics/plt-made')).status).toBe(404);
  });
});

describe('kafka-python KafkaAdminClient', () => {
  it('creates, describes configs and deletes', async () => {
    const script = fileURLToPath(new URL('./kafka_python_admin.py', import.meta.url));
    const out = await runPythonScript(script, [ctx.bootstrap, 'kpy-made'], 50_000);
    expect(out.created).toBe(true);
    expect(out.exists_error).toBe('TopicAlreadyExistsError');
    expect(out.configs).toMatchObject({
      'retention.ms': '90000',
      'cleanup.policy': 'delete',
      'delete.retention.ms': '86400000',
      'max.compaction.lag.ms': '9223372036854775807',
      'min.cleanable.dirty.ratio': '0.5',
    });
    expect(out.broker).toMatchObject({ 'num.partitions': String(DEFAULT_PARTITIONS) });
    expect(out.listed_after_create).toBe(true);
    expect(out.listed_after_delete).toBe(false);
    // Created with 2 partitions and then deleted: gone over HTTP too.
    expect((await ctx.http.get('/v1/topics/kpy-made')).status).toBe(404);
  });
});

describe('confluent-kafka (librdkafka) AdminClient', () => {
  it('validates, creates, grows, alters, describes configs and deletes', async () => {
    const script = fileURLToPath(new URL('./confluent_kafka_admin.py', import.meta.url));
    const out = await runPythonScript(script, [ctx.bootstrap, 'ck-made'], 50_000);
    expect(out).toMatchObject({
      after_validate: false,
      exists_error: 'TOPIC_ALREADY_EXISTS',
      bad_config_error: 'INVALID_CONFIG',
      partitions: 2,
      partitions_after: 4,
    });
    // AlterConfigs replaced the set: retention.ms, set at creation, is back to its default.
    expect(out.configs).toMatchObject({
      'retention.bytes': ['123456', false],
      'retention.ms': ['604800000', true],
      'min.compaction.lag.ms': ['0', true],
      'max.compaction.lag.ms': ['9223372036854775807', true],
      'min.cleanable.dirty.ratio': ['0.5', true],
    });
    expect(out.broker).toMatchObject({
      'auto.create.topics.enable': 'false',
      'default.replication.factor': '1',
    });
    expect((await ctx.http.get('/v1/topics/ck-made')).status).toBe(404);
  });
});
