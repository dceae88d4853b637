import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../../support/gateway.js';
import {
  comparable,
  createTopicHttp,
  fromJsonRecord,
  type JsonRecord,
  kcat,
  kcatConsume,
  kcatConsumeJson,
  kcatHeaderPairs,
  killChildrenAfterAll,
  produceHttp,
  type ReadRecord,
  readHttp,
  runPython,
  type TestRecord,
} from '../../support/kafka-clients.js';
import { fetchWithKafkajs, groupedByKey, useKafkajs } from '../../support/kafkajs.js';

/**
 * One log, two front ends: what the HTTP API writes, Kafka clients read byte for byte (kcat,
 * librdkafka through confluent-kafka), and what Kafka clients write (kcat, kafkajs), the HTTP API
 * reads the same: offsets, keys, values, headers and timestamps.
 */
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ctx = useTestGateway();
killChildrenAfterAll();

const kj = useKafkajs(ctx, 'strata-cross-api');

/** Every byte value, newlines and NULs included, so that nothing text-shaped gets by. */
const binary = (seed: number, length: number) =>
  Buffer.from(Array.from({ length }, (_, i) => (seed * 31 + i * 7) % 256));

/** Records the HTTP API can express: unique header keys, binary keys and values, a tombstone, a null key. */
function httpRecords(partition: number): TestRecord[] {
  const base = 1_650_000_000_000;
  return [
    {
      key: Buffer.from('plain key'),
      value: Buffer.from('plain value ✓'),
      headers: [
        ['trace', Buffer.from('t-1')],
        ['ünïcode', Buffer.from('välue ✓')],
      ],
      timestamp: base,
    },
    {
      key: binary(1, 64),
      value: binary(2, 3000),
      headers: [['empty', Buffer.alloc(0)]],
      timestamp: base + 1,
    },
    { key: Buffer.from('tombstone'), value: null, headers: [], timestamp: base + 2 },
    { key: null, value: Buffer.from('no key'), headers: [['nullvalue', null]], timestamp: base + 3 },
    {
      key: Buffer.alloc(0),
      value: Buffer.alloc(0),
      headers: [['h', Buffer.from('x')]],
      timestamp: base + 1000,
    },
  ].map((r) => ({ ...r, partition }) as TestRecord);
}

/**
 * `kcat -C -f` with each key and value's length before its bytes, so that binary keys and values
 * come through exactly; headers as kcat prints them (k=v, comma-separated, NULL for null).
 */
async function kcatExact(topic: string, partition: number, offset: number, count: number) {
  const out = await kcatConsume(ctx.bootstrap, topic, partition, offset, count, [
    '-f',
    '%o|%T|%K|%S|%h|%k%s\n',
  ]);
  const records: {
    offset: number;
    timestamp: number;
    key: Buffer | null;
    value: Buffer | null;
    headers: string;
  }[] = [];
  let at = 0;
  const field = () => {
    const end = out.indexOf(0x7c, at); // '|'
    if (end < 0) throw new Error(`kcat output ends early at ${at}`);
    const s = out.subarray(at, end).toString();
    at = end + 1;
    return s;
  };
  while (at < out.length) {
    const offsetField = Number(field());
    const timestamp = Number(field());
    const keyLength = Number(field());
    const valueLength = Number(field());
    const headers = field();
    const key = keyLength < 0 ? null : out.subarray(at, at + keyLength);
    at += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : out.subarray(at, at + valueLength);
    at += Math.max(valueLength, 0);
    expect(out[at]).toBe(0x0a);
    at += 1;
    records.push({ offset: offsetField, timestamp, key, value, headers });
  }
  return records;
}

/** kcat's -J headers, as [key, value] pairs. */
async function kcatHeaders(topic: string, partition: number, offset: number, count: number) {
  return (await kcatConsumeJson(ctx.bootstrap, topic, partition, offset, count)).map((j) =>
    kcatHeaderPairs(j.headers),
  );
}

