import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { produce } from '../../lib/engine/ops/produce.js';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { metaKeys } from '../../lib/engine/storage/keys.js';
import type { TaggedAction } from '../../lib/engine/storage/transaction.js';
import { ambiguousNext, failNext, hold } from '../support/faults.js';
import { createTestEngine, useTestServer } from '../support/stack.js';

const ctx = useTestServer();

const value = (s: string) => new TextEncoder().encode(s);
const record = (partition: number, v: string) => ({ key: null, value: value(v), headers: [], partition });

async function heads(topic: string) {
  const t = await getTopic(ctx.engine, topic);
  return (await ctx.engine.metadata.getHeads(t)).map((h) => h.nextOffset);
}

async function indexSize(topic: string, partition: number) {
  const t = await getTopic(ctx.engine, topic);
  return (await ctx.engine.metadata.queryIndex(t, partition, 0, 1000)).entries.length;
}

async function objectKeys(): Promise<string[]> {
  const res = await ctx.engine.clients.s3.send(
    new ListObjectsV2Command({ Bucket: ctx.engine.config.bucket }),
  );
  return (res.Contents ?? []).map((o) => o.Key as string);
}

describe('the commit', () => {
  it('is all or nothing across partitions when it fails between upload and commit', async () => {
    await ctx.http.post('/v1/topics', { name: 'atomic', partitions: 3 });
    await produce(ctx.engine, 'atomic', [record(0, 'before')]);
    const before = await objectKeys();

    const fault = failNext(ctx.engine.clients.dynamodb, 'TransactWriteItems', () => {
      const err = new Error('injected: the commit never reached DynamoDB');
      err.name = 'AccessDeniedException';
      return err;
    });
    const res = await ctx.http.post('/v1/topics/atomic/records', {
      records: [
        { value: 'x', partition: 0 },
        { value: 'y', partition: 1 },
        { value: 'z', partition: 2 },
      ],
    });
    fault.remove();
    expect(res.status).toBe(500);
    expect(fault.injected).toBe(1);

    // No partition moved, no index entry, and nobody can read the uploaded object.
    expect(await heads('atomic')).toEqual([1, 0, 0]);
    expect([
      await indexSize('atomic', 0),
      await indexSize('atomic', 1),
      await indexSize('atomic', 2),
    ]).toEqual([1, 0, 0]);
    const fetched = await ctx.http.get('/v1/topics/atomic/partitions/1/records?offset=0');
    expect(fetched.body.records).toEqual([]);

    // The upload happened, and the object is recorded as an orphan for storage cleanup.
    const orphanKeys = (await objectKeys()).filter((k) => !before.includes(k));
    expect(orphanKeys).toHaveLength(1);
    const orphan = await ctx.engine.metadata.getMetaItem(metaKeys.orphan(orphanKeys[0] as string));
    expect(orphan?.reason).toContain('injected');

    // The next produce commits normally at the offsets the failed one would have taken.
    const ok = await produce(ctx.engine, 'atomic', [record(0, 'a'), record(1, 'b'), record(2, 'c')]);
    expect(ok).toEqual([
      { partition: 0, offset: 1 },
      { partition: 1, offset: 0 },
      { partition: 2, offset: 0 },
    ]);
  });

  it('is applied once when its response is lost (ambiguous failure), and reports the applied offsets', async () => {
    await ctx.http.post('/v1/topics', { name: 'ambiguous', partitions: 2 });
    const fault = ambiguousNext(ctx.engine.clients.dynamodb, 'TransactWriteItems');
    const offsets = await produce(ctx.engine, 'ambiguous', [record(0, 'once'), record(1, 'only once')]);
    fault.remove();
    expect(fault.injected).toBe(1);
    expect(offsets).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);
    expect(await heads('ambiguous')).toEqual([1, 1]);
    const p1 = await ctx.http.get('/v1/topics/ambiguous/partitions/1/records?offset=0');
    expect(p1.body.records.map((r: { value: string }) => r.value)).toEqual(['only once']);
  });

  it('settles a lost response from the segment record the retry finds, in exactly one more transaction', async () => {
    await ctx.http.post('/v1/topics', { name: 'settled', partitions: 2 });
    await produce(ctx.engine, 'settled', [record(0, 'first')]);
    const before = await objectKeys();
    // Counts every commit transaction the produce sends (times: 0 lets them all through).
    const sent = failNext(ctx.engine.clients.dynamodb, 'TransactWriteItems', () => new Error('unused'), {
      times: 0,
    });
    // DynamoDB applies the commit; the response is lost.
    const lost = ambiguousNext(ctx.engine.clients.dynamodb, 'TransactWriteItems');
    const offsets = await produce(ctx.engine, 'settled', [record(0, 'x'), record(1, 'y'), record(0, 'z')]);
    const transactions = sent.calls;
    lost.remove();
    sent.remove();
    expect(lost.injected).toBe(1);
    expect(offsets).toEqual([
      { partition: 0, offset: 1 },
      { partition: 1, offset: 0 },
      { partition: 0, offset: 2 },
    ]);
    // The applied one, then the retry whose cancellation returns the segment record with the
    // offsets: anything slower (retrying until attempts run out, then reading the record) is a regression.
    expect(transactions).toBe(2);
    // Appended once, and the object is live, not an orphan.
    expect(await heads('settled')).toEqual([3, 1]);
    const p0 = await ctx.http.get('/v1/topics/settled/partitions/0/records?offset=0');
    expect(p0.body.records.map((r: { value: string }) => r.value)).toEqual(['first', 'x', 'z']);
    const p1 = await ctx.http.get('/v1/topics/settled/partitions/1/records?offset=0');
    expect(p1.body.records.map((r: { value: string }) => r.value)).toEqual(['y']);
    const uploaded = (await objectKeys()).filter((k) => !before.includes(k));
    expect(uploaded).toHaveLength(1);
    const orphans = (await ctx.engine.metadata.orphans()).map((o) => o.objectKey);
    expect(orphans).not.toContain(uploaded[0]);
  });

  it('retries at fresh offsets when another writer moved the head (returned by the cancellation)', async () => {
    await ctx.http.post('/v1/topics', { name: 'raced', partitions: 1 });
    // A second ctx.engine on the same tables has a stale idea of the head: its first guess is 0.
    const other = await createTestEngine({
      metaTable: ctx.engine.config.metaTable,
      indexTable: ctx.engine.config.indexTable,
      bucket: ctx.engine.config.bucket,
    });
    await produce(ctx.engine, 'raced', [record(0, 'a'), record(0, 'b')]);
    let transactions = 0;
    const counter = failNext(other.clients.dynamodb, 'TransactWriteItems', () => new Error('unused'), {
      times: 0,
    });
    const res = await produce(other, 'raced', [record(0, 'c')]);
    transactions = counter.calls;
    counter.remove();
    expect(res).toEqual([{ partition: 0, offset: 2 }]);
    // One cancelled attempt at the guessed offset 0, then one commit at 2: no extra read.
    expect(transactions).toBe(2);
  });

  it('fails a produce racing a topic delete instead of acknowledging into the void', async () => {
    await ctx.http.post('/v1/topics', { name: 'doomed', partitions: 1 });
    await produce(ctx.engine, 'doomed', [record(0, 'a')]);
    // Hold the upload so that the delete lands between reading the topic and committing.
    const upload = hold(ctx.engine.clients.s3, 'PutObject');
    const racing = produce(ctx.engine, 'doomed', [record(0, 'b')]);
    await upload.reached;
    expect((await ctx.http.delete('/v1/topics/doomed')).status).toBe(204);
    upload.release();
    await expect(racing).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(upload.injected).toBe(1);
    upload.remove();
  });
});

