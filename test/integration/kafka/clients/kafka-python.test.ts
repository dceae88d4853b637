import { describe, expect, it } from 'vitest';
import {
  createTopicHttp,
  itRoundTripsEveryCodec,
  sampleRecords,
  toJsonRecord,
  usePythonClient,
} from '../../../support/kafka-clients.js';

/**
 * kafka-python 2.0.2 (Debian's python3-kafka) against the gateway, through
 * test/fixtures/kafka/python/kafka_python_ops.py. Debian's /usr/bin/python3 also has
 * python3-snappy, python3-lz4 and python3-zstandard, so kafka-python has every codec here.
 * kafka-python cannot send a header with a null value (its producer asserts bytes).
 */
const py = usePythonClient('kafka_python_ops.py');
const { ctx, run: kafkaPython } = py;

describe('kafka-python', () => {
  it('reads metadata: cluster id, controller, one broker, the topics and their partitions', async () => {
    await createTopicHttp(ctx.http, 'kp-meta', 3);
    const [md] = await kafkaPython([{ op: 'metadata' }]);
    const [host, port] = ctx.bootstrap.split(':');
    expect(md.brokers).toEqual([{ id: 0, host, port: Number(port) }]);
    expect(md.controller_id).toBe(0);
    expect(md.topics['kp-meta']).toEqual([0, 1, 2]);
  });

  it('creates and deletes a topic with KafkaAdminClient', async () => {
    const [created, dup] = await kafkaPython([
      { op: 'create_topics', topics: [{ name: 'kp-admin', partitions: 2, replication_factor: 3 }] },
      { op: 'create_topics', topics: [{ name: 'kp-admin', partitions: 1 }] },
    ]);
    expect(created).toEqual({ 'kp-admin': 0 });
    // TOPIC_ALREADY_EXISTS
    expect(dup).toEqual({ 'kp-admin': 36 });
    const described = await ctx.http.get('/v1/topics/kp-admin');
    expect(described.body.partitions).toHaveLength(2);

    const [deleted, md] = await kafkaPython([
      { op: 'delete_topics', topics: ['kp-admin'] },
      { op: 'metadata' },
    ]);
    expect(deleted).toEqual({ 'kp-admin': 0 });
    expect(md.topics['kp-admin']).toBeUndefined();
    expect((await ctx.http.get('/v1/topics/kp-admin')).status).toBe(404);
  });

  // timestampType 0: CreateTime
  itRoundTripsEveryCodec(py, { prefix: 'kp', seekTo: 2, timestampType: 0, nullHeader: false });

  it('lists offsets: beginning_offsets, end_offsets and offsets_for_times', async () => {
    const topic = 'kp-offsets';
    await createTopicHttp(ctx.http, topic, 2);
    const base = 1_700_000_000_000;
    const records = sampleRecords('kp-off', 5, {
      baseTimestamp: base,
      partition: 0,
      bigValues: false,
      nullHeader: false,
    });
    const [before, , after, other] = await kafkaPython([
      { op: 'offsets', topic, partition: 0 },
      { op: 'produce', topic, compression: 'none', records: records.map(toJsonRecord) },
      { op: 'offsets', topic, partition: 0, timestamps: [base - 1, base + 1, base + 4000, base + 4001] },
      { op: 'offsets', topic, partition: 1, timestamps: [base] },
    ]);
    expect(before).toEqual({ earliest: 0, latest: 0, times: [] });
    expect(after).toEqual({
      earliest: 0,
      latest: 5,
      times: [
        { offset: 0, timestamp: base },
        { offset: 1, timestamp: base + 1000 },
        { offset: 4, timestamp: base + 4000 },
        null,
      ],
    });
    expect(other).toEqual({ earliest: 0, latest: 0, times: [null] });
  });

  it('commits and fetches offsets as a simple consumer (assign, commit, committed)', async () => {
    const topic = 'kp-commit';
    await createTopicHttp(ctx.http, topic, 2);
    const [committed, again, other] = await kafkaPython([
      { op: 'commit', group: 'kp-simple', topic, offsets: { 0: 7, 1: 2 }, metadata: 'kp-meta' },
      { op: 'committed', group: 'kp-simple', topic, partitions: [0, 1] },
      { op: 'committed', group: 'kp-other', topic, partitions: [0] },
    ]);
    expect(committed).toEqual({ 0: 7, 1: 2 });
    expect(again).toEqual({ 0: 7, 1: 2 });
    expect(other).toEqual({ 0: null });
  });
});