describe('HTTP writes, Kafka clients read', () => {
  it('kcat, librdkafka and kafkajs read what HTTP produced, byte for byte, at the same offsets and timestamps', async () => {
    const topic = 'x-http-to-kafka';
    await createTopicHttp(ctx.http, topic, 2);
    const records = httpRecords(1);
    const offsets = await produceHttp(ctx.http, topic, records);
    expect(offsets).toEqual([0, 1, 2, 3, 4]);

    const viaKcat = await kcatExact(topic, 1, 0, records.length);
    expect(viaKcat.map((r) => r.offset)).toEqual(offsets);
    expect(viaKcat.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
    expect(viaKcat.map((r) => [r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null])).toEqual(
      records.map((r) => [r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null]),
    );
    expect(await kcatHeaders(topic, 1, 0, records.length)).toEqual(
      records.map((r) => r.headers.map(([k, v]) => [k, v === null ? null : v.toString()])),
    );

    const [viaLibrdkafka] = await runPython('confluent_ops.py', ctx.bootstrap, [
      { op: 'consume', topic, partition: 1, offset: 0, count: records.length },
    ]);
    const read = (viaLibrdkafka as JsonRecord[]).map(fromJsonRecord);
    expect(read.map((r) => r.offset)).toEqual(offsets);
    expect(read.map((r) => comparable(r))).toEqual(records.map((r) => comparable(r)));
    // CreateTime as HTTP stored it.
    expect(viaLibrdkafka.map((r: { timestamp_type: number }) => r.timestamp_type)).toEqual(
      records.map(() => 1),
    );

    // kafkajs's own Fetch and decoder (its headers are an object: grouped by key).
    const viaKafkajs = await fetchWithKafkajs(kj.kafka, topic, 1, 0, records.length);
    expect(viaKafkajs.map((r) => r.offset)).toEqual(offsets);
    expect(viaKafkajs.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
    expect(viaKafkajs.map(groupedByKey)).toEqual(records.map(groupedByKey));
  });
});

describe('Kafka clients write, HTTP reads', () => {
  it('reads what kcat produced: the same offsets, keys, values, headers and timestamps kcat reads', async () => {
    const topic = 'x-kcat-to-http';
    await createTopicHttp(ctx.http, topic, 1);
    const lines = ['k1\tfirst value', 'k2\tsecond ✓ value', 'k3\t'];
    await kcat(
      ctx.bootstrap,
      ['-P', '-t', topic, '-p', '0', '-K', '\t', '-z', 'gzip', '-H', 'source=kcat', '-H', 'n'],
      `${lines.join('\n')}\n`,
    );
    const viaKcat = await kcatExact(topic, 0, 0, 3);
    const overHttp = await readHttp(ctx.http, topic, 0, 0, 3);
    expect(overHttp.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(overHttp.map((r) => r.timestamp)).toEqual(viaKcat.map((r) => r.timestamp));
    expect(overHttp.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual(
      lines.map((l) => l.split('\t')),
    );
    expect(overHttp.map((r) => r.headers.map(([k, v]) => [k, v === null ? null : v.toString()]))).toEqual(
      lines.map(() => [
        ['source', 'kcat'],
        ['n', null],
      ]),
    );
  });

  it('reads what kafkajs produced, binary and gzip-compressed, with its timestamps', async () => {
    const topic = 'x-kafkajs-to-http';
    await createTopicHttp(ctx.http, topic, 2);
    const records: TestRecord[] = [0, 1, 2, 3].map((i) => ({
      key: binary(10 + i, 16),
      value: binary(20 + i, 500 + i),
      headers: [
        ['i', Buffer.from(String(i))],
        ['bin', binary(30 + i, 8)],
      ],
      timestamp: 1_660_000_000_000 + i * 10,
      partition: 1,
    }));
    const sent = await kj.producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: records.map((r) => ({
        key: r.key,
        value: r.value,
        partition: 1,
        timestamp: String(r.timestamp),
        headers: Object.fromEntries(r.headers) as Record<string, Buffer>,
      })),
    });
    expect(sent).toEqual([expect.objectContaining({ partition: 1, errorCode: 0, baseOffset: '0' })]);
    const overHttp = await readHttp(ctx.http, topic, 1, 0, 4);
    expect(overHttp.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(overHttp.map((r) => comparable(r))).toEqual(records.map((r) => comparable(r)));
  });

  it('interleaved HTTP, kcat and kafkajs writes share one partition log: one offset sequence, read the same by both sides', async () => {
    const topic = 'x-interleaved';
    await createTopicHttp(ctx.http, topic, 1);
    const written: { source: string; value: string }[] = [];
    const viaHttp = async (value: string) => {
      await produceHttp(ctx.http, topic, [
        { key: Buffer.from('http'), value: Buffer.from(value), headers: [] },
      ]);
      written.push({ source: 'http', value });
    };
    const viaKcat = async (value: string) => {
      await kcat(ctx.bootstrap, ['-P', '-t', topic, '-p', '0', '-k', 'kcat'], `${value}\n`);
      written.push({ source: 'kcat', value });
    };
    const viaKafkajs = async (value: string) => {
      await kj.producer.send({ topic, messages: [{ key: 'kafkajs', value, partition: 0 }] });
      written.push({ source: 'kafkajs', value });
    };
    await viaHttp('h0');
    await viaKcat('c1');
    await viaKafkajs('j2');
    await viaHttp('h3');
    await viaKafkajs('j4');
    await viaKcat('c5');

    const overHttp = await readHttp(ctx.http, topic, 0, 0, written.length);
    expect(overHttp.map((r) => [r.offset, r.key?.toString(), r.value?.toString()])).toEqual(
      written.map((w, i) => [i, w.source, w.value]),
    );
    const overKafka = await kcatExact(topic, 0, 0, written.length);
    expect(overKafka.map((r) => [r.offset, r.key?.toString(), r.value?.toString()])).toEqual(
      written.map((w, i) => [i, w.source, w.value]),
    );
    expect(overKafka.map((r) => r.timestamp)).toEqual(overHttp.map((r: ReadRecord) => r.timestamp));
    // The high watermark agrees on both sides.
    const hw = await kcat(ctx.bootstrap, ['-Q', '-t', `${topic}:0:-1`]);
    expect(hw.toString()).toContain(`${topic} [0] offset ${written.length}`);
    const latest = await ctx.http.get(`/v1/topics/${topic}`);
    expect(latest.body.partitions[0].latestOffset).toBe(String(written.length));
  });
});