describe('a caller-prepared group commit', () => {
  /** A 'group' action whose condition holds or fails, standing in for the coordinator's member check. */
  const memberCheck = (holds: boolean): TaggedAction => ({
    role: 'group',
    item: {
      ConditionCheck: {
        TableName: ctx.engine.config.metaTable,
        Key: { pk: 'test#member-check', sk: 'check' },
        ConditionExpression: holds ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
      },
    },
  });

  it('is prepared again when the group changed before the commit landed, and commits once', async () => {
    await ctx.http.post('/v1/topics', { name: 'grouped', partitions: 1 });
    let prepared = 0;
    const offsets = await produce(ctx.engine, 'grouped', [record(0, 'a'), record(0, 'b')], {
      groupCommit: {
        groupId: 'g',
        offsets: 1,
        // Stale when validated before the upload; valid when validated again.
        prepare: async () => [memberCheck(++prepared > 1)],
      },
    });
    expect(prepared).toBe(2);
    expect(offsets).toEqual([
      { partition: 0, offset: 0 },
      { partition: 0, offset: 1 },
    ]);
    expect(await heads('grouped')).toEqual([2]);
  });

  it('gives up with CONCURRENT_TRANSACTIONS when the group keeps changing, and leaves an orphan', async () => {
    await ctx.http.post('/v1/topics', { name: 'churning', partitions: 1 });
    const before = await objectKeys();
    let prepared = 0;
    const produced = produce(ctx.engine, 'churning', [record(0, 'a')], {
      groupCommit: {
        groupId: 'g',
        offsets: 1,
        prepare: async () => {
          prepared++;
          return [memberCheck(false)];
        },
      },
    });
    await expect(produced).rejects.toMatchObject({ code: 'CONCURRENT_TRANSACTIONS' });
    // Once before the upload, then after each of the bounded number of stale commits but the last.
    expect(prepared).toBe(6);
    expect(await heads('churning')).toEqual([0]);
    const uploaded = (await objectKeys()).filter((k) => !before.includes(k));
    expect(uploaded).toHaveLength(1);
    expect((await ctx.engine.metadata.orphans()).map((o) => o.objectKey)).toContain(uploaded[0]);
  });
});

describe('the test-only broken commit', () => {
  it('really is broken: concurrent writers collide on offsets (so the checker has something to catch)', async () => {
    const broken = await createTestEngine({ testOnlyBreakCommitCondition: true });
    await broken.metadata.createTopic({
      name: 'broken',
      topicId: 'broken-topic-id',
      partitions: 1,
      config: {
        'retention.ms': -1,
        'retention.bytes': -1,
        'cleanup.policy': 'delete',
        'max.message.bytes': 1024,
        'message.timestamp.type': 'CreateTime',
        'delete.retention.ms': 86400000,
        'min.compaction.lag.ms': 0,
        'max.compaction.lag.ms': Number.MAX_SAFE_INTEGER,
        'min.cleanable.dirty.ratio': 0.5,
      },
      createdAt: Date.now(),
    });
    // Two engines with the same stale guess (0) both "commit" at offset 0.
    const other = await createTestEngine({ ...broken.config });
    const [a, b] = await Promise.all([
      produce(broken, 'broken', [record(0, 'a')]),
      produce(other, 'broken', [record(0, 'b')]),
    ]);
    expect(a).toEqual([{ partition: 0, offset: 0 }]);
    expect(b).toEqual([{ partition: 0, offset: 0 }]);
  });
});
