/**
 * Issue 14's topic configs over HTTP: a compacted topic created with the compaction configs,
 * describe reporting them (max.compaction.lag.ms as Kafka's Long.MAX_VALUE), bad values 400
 * INVALID_CONFIG, configs altered by POST /v1/topics/{topic}/configs (cleanup.policy on an
 * existing topic among them), and null keys refused on a
 * compacted topic with 400 INVALID_RECORD by JSON produce and the binary batches route, with
 * nothing appended; retention trims a `compact` topic only when its policy also has `delete`.
 */
import { describe, expect, it } from 'vitest';
import { RECORD_BATCH_CONTENT_TYPE } from '../../lib/contract/record-batch.js';
import { encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { applyRetention } from '../../lib/engine/ops/retention.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { useTestServer } from '../support/stack.js';

const ctx = useTestServer();
const alterConfigs = (topic: string, body: unknown) => ctx.http.post(`/v1/topics/${topic}/configs`, body);
const utf8 = new TextEncoder();
const LONG_MAX = '9223372036854775807';

async function create(name: string, config: Record<string, unknown>) {
  return ctx.http.post('/v1/topics', { name, partitions: 2, config });
}

async function latestOffsets(topic: string): Promise<string[]> {
  const res = await ctx.http.get(`/v1/topics/${topic}`);
  expect(res.status).toBe(200);
  return res.body.partitions.map((p: { latestOffset: string }) => p.latestOffset);
}

const batch = (keys: (string | null)[]) =>
  encodeBatch(
    keys.map((k, i) => ({
      key: k === null ? null : utf8.encode(k),
      value: utf8.encode(`v${i}`),
      headers: [],
      timestamp: 1_700_000_000_000 + i,
    })),
  ).bytes;

const postBatch = (topic: string, body: Uint8Array) =>
  ctx.http.request('POST', `/v1/topics/${topic}/partitions/0/batches`, body, {
    'content-type': RECORD_BATCH_CONTENT_TYPE,
  });

describe('the compaction configs over HTTP', () => {
  it('a topic created with them reports them; the rest at their defaults', async () => {
    const made = await create('hc-table', {
      'cleanup.policy': 'compact',
      'delete.retention.ms': '60000',
      'min.compaction.lag.ms': 100,
      'max.compaction.lag.ms': '3600000',
      'min.cleanable.dirty.ratio': '0.2',
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.config).toMatchObject({
      'cleanup.policy': 'compact',
      'delete.retention.ms': '60000',
      'min.compaction.lag.ms': '100',
      'max.compaction.lag.ms': '3600000',
      'min.cleanable.dirty.ratio': '0.2',
    });
    const plain = await create('hc-plain', {});
    expect(plain.status).toBe(201);
    const described = await ctx.http.get('/v1/topics/hc-plain');
    expect(described.body.config).toMatchObject({
      'cleanup.policy': 'delete',
      'delete.retention.ms': '86400000',
      'min.compaction.lag.ms': '0',
      'max.compaction.lag.ms': LONG_MAX,
      'min.cleanable.dirty.ratio': '0.5',
    });
    const both = await create('hc-both', {
      'cleanup.policy': 'delete, compact',
      'max.compaction.lag.ms': LONG_MAX,
    });
    expect(both.status).toBe(201);
    expect((await ctx.http.get('/v1/topics/hc-both')).body.config).toMatchObject({
      'cleanup.policy': 'compact,delete',
      'max.compaction.lag.ms': LONG_MAX,
    });
  });

  it.each([
    ['delete.retention.ms', -1],
    ['min.compaction.lag.ms', 'later'],
    ['max.compaction.lag.ms', 0],
    ['max.compaction.lag.ms', '99999999999999999999'],
    ['min.cleanable.dirty.ratio', 1.5],
    ['min.cleanable.dirty.ratio', 'half'],
    ['cleanup.policy', 'compact,shred'],
    ['cleanup.policy', ''],
    ['log.cleaner.delete.retention.ms', 1],
  ])('%s=%j is 400 INVALID_CONFIG and creates nothing', async (key, value) => {
    const res = await create('hc-bad', { [key]: value });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_CONFIG');
    expect((await ctx.http.get('/v1/topics/hc-bad')).status).toBe(404);
  });

  it('min.compaction.lag.ms above max.compaction.lag.ms is 400 INVALID_CONFIG', async () => {
    const res = await create('hc-bad', { 'min.compaction.lag.ms': 5000, 'max.compaction.lag.ms': 10 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_CONFIG');
  });
});

describe('null keys on a compacted topic', () => {
  it('JSON produce: 400 INVALID_RECORD, and nothing of the request is appended', async () => {
    expect((await create('hc-keys', { 'cleanup.policy': 'compact' })).status).toBe(201);
    const ok = await ctx.http.post('/v1/topics/hc-keys/records', {
      records: [
        { key: 'a', value: '1', partition: 0 },
        { key: 'b', value: null, partition: 0 },
      ],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await latestOffsets('hc-keys')).toEqual(['2', '0']);
    for (const records of [
      [
        { key: 'c', value: '2', partition: 0 },
        { value: '3', partition: 1 },
      ],
      [{ key: null, value: '3' }],
    ]) {
      const res = await ctx.http.post('/v1/topics/hc-keys/records', { records });
      expect(res.status, JSON.stringify(records)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_RECORD');
      expect(res.body.error.message).toMatch(/null key/);
    }
    expect(await latestOffsets('hc-keys')).toEqual(['2', '0']);
  });

  it('the binary batches route: 400 INVALID_RECORD, and nothing appended', async () => {
    expect((await create('hc-keys-bin', { 'cleanup.policy': 'compact,delete' })).status).toBe(201);
    expect((await postBatch('hc-keys-bin', batch(['a', 'b']))).status).toBe(200);
    const res = await postBatch('hc-keys-bin', batch(['c', null]));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_RECORD');
    expect(await latestOffsets('hc-keys-bin')).toEqual(['2', '0']);
  });

  it('changing cleanup.policy on an existing topic: keyless records refused from then on, and taken again after', async () => {
    expect((await create('hc-switch', {})).status).toBe(201);
    const keyless = { records: [{ value: 'x', partition: 0 }] };
    expect((await ctx.http.post('/v1/topics/hc-switch/records', keyless)).status).toBe(200);
    const altered = await alterConfigs('hc-switch', {
      changes: [{ name: 'cleanup.policy', op: 'set', value: 'compact' }],
    });
    expect(altered.status, JSON.stringify(altered.body)).toBe(200);
    expect(altered.body.config['cleanup.policy']).toBe('compact');
    expect((await ctx.http.get('/v1/topics/hc-switch')).body.config['cleanup.policy']).toBe('compact');
    const refused = await ctx.http.post('/v1/topics/hc-switch/records', keyless);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_RECORD');
    expect((await postBatch('hc-switch', batch([null]))).status).toBe(400);
    expect(await latestOffsets('hc-switch')).toEqual(['1', '0']);
    expect(
      (await alterConfigs('hc-switch', { changes: [{ name: 'cleanup.policy', op: 'delete' }] })).status,
    ).toBe(200);
    expect((await ctx.http.get('/v1/topics/hc-switch')).body.config['cleanup.policy']).toBe('delete');
    expect((await ctx.http.post('/v1/topics/hc-switch/records', keyless)).status).toBe(200);
    expect(await latestOffsets('hc-switch')).toEqual(['2', '0']);
  });
});

describe('DELETE /v1/topics/{topic}/records and the policy', () => {
  it('a compact-only topic refuses it with 400 POLICY_VIOLATION and keeps its log start', async () => {
    expect((await create('hc-keep', { 'cleanup.policy': 'compact' })).status).toBe(201);
    const records = [0, 1, 2].map((i) => ({ key: `k${i}`, value: 'v', partition: 0 }));
    expect((await ctx.http.post('/v1/topics/hc-keep/records', { records })).status).toBe(200);
    const refused = await ctx.http.request('DELETE', '/v1/topics/hc-keep/records', {
      partition: 0,
      beforeOffset: '2',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('POLICY_VIOLATION');
    expect((await ctx.http.get('/v1/topics/hc-keep')).body.partitions[0].earliestOffset).toBe('0');
  });
});

describe('POST /v1/topics/{topic}/configs', () => {
  const configOf = async (topic: string) => (await ctx.http.get(`/v1/topics/${topic}`)).body.config;

  it('changes: set, append and subtract a list, delete back to the default; the other keys keep theirs', async () => {
    expect((await create('hc-alter', { 'retention.ms': 3_600_000 })).status).toBe(201);
    const set = await alterConfigs('hc-alter', {
      changes: [
        { name: 'min.compaction.lag.ms', value: 500 },
        { name: 'cleanup.policy', op: 'append', value: 'compact' },
      ],
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.config).toMatchObject({
      'cleanup.policy': 'compact,delete',
      'min.compaction.lag.ms': '500',
      'retention.ms': '3600000',
    });
    expect(await configOf('hc-alter')).toEqual(set.body.config);
    const back = await alterConfigs('hc-alter', {
      changes: [
        { name: 'cleanup.policy', op: 'subtract', value: 'delete' },
        { name: 'min.compaction.lag.ms', op: 'delete' },
      ],
    });
    expect(back.status).toBe(200);
    expect(back.body.config).toMatchObject({
      'cleanup.policy': 'compact',
      'min.compaction.lag.ms': '0',
      'retention.ms': '3600000',
    });
  });

  it('replace: exactly these keys, every other back to its default (Kafka AlterConfigs)', async () => {
    expect((await create('hc-replace', { 'retention.ms': 3_600_000 })).status).toBe(201);
    const res = await alterConfigs('hc-replace', { replace: [{ name: 'cleanup.policy', value: 'compact' }] });
    expect(res.status).toBe(200);
    expect(res.body.config['cleanup.policy']).toBe('compact');
    expect(res.body.config['retention.ms']).toBe('604800000');
  });

  it('validateOnly answers the result and stores nothing', async () => {
    expect((await create('hc-dry', {})).status).toBe(201);
    const before = await configOf('hc-dry');
    const res = await alterConfigs('hc-dry', {
      changes: [{ name: 'cleanup.policy', value: 'compact' }],
      validateOnly: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.config['cleanup.policy']).toBe('compact');
    expect(await configOf('hc-dry')).toEqual(before);
  });

  it('bad input is a 4xx with a Kafka code and changes nothing', async () => {
    expect((await create('hc-bad', { 'retention.ms': 3_600_000 })).status).toBe(201);
    const before = await configOf('hc-bad');
    const cases: [unknown, number, string][] = [
      [{ changes: [{ name: 'no.such.config', value: '1' }] }, 400, 'INVALID_CONFIG'],
      [{ changes: [{ name: 'retention.ms', value: 'soon' }] }, 400, 'INVALID_CONFIG'],
      [{ changes: [{ name: 'retention.ms', op: 'append', value: '1' }] }, 400, 'INVALID_CONFIG'],
      [{ changes: [{ name: 'retention.ms', value: null }] }, 400, 'INVALID_REQUEST'],
      [
        {
          changes: [
            { name: 'retention.ms', value: '1' },
            { name: 'retention.ms', value: '2' },
          ],
        },
        400,
        'INVALID_REQUEST',
      ],
      [{ changes: [], replace: [] }, 400, 'INVALID_REQUEST'],
      [{}, 400, 'INVALID_REQUEST'],
      [{ changes: [{ name: 'retention.ms', value: '1', extra: true }] }, 400, 'INVALID_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await ctx.http.post('/v1/topics/hc-bad/configs', body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status, code });
    }
    expect(await configOf('hc-bad')).toEqual(before);
    const missing = await alterConfigs('hc-none', { changes: [{ name: 'retention.ms', value: '1' }] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

describe('retention and cleanup.policy', () => {
  it('compact alone keeps old batches past retention.ms; compact,delete trims them, as Kafka', async () => {
    const old = Date.now() - 3_600_000;
    for (const [name, policy] of [
      ['hc-ret-compact', 'compact'],
      ['hc-ret-both', 'compact,delete'],
    ] as const) {
      expect((await create(name, { 'cleanup.policy': policy, 'retention.ms': 60_000 })).status).toBe(201);
      for (let i = 0; i < 3; i++) {
        const res = await ctx.http.post(`/v1/topics/${name}/records`, {
          records: [{ key: `k${i}`, value: 'v', partition: 0, timestamp: old + i }],
        });
        expect(res.status).toBe(200);
      }
    }
    const trimmed = async (name: string) =>
      (await applyRetention(ctx.engine, await getTopic(ctx.engine, name), Date.now())).partitionsTrimmed;
    expect(await trimmed('hc-ret-compact')).toBe(0);
    expect(await trimmed('hc-ret-both')).toBe(1);
    const earliest = async (name: string) =>
      (await ctx.http.get(`/v1/topics/${name}`)).body.partitions[0].earliestOffset;
    expect(await earliest('hc-ret-compact')).toBe('0');
    expect(await earliest('hc-ret-both')).toBe('3');
  });
});
