/**
 * Batches the engine compresses (HTTP produce's `compression`) are read by real Kafka clients over
 * the gateway: kcat (librdkafka) under every codec this server writes, and @platformatic/kafka
 * under those it has (the same codecs). snappy batches are one raw block, as librdkafka writes
 * them; lz4 ones are frames of independent 64 KiB blocks, as the Java client writes them. And the
 * other way round: batches real clients compressed, produced over Kafka as they are, read back
 * over HTTP, whose fetch decodes them.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CompressionName, supportedCompressions } from '../../../lib/engine/codec/compression.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { LARGE, SMALL } from '../../fixtures/kafka/batches/records.js';
import { useTestGateway } from '../../support/gateway.js';
import { openKafkaWire, producedPartition, produceRequest } from '../../support/kafka-wire.js';

const run = promisify(execFile);
const ctx = useTestGateway();
const CODECS = supportedCompressions();
/** 40 records of about 2 KiB: past one 64 KiB LZ4 block. */
const RECORDS = Array.from({ length: 40 }, (_, i) => ({
  key: `key-${i}`,
  value: `${i}:${'abcdefghij'.repeat(20 + (i % 7))}:${Array.from({ length: 150 }, (_, j) => (i * 31 + j * 7) % 101).join(',')}`,
}));
const topicIds = new Map<CompressionName, string>();

/** What @platformatic/kafka's Consumer.fetch resolves to (its overloads hide it), as far as read here. */
interface FetchAnswer {
  responses: {
    partitions: {
      errorCode: number;
      records?: { records: { key: Buffer | null; value: Buffer | null }[] }[];
    }[];
  }[];
}

beforeAll(async () => {
  for (const codec of CODECS) {
    const topic = `read-${codec}`;
    expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 1 })).status).toBe(201);
    const res = await ctx.http.post(`/v1/topics/${topic}/records`, {
      compression: codec,
      records: RECORDS.map((r) => ({ ...r, partition: 0 })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  // Topic ids as the wire shows them (Fetch v13+ names topics by id).
  const wire = await openKafkaWire(ctx.bootstrap);
  const metadata = await wire.request(APIS.Metadata.key, 12, {
    topics: CODECS.map((c) => ({ name: `read-${c}`, topicId: '00000000-0000-0000-0000-000000000000' })),
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  for (const t of metadata.topics) topicIds.set(t.name?.slice('read-'.length) as CompressionName, t.topicId);
  wire.close();
});

describe('engine-compressed batches read by real clients', () => {
  it('covers gzip, snappy and lz4 at least', () => {
    expect(CODECS).toEqual(expect.arrayContaining(['none', 'gzip', 'snappy', 'lz4']));
  });

  it.each(CODECS)('kcat reads %s', async (codec) => {
    const { stdout } = await run(
      'kcat',
      [
        '-C',
        '-b',
        ctx.bootstrap,
        '-t',
        `read-${codec}`,
        '-p',
        '0',
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%k=%s\\n',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout.split('\n').filter(Boolean)).toEqual(RECORDS.map((r) => `${r.key}=${r.value}`));
  });

  // It has zstd exactly where zlib has it, as this server does.
  it.each(CODECS)('@platformatic/kafka reads %s', async (codec) => {
    const consumer = new Consumer({
      groupId: `read-${codec}`,
      clientId: 'strata-test',
      bootstrapBrokers: [ctx.bootstrap],
      deserializers: stringDeserializers,
      retries: 0,
    });
    try {
      const res = (await consumer.fetch({
        node: 0,
        topics: [
          {
            topicId: topicIds.get(codec) as string,
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 4 * 1024 * 1024,
              },
            ],
          },
        ],
      })) as unknown as FetchAnswer;
      const partition = res.responses[0]?.partitions[0];
      expect(partition?.errorCode).toBe(0);
      const records = (partition?.records ?? []).flatMap((b) => b.records);
      expect(records.map((r) => `${r.key?.toString()}=${r.value?.toString()}`)).toEqual(
        RECORDS.map((r) => `${r.key}=${r.value}`),
      );
    } finally {
      await consumer.close(true);
    }
  });
});

/** Record batches as real clients compressed them (test/fixtures/kafka/batches), sent as they are. */
const FIXTURES = join(import.meta.dirname, '../../fixtures/kafka/batches');
const GOLDEN = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(FIXTURES, d.name)).map((file) => ({
      name: `${d.name}/${file}`,
      size: file.includes('-large') ? 'large' : 'small',
      bytes: Uint8Array.from(Buffer.from(readFileSync(join(FIXTURES, d.name, file), 'utf8').trim(), 'hex')),
    })),
  );

describe('batches real clients compressed, produced over Kafka', () => {
  it.each(GOLDEN.map((g, i) => [g.name, g, i] as const))(
    '%s reads back over HTTP as sent',
    async (_, g, i) => {
      const topic = `golden-${i}`;
      expect((await ctx.http.post('/v1/topics', { name: topic, partitions: 1 })).status).toBe(201);
      const wire = await openKafkaWire(ctx.bootstrap);
      try {
        const res = await wire.request(APIS.Produce.key, 9, produceRequest(topic, 0, g.bytes));
        expect(producedPartition(res)?.errorCode).toBe(0);
      } finally {
        wire.close();
      }
      const sent = g.size === 'small' ? SMALL : LARGE;
      const read = await ctx.http.get(`/v1/topics/${topic}/partitions/0/records?offset=0&maxRecords=100`);
      const records = read.body.records as { key: string; value: string; headers: Record<string, string> }[];
      expect(records.length).toBeGreaterThan(0);
      expect(records.map((r) => ({ key: r.key, value: r.value, headers: r.headers }))).toEqual(
        sent.slice(0, records.length).map((r) => ({ ...r, headers: g.size === 'small' ? { h1: 'x' } : {} })),
      );
    },
  );
});
