import { describe, expect, it } from 'vitest';
import {
  isCompactPolicy,
  isDeletePolicy,
  KAFKA_LONG_MAX,
  TOPIC_CONFIG_DEFAULTS,
  topicConfigString,
} from '../../../lib/contract/limits.js';
import { CompressionType } from '../../../lib/engine/codec/compression.js';
import { checkClientBatch, encodeBatch } from '../../../lib/engine/codec/record-batch.js';
import { InvalidConfigError, InvalidRecordError } from '../../../lib/engine/errors.js';
import type { ProducerRecord } from '../../../lib/engine/types.js';
import { validateTopicConfig } from '../../../lib/engine/validation.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const rec = (key: string | null, value: string | null = 'v'): ProducerRecord => ({
  key: key === null ? null : bytes(key),
  value: value === null ? null : bytes(value),
  headers: [],
  timestamp: 1_700_000_000_000,
});

describe('compaction topic configs', () => {
  it('default as Kafka does', () => {
    const c = validateTopicConfig({});
    expect(c['delete.retention.ms']).toBe(86_400_000);
    expect(c['min.compaction.lag.ms']).toBe(0);
    expect(c['max.compaction.lag.ms']).toBe(Number.MAX_SAFE_INTEGER);
    expect(c['min.cleanable.dirty.ratio']).toBe(0.5);
    expect(topicConfigString('max.compaction.lag.ms', c['max.compaction.lag.ms'])).toBe(KAFKA_LONG_MAX);
    expect(topicConfigString('max.compaction.lag.ms', TOPIC_CONFIG_DEFAULTS['max.compaction.lag.ms'])).toBe(
      '9223372036854775807',
    );
  });

  it('take strings (Kafka) and numbers', () => {
    const c = validateTopicConfig({
      'delete.retention.ms': '1000',
      'min.compaction.lag.ms': 5,
      'max.compaction.lag.ms': '60000',
      'min.cleanable.dirty.ratio': '0.25',
    });
    expect(c).toMatchObject({
      'delete.retention.ms': 1000,
      'min.compaction.lag.ms': 5,
      'max.compaction.lag.ms': 60000,
      'min.cleanable.dirty.ratio': 0.25,
    });
    expect(validateTopicConfig({ 'min.cleanable.dirty.ratio': 1 })['min.cleanable.dirty.ratio']).toBe(1);
    expect(validateTopicConfig({ 'min.cleanable.dirty.ratio': '0' })['min.cleanable.dirty.ratio']).toBe(0);
    expect(validateTopicConfig({ 'min.cleanable.dirty.ratio': '5e-1' })['min.cleanable.dirty.ratio']).toBe(
      0.5,
    );
  });

  it('store max.compaction.lag.ms up to Long.MAX_VALUE, past the safe integers as no bound', () => {
    for (const v of [KAFKA_LONG_MAX, '9007199254740992', String(Number.MAX_SAFE_INTEGER)]) {
      const c = validateTopicConfig({ 'max.compaction.lag.ms': v });
      expect(c['max.compaction.lag.ms'], v).toBe(Number.MAX_SAFE_INTEGER);
      expect(topicConfigString('max.compaction.lag.ms', c['max.compaction.lag.ms'])).toBe(KAFKA_LONG_MAX);
    }
    // Only that config: retention.ms stays within the safe integers.
    expect(() => validateTopicConfig({ 'retention.ms': KAFKA_LONG_MAX })).toThrow(InvalidConfigError);
  });

  it.each([
    ['delete.retention.ms', '-1'],
    ['delete.retention.ms', 'soon'],
    ['delete.retention.ms', '1.5'],
    ['min.compaction.lag.ms', -1],
    ['max.compaction.lag.ms', '0'],
    ['max.compaction.lag.ms', '9223372036854775808'],
    ['max.compaction.lag.ms', '-9223372036854775808'],
    ['min.cleanable.dirty.ratio', '1.01'],
    ['min.cleanable.dirty.ratio', -0.1],
    ['min.cleanable.dirty.ratio', 'half'],
    ['min.cleanable.dirty.ratio', Number.NaN],
    ['cleanup.policy', ''],
    ['cleanup.policy', 'compact,shred'],
    ['cleanup.policy', 'compact,delete,compact'],
    ['log.cleaner.min.cleanable.ratio', '0.5'],
  ])('refuse %s=%j with INVALID_CONFIG', (key, value) => {
    expect(() => validateTopicConfig({ [key]: value })).toThrow(InvalidConfigError);
  });

  it('refuse min.compaction.lag.ms above max.compaction.lag.ms, as Kafka does', () => {
    expect(() =>
      validateTopicConfig({ 'min.compaction.lag.ms': '2000', 'max.compaction.lag.ms': '1000' }),
    ).toThrow(/min.compaction.lag.ms/);
    expect(
      validateTopicConfig({ 'min.compaction.lag.ms': '1000', 'max.compaction.lag.ms': '1000' })[
        'min.compaction.lag.ms'
      ],
    ).toBe(1000);
  });
});

describe('cleanup.policy', () => {
  it.each([
    ['delete', 'delete'],
    ['compact', 'compact'],
    ['compact,delete', 'compact,delete'],
    ['delete,compact', 'compact,delete'],
    [' delete , compact ', 'compact,delete'],
    ['compact,compact', 'compact'],
  ])('%j is stored as %j', (given, stored) => {
    expect(validateTopicConfig({ 'cleanup.policy': given })['cleanup.policy']).toBe(stored);
  });

  it('tells compaction and deletion apart', () => {
    expect([isCompactPolicy('compact'), isDeletePolicy('compact')]).toEqual([true, false]);
    expect([isCompactPolicy('delete'), isDeletePolicy('delete')]).toEqual([false, true]);
    expect([isCompactPolicy('compact,delete'), isDeletePolicy('compact,delete')]).toEqual([true, true]);
  });
});

describe('checkClientBatch on a compacted topic', () => {
  it('refuses a batch with a null key (INVALID_RECORD), whatever its compression', () => {
    for (const codec of [CompressionType.none, CompressionType.gzip]) {
      const batch = encodeBatch([rec('k0'), rec(null), rec('k2')], codec).bytes;
      expect(() => checkClientBatch(batch, { requireKeys: true })).toThrow(InvalidRecordError);
      expect(() => checkClientBatch(batch, { requireKeys: true })).toThrow(/record 1 has a null key/);
      expect(checkClientBatch(batch).recordCount).toBe(3);
    }
  });

  it('accepts keyed records, tombstones included', () => {
    const batch = encodeBatch([rec('k0'), rec('k1', null), rec('')]).bytes;
    expect(checkClientBatch(batch, { requireKeys: true }).recordCount).toBe(3);
  });
});
