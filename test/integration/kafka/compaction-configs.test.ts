/**
 * Issue 14's topic configs over the Kafka wire: DescribeConfigs reports the compaction configs
 * with Kafka's types, defaults and synonyms; CreateTopics, AlterConfigs and IncrementalAlterConfigs
 * set them (bad values INVALID_CONFIG); a compacted topic refuses a Produce batch with a null key
 * with INVALID_RECORD and appends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../lib/contract/errors.js';
import { encodeBatch } from '../../../lib/engine/codec/record-batch.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../../support/gateway.js';
import {
  type KafkaWire,
  openKafkaWire,
  producedPartition,
  produceRequest,
  recordBatch,
} from '../../support/kafka-wire.js';

const ctx = useTestGateway();
const code = (name: keyof typeof ERRORS) => ERRORS[name].kafkaCode;
const TOPIC = 2;
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;
/** Kafka's ConfigType ids. */
const LONG = 5;
const DOUBLE = 6;
const LIST = 7;
const LONG_MAX = '9223372036854775807';

let wire: KafkaWire;
beforeAll(async () => {
  wire = await openKafkaWire(ctx.bootstrap);
});
afterAll(() => wire?.close());

async function createTopic(name: string, configs: { name: string; value: string }[]) {
  const res = await wire.request(APIS.CreateTopics.key, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return res.topics[0];
}

async function describe4(name: string, keys: string[] | null = null, documentation = false) {
  const res = await wire.request(APIS.DescribeConfigs.key, 4, {
    resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: documentation,
  });
  const result = res.results[0];
  expect(result?.errorCode).toBe(0);
  return Object.fromEntries((result?.configs ?? []).map((c) => [c.name, c]));
}

async function produceCode(topic: string, records: Uint8Array): Promise<number> {
  const res = await wire.request(APIS.Produce.key, 9, produceRequest(topic, 0, records));
  return producedPartition(res)?.errorCode ?? -1;
}

async function latestOffset(topic: string): Promise<string> {
  const res = await ctx.http.get(`/v1/topics/${topic}`);
  expect(res.status).toBe(200);
  return res.body.partitions[0].latestOffset;
}

const text = new TextEncoder();
const nullKeyBatch = () =>
  encodeBatch([
    { key: text.encode('a'), value: text.encode('1'), headers: [], timestamp: 1_700_000_000_000 },
    { key: null, value: text.encode('2'), headers: [], timestamp: 1_700_000_000_001 },
  ]).bytes;

describe('DescribeConfigs: the compaction configs', () => {
  it('reports them at their defaults with Kafka types, broker synonyms and documentation', async () => {
    expect((await createTopic('cc-defaults', []))?.errorCode).toBe(0);
    const configs = await describe4('cc-defaults', null, true);
    const expected = [
      ['delete.retention.ms', '86400000', LONG, 'log.cleaner.delete.retention.ms'],
      ['min.compaction.lag.ms', '0', LONG, 'log.cleaner.min.compaction.lag.ms'],
      ['max.compaction.lag.ms', LONG_MAX, LONG, 'log.cleaner.max.compaction.lag.ms'],
      ['min.cleanable.dirty.ratio', '0.5', DOUBLE, 'log.cleaner.min.cleanable.ratio'],
      ['cleanup.policy', 'delete', LIST, 'log.cleanup.policy'],
    ] as const;
    for (const [name, value, type, broker] of expected) {
      expect(configs[name], name).toMatchObject({
        value,
        configSource: DEFAULT_CONFIG,
        configType: type,
        readOnly: false,
        synonyms: [{ name: broker, value, source: DEFAULT_CONFIG }],
      });
      expect(configs[name]?.documentation, name).toBeTruthy();
    }
  });

  it('the broker reports the log.cleaner defaults', async () => {
    const res = await wire.request(APIS.DescribeConfigs.key, 4, {
      resources: [
        {
          resourceType: 4,
          resourceName: '0',
          configurationKeys: [
            'log.cleaner.delete.retention.ms',
            'log.cleaner.min.compaction.lag.ms',
            'log.cleaner.max.compaction.lag.ms',
            'log.cleaner.min.cleanable.ratio',
          ],
        },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const values = Object.fromEntries((res.results[0]?.configs ?? []).map((c) => [c.name, c.value]));
    expect(values).toEqual({
      'log.cleaner.delete.retention.ms': '86400000',
      'log.cleaner.min.compaction.lag.ms': '0',
      'log.cleaner.max.compaction.lag.ms': LONG_MAX,
      'log.cleaner.min.cleanable.ratio': '0.5',
    });
  });
});

describe('CreateTopics with the compaction configs', () => {
  it('sets them, and a compacted topic reports cleanup.policy=compact exactly (Kafka Connect checks it)', async () => {
    const made = await createTopic('cc-connect-configs', [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'delete.retention.ms', value: '3600000' },
      { name: 'min.compaction.lag.ms', value: '1000' },
      { name: 'max.compaction.lag.ms', value: LONG_MAX },
      { name: 'min.cleanable.dirty.ratio', value: '0.1' },
    ]);
    expect(made?.errorCode).toBe(0);
    const configs = await describe4('cc-connect-configs');
    for (const [name, value] of [
      ['cleanup.policy', 'compact'],
      ['delete.retention.ms', '3600000'],
      ['min.compaction.lag.ms', '1000'],
      ['max.compaction.lag.ms', LONG_MAX],
      ['min.cleanable.dirty.ratio', '0.1'],
    ] as const) {
      expect(configs[name], name).toMatchObject({ value, configSource: DYNAMIC_TOPIC_CONFIG });
    }
    // Only cleanup.policy asked for, as Connect's TopicAdmin does.
    const only = await describe4('cc-connect-configs', ['cleanup.policy']);
    expect(Object.keys(only)).toEqual(['cleanup.policy']);
    expect(only['cleanup.policy']?.value).toBe('compact');
    // The same topic over HTTP.
    expect((await ctx.http.get('/v1/topics/cc-connect-configs')).body.config).toMatchObject({
      'cleanup.policy': 'compact',
      'delete.retention.ms': '3600000',
      'max.compaction.lag.ms': LONG_MAX,
      'min.cleanable.dirty.ratio': '0.1',
    });
  });

  it('takes both policies as a list', async () => {
    expect(
      (await createTopic('cc-both', [{ name: 'cleanup.policy', value: 'delete,compact' }]))?.errorCode,
    ).toBe(0);
    expect((await describe4('cc-both'))['cleanup.policy']?.value).toBe('compact,delete');
  });

  it.each([
    ['min.cleanable.dirty.ratio', '1.5'],
    ['delete.retention.ms', '-5'],
    ['max.compaction.lag.ms', '0'],
    ['max.compaction.lag.ms', '9223372036854775808'],
    ['cleanup.policy', 'compact,shred'],
    ['log.cleaner.min.cleanable.ratio', '0.5'],
  ])('refuses %s=%s with INVALID_CONFIG', async (name, value) => {
    const topic = `cc-bad-${name.replaceAll('.', '-')}-${value.length}`;
    expect((await createTopic(topic, [{ name, value }]))?.errorCode).toBe(code('INVALID_CONFIG'));
    expect((await ctx.http.get(`/v1/topics/${topic}`)).status).toBe(404);
  });

  it('refuses min.compaction.lag.ms above max.compaction.lag.ms', async () => {
    const res = await createTopic('cc-lags', [
      { name: 'min.compaction.lag.ms', value: '2000' },
      { name: 'max.compaction.lag.ms', value: '1000' },
    ]);
    expect(res?.errorCode).toBe(code('INVALID_CONFIG'));
  });
});

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  it('change cleanup.policy and the compaction configs of an existing topic', async () => {
    expect((await createTopic('cc-altered', []))?.errorCode).toBe(0);
    const replaced = await wire.request(APIS.AlterConfigs.key, 2, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: 'cc-altered',
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.cleanable.dirty.ratio', value: '0.75' },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(replaced.responses[0]?.errorCode).toBe(0);
    let configs = await describe4('cc-altered');
    expect(configs['cleanup.policy']).toMatchObject({ value: 'compact', configSource: DYNAMIC_TOPIC_CONFIG });
    expect(configs['min.cleanable.dirty.ratio']).toMatchObject({
      value: '0.75',
      configSource: DYNAMIC_TOPIC_CONFIG,
    });

    const incremental = (configs: { name: string; configOperation: number; value: string | null }[]) =>
      wire.request(APIS.IncrementalAlterConfigs.key, 1, {
        resources: [{ resourceType: TOPIC, resourceName: 'cc-altered', configs }],
        validateOnly: false,
      });
    // APPEND delete: both policies; SET a lag; DELETE the ratio back to its default.
    const changed = await incremental([
      { name: 'cleanup.policy', configOperation: 2, value: 'delete' },
      { name: 'min.compaction.lag.ms', configOperation: 0, value: '5000' },
      { name: 'min.cleanable.dirty.ratio', configOperation: 1, value: null },
    ]);
    expect(changed.responses[0]?.errorCode).toBe(0);
    configs = await describe4('cc-altered');
    expect(configs['cleanup.policy']?.value).toBe('compact,delete');
    expect(configs['min.compaction.lag.ms']).toMatchObject({
      value: '5000',
      configSource: DYNAMIC_TOPIC_CONFIG,
    });
    expect(configs['min.cleanable.dirty.ratio']).toMatchObject({
      value: '0.5',
      configSource: DEFAULT_CONFIG,
    });

    const bad = await incremental([{ name: 'min.cleanable.dirty.ratio', configOperation: 0, value: '2' }]);
    expect(bad.responses[0]?.errorCode).toBe(code('INVALID_CONFIG'));
    // SUBTRACT compact: a plain delete topic again, which takes keyless records.
    expect(
      (await incremental([{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }])).responses[0]
        ?.errorCode,
    ).toBe(0);
    expect((await describe4('cc-altered'))['cleanup.policy']?.value).toBe('delete');
    expect(await produceCode('cc-altered', nullKeyBatch())).toBe(0);
  });
});

describe('Produce on a compacted topic', () => {
  it('refuses a batch with a null key with INVALID_RECORD, and appends nothing', async () => {
    expect((await createTopic('cc-keys', [{ name: 'cleanup.policy', value: 'compact' }]))?.errorCode).toBe(0);
    expect(await produceCode('cc-keys', recordBatch(['a', 'b']))).toBe(0);
    expect(await latestOffset('cc-keys')).toBe('2');
    expect(await produceCode('cc-keys', nullKeyBatch())).toBe(code('INVALID_RECORD'));
    // Two batches in one partition's records, the second with a null key: neither is written.
    const both = new Uint8Array([...recordBatch(['c']), ...nullKeyBatch()]);
    expect(await produceCode('cc-keys', both)).toBe(code('INVALID_RECORD'));
    expect(await latestOffset('cc-keys')).toBe('2');
    // Tombstones are keyed: accepted.
    const tombstone = encodeBatch([{ key: text.encode('a'), value: null, headers: [], timestamp: 1 }]).bytes;
    expect(await produceCode('cc-keys', tombstone)).toBe(0);
    expect(await latestOffset('cc-keys')).toBe('3');
  });

  it('with both policies refuses null keys too; a delete topic takes them', async () => {
    expect(
      (await createTopic('cc-keys-both', [{ name: 'cleanup.policy', value: 'compact,delete' }]))?.errorCode,
    ).toBe(0);
    expect(await produceCode('cc-keys-both', nullKeyBatch())).toBe(code('INVALID_RECORD'));
    expect(await latestOffset('cc-keys-both')).toBe('0');
    expect((await createTopic('cc-keys-delete', []))?.errorCode).toBe(0);
    expect(await produceCode('cc-keys-delete', nullKeyBatch())).toBe(0);
    expect(await latestOffset('cc-keys-delete')).toBe('2');
  });
});
