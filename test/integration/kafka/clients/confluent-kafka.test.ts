import { describe, expect, it } from 'vitest';
import {
  createTopicHttp,
  itRoundTripsEveryCodec,
  sampleRecords,
  toJsonRecord,
  usePythonClient,
} from '../../../support/kafka-clients.js';

/**
 * confluent-kafka-python 1.7.0 (librdkafka 2.0.2, Debian's python3-confluent-kafka) against the
 * gateway, through test/fixtures/kafka/python/confluent_ops.py.
 */
const py = usePythonClient('confluent_ops.py');
const { ctx, run: confluent } = py;

describe('confluent-kafka (librdkafka)', () => {
  it('reads metadata: cluster id, controller, one broker leading every partition', async () => {
    await createTopicHttp(ctx.http, 'ck-meta', 2);
    const [md] = await confluent([{ op: 'metadata' }]);
    const [host, port] = ctx.bootstrap.split(':');
    expect(md.cluster_id).toBe('strata-local');
    expect(md.controller_id).toBe(0);
    expect(md.brokers).toEqual([{ id: 0, host, port: Number(port) }]);
    expect(md.topics['ck-meta']).toEqual({
      error: null,
      partitions: {
        0: { leader: 0, replicas: [0], isrs: [0] },
        1: { leader: 0, replicas: [0], isrs: [0] },
      },
    });
  });

  it('creates and deletes a topic with AdminClient', async () => {
    const [created, md, dup] = await confluent([
      {
        op: 'create_topics',
        topics: [
          { name: 'ck-admin', partitions: 3, replication_factor: 3, config: { 'retention.ms': '3600000' } },
        ],
      },
      { op: 'metadata', topic: 'ck-admin' },
      { op: 'create_topics', topics: [{ name: 'ck-admin', partitions: 1 }] },
    ]);
    expect(created).toEqual({ 'ck-admin': null });
    expect(Object.keys(md.topics['ck-admin'].partitions)).toEqual(['0', '1', '2']);
    expect(dup).toEqual({ 'ck-admin': 'TOPIC_ALREADY_EXISTS' });
    const described = await ctx.http.get('/v1/topics/ck-admin');
    expect(described.body).toMatchObject({ name: 'ck-admin', config: { 'retention.ms': '3600000' } });

    const [deleted] = await confluent([{ op: 'delete_topics', topics: ['ck-admin'] }]);
    expect(deleted).toEqual({ 'ck-admin': null });
    expect((await ctx.http.get('/v1/topics/ck-admin')).status).toBe(404);
  });

  // timestampType 1: TIMESTAMP_CREATE_TIME
  itRoundTripsEveryCodec(py, { prefix: 'ck', seekTo: 3, timestampType: 1 });

  it('lists offsets: watermarks and offsets_for_times', async () => {
    const topic = 'ck-offsets';
    await createTopicHttp(ctx.http, topic, 2);
    const base = 1_700_000_000_000;
    const records = sampleRecords('ck-off', 5, { baseTimestamp: base, partition: 1, bigValues: false });
    const results = await confluent([
      { op: 'watermarks', topic, partition: 1 },
      { op: 'produce', topic, compression: 'none', records: records.map(toJsonRecord) },
      { op: 'watermarks', topic, partition: 1 },
      { op: 'watermarks', topic, partition: 0 },
      { op: 'offsets_for_times', topic, partition: 1, timestamp: base - 5000 },
      { op: 'offsets_for_times', topic, partition: 1, timestamp: base + 1 },
      { op: 'offsets_for_times', topic, partition: 1, timestamp: base + 3000 },
      { op: 'offsets_for_times', topic, partition: 1, timestamp: base + 4001 },
    ]);
    const [empty, , filled, other, early, t1, t3, past] = results;
    expect(empty).toEqual([0, 0]);
    expect(filled).toEqual([0, 5]);
    expect(other).toEqual([0, 0]);
    expect([early, t1, t3]).toEqual([0, 1, 3]);
    // Past the last timestamp: the end (librdkafka reports OFFSET_END, -1).
    expect(past).toBe(-1);
  });

  it('commits and fetches offsets as a simple consumer (assign, commit, committed)', async () => {
    const topic = 'ck-commit';
    await createTopicHttp(ctx.http, topic, 2);
    await confluent([
      {
        op: 'produce',
        topic,
        compression: 'none',
        records: sampleRecords('ck-c', 4, { partition: 0, bigValues: false }).map(toJsonRecord),
      },
    ]);
    const [committed, again, other] = await confluent([
      { op: 'commit', group: 'ck-simple', topic, offsets: { 0: 3, 1: 0 } },
      { op: 'committed', group: 'ck-simple', topic, partitions: [0, 1] },
      { op: 'committed', group: 'ck-other', topic, partitions: [0, 1] },
    ]);
    expect(committed).toEqual({ 0: 3, 1: 0 });
    expect(again).toEqual({ 0: 3, 1: 0 });
    // Nothing committed: OFFSET_INVALID (-1001).
    expect(other).toEqual({ 0: -1001, 1: -1001 });
    // Committing again moves the offset.
    const [moved] = await confluent([{ op: 'commit', group: 'ck-simple', topic, offsets: { 0: 4 } }]);
    expect(moved).toEqual({ 0: 4 });
  });
});
