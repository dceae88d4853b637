import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { supportedCompressions } from '../../lib/engine/codec/compression.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { useTestServer } from '../support/stack.js';

const ctx = useTestServer();

beforeAll(async () => {
  expect(
    (
      await ctx.http.post('/v1/topics', {
        name: 'strict',
        partitions: 2,
        config: { 'max.message.bytes': 100 },
      })
    ).status,
  ).toBe(201);
  // One good record so that "nothing changed" is checked against a non-empty log.
  expect(
    (await ctx.http.post('/v1/topics/strict/records', { records: [{ value: 'ok', partition: 0 }] })).status,
  ).toBe(200);
});

/** Everything a bad request could have changed: topics, heads, index entries, segment objects. */
async function snapshot() {
  const topic = await getTopic(ctx.engine, 'strict');
  const heads = await ctx.engine.metadata.getHeads(topic);
  const index = await Promise.all(
    [0, 1].map(async (p) => (await ctx.engine.metadata.queryIndex(topic, p, 0, 100)).entries),
  );
  const objects = await ctx.engine.clients.s3.send(
    new ListObjectsV2Command({ Bucket: ctx.engine.config.bucket }),
  );
  const topics = (await ctx.engine.metadata.listTopics()).map((t) => `${t.name}:${t.partitions}`);
  return { heads, index, objects: (objects.Contents ?? []).map((o) => o.Key), topics };
}

const records = (n: number, value = 'v') => ({ records: Array.from({ length: n }, () => ({ value })) });

type Case = [name: string, method: string, path: string, body: unknown, status: number, code: string];

const cases: Case[] = [
  [
    'topic name with a space',
    'POST',
    '/v1/topics',
    { name: 'bad name', partitions: 1 },
    400,
    'INVALID_TOPIC_EXCEPTION',
  ],
  ['topic name "."', 'POST', '/v1/topics', { name: '.', partitions: 1 }, 400, 'INVALID_TOPIC_EXCEPTION'],
  ['topic name ".."', 'POST', '/v1/topics', { name: '..', partitions: 1 }, 400, 'INVALID_TOPIC_EXCEPTION'],
  [
    'topic name of 250 chars',
    'POST',
    '/v1/topics',
    { name: 'a'.repeat(250), partitions: 1 },
    400,
    'INVALID_TOPIC_EXCEPTION',
  ],
  ['empty topic name', 'POST', '/v1/topics', { name: '', partitions: 1 }, 400, 'INVALID_TOPIC_EXCEPTION'],
  ['zero partitions', 'POST', '/v1/topics', { name: 'zero', partitions: 0 }, 400, 'INVALID_PARTITIONS'],
  ['1,001 partitions', 'POST', '/v1/topics', { name: 'huge', partitions: 1001 }, 400, 'INVALID_PARTITIONS'],
  ['partitions as a string', 'POST', '/v1/topics', { name: 'str', partitions: '3' }, 400, 'INVALID_REQUEST'],
  [
    'unknown config',
    'POST',
    '/v1/topics',
    { name: 'cfg', config: { 'retention.msx': 1 } },
    400,
    'INVALID_CONFIG',
  ],
  [
    'bad retention.ms',
    'POST',
    '/v1/topics',
    { name: 'cfg', config: { 'retention.ms': 'soon' } },
    400,
    'INVALID_CONFIG',
  ],
  [
    'bad cleanup.policy',
    'POST',
    '/v1/topics',
    { name: 'cfg', config: { 'cleanup.policy': 'shred' } },
    400,
    'INVALID_CONFIG',
  ],
  [
    'retention.bytes below -1',
    'POST',
    '/v1/topics',
    { name: 'cfg', config: { 'retention.bytes': -2 } },
    400,
    'INVALID_CONFIG',
  ],
  ['malformed JSON', 'POST', '/v1/topics/strict/records', '{"records": [', 400, 'INVALID_REQUEST'],
  ['no body', 'POST', '/v1/topics/strict/records', undefined, 400, 'INVALID_REQUEST'],
  ['records not an array', 'POST', '/v1/topics/strict/records', { records: {} }, 400, 'INVALID_REQUEST'],
  ['empty records', 'POST', '/v1/topics/strict/records', { records: [] }, 400, 'INVALID_REQUEST'],
  [
    'value as a number',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 5 }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'partition as a string',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', partition: '0' }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'negative partition',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', partition: -1 }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'unknown record field',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ vaule: 'typo' }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'negative timestamp',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', timestamp: -5 }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'non-numeric timestamp',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', timestamp: 'noon' }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'header value as a number',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', headers: { n: 1 } }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'headers as an array',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', headers: ['x'] }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'empty header name',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', headers: { '': 'x' } }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    'header name over 256 bytes',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', headers: { ['h'.repeat(257)]: 'x' } }] },
    400,
    'INVALID_REQUEST',
  ],
  [
    '101 headers',
    'POST',
    '/v1/topics/strict/records',
    {
      records: [
        { value: 'a', headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, 'x'])) },
      ],
    },
    400,
    'INVALID_REQUEST',
  ],
  [
    'invalid base64',
    'POST',
    '/v1/topics/strict/records',
    { encoding: 'base64', records: [{ value: 'not base64!' }] },
    400,
    'INVALID_REQUEST',
  ],
  // zstd is written only where Node's zlib has it (22.15 on): elsewhere it is a codec this server lacks.
  ...(supportedCompressions().includes('zstd')
    ? []
    : [
        [
          'compression this server cannot write',
          'POST',
          '/v1/topics/strict/records',
          { compression: 'zstd', records: [{ value: 'a' }] },
          400,
          'UNSUPPORTED_COMPRESSION_TYPE',
        ] satisfies Case,
      ]),
  [
    'record over max.message.bytes',
    'POST',
    '/v1/topics/strict/records',
    {
      records: [
        { value: 'a', partition: 1 },
        { value: 'x'.repeat(101), partition: 1 },
      ],
    },
    413,
    'MESSAGE_TOO_LARGE',
  ],
  [
    'headers push a record over max.message.bytes',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'x'.repeat(90), headers: { h: 'y'.repeat(20) } }] },
    413,
    'MESSAGE_TOO_LARGE',
  ],
  ['10,001 records', 'POST', '/v1/topics/strict/records', records(10_001), 413, 'RECORD_LIST_TOO_LARGE'],
  [
    'a body over 6 MB',
    'POST',
    '/v1/topics/strict/records',
    records(700, 'x'.repeat(10_000)),
    413,
    'RECORD_LIST_TOO_LARGE',
  ],
  [
    'unknown partition on produce',
    'POST',
    '/v1/topics/strict/records',
    { records: [{ value: 'a', partition: 2 }] },
    404,
    'UNKNOWN_TOPIC_OR_PARTITION',
  ],
  [
    'unknown topic on produce',
    'POST',
    '/v1/topics/nope/records',
    { records: [{ value: 'a' }] },
    404,
    'UNKNOWN_TOPIC_OR_PARTITION',
  ],
  [
    'invalid topic name in the path',
    'POST',
    '/v1/topics/bad%20name/records',
    { records: [{ value: 'a' }] },
    400,
    'INVALID_TOPIC_EXCEPTION',
  ],
  [
    'negative offset',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=-1',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  [
    'non-numeric offset',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=abc',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  [
    'fractional offset',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=1.5',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  ['missing offset', 'GET', '/v1/topics/strict/partitions/0/records', undefined, 400, 'INVALID_REQUEST'],
  [
    'maxRecords of 0',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=0&maxRecords=0',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  [
    'waitMs over 20 s',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=0&waitMs=20001',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  [
    'non-numeric partition',
    'GET',
    '/v1/topics/strict/partitions/x/records?offset=0',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  [
    'unknown partition on fetch',
    'GET',
    '/v1/topics/strict/partitions/7/records?offset=0',
    undefined,
    404,
    'UNKNOWN_TOPIC_OR_PARTITION',
  ],
  [
    'unknown topic on fetch',
    'GET',
    '/v1/topics/nope/partitions/0/records?offset=0',
    undefined,
    404,
    'UNKNOWN_TOPIC_OR_PARTITION',
  ],
  [
    'offset past the high watermark',
    'GET',
    '/v1/topics/strict/partitions/0/records?offset=2',
    undefined,
    416,
    'OFFSET_OUT_OF_RANGE',
  ],
  [
    'bad list-offsets spec',
    'GET',
    '/v1/topics/strict/partitions/0/offsets?at=yesterday',
    undefined,
    400,
    'INVALID_REQUEST',
  ],
  ['unknown topic on describe', 'GET', '/v1/topics/nope', undefined, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
  ['unknown topic on delete', 'DELETE', '/v1/topics/nope', undefined, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [
    'add partitions as a string',
    'POST',
    '/v1/topics/strict/partitions',
    { count: 'four' },
    400,
    'INVALID_REQUEST',
  ],
  [
    'add partitions past 1,000',
    'POST',
    '/v1/topics/strict/partitions',
    { count: 1001 },
    400,
    'INVALID_PARTITIONS',
  ],
  ['unknown route', 'GET', '/v1/nothing-here', undefined, 404, 'NOT_FOUND'],
  ['wrong method', 'PUT', '/v1/topics/strict/records', undefined, 405, 'METHOD_NOT_ALLOWED'],
];

describe('bad input gets a typed 4xx and changes nothing', () => {
  it.each(cases)('%s', async (_name, method, path, body, status, code) => {
    const before = await snapshot();
    const res = await ctx.http.request(method, path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
    expect(await snapshot()).toEqual(before);
  });

  it('reports both bounds for an offset out of range', async () => {
    const res = await ctx.http.get('/v1/topics/strict/partitions/0/records?offset=9');
    expect(res.body.error).toMatchObject({ logStartOffset: '0', highWatermark: '1', retriable: false });
  });
});
