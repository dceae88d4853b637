import { beforeAll, describe, expect, it } from 'vitest';
import { getTopic } from '../../lib/engine/ops/topics.js';
import { ambiguousNext } from '../support/faults.js';
import { createTestEngine, useTestServer } from '../support/stack.js';

const ctx = useTestServer();

beforeAll(async () => {
  expect((await ctx.http.post('/v1/topics', { name: 'idem', partitions: 3 })).status).toBe(201);
});

async function highWatermarks(): Promise<string[]> {
  const res = await ctx.http.get('/v1/topics/idem');
  return res.body.partitions.map((p: { latestOffset: string }) => p.latestOffset);
}

function request(
  producer: { producerId: string; producerEpoch: number },
  seqs: Record<number, number>,
  values: Record<number, string[]>,
) {
  return {
    producer: {
      ...producer,
      sequences: Object.entries(seqs).map(([partition, baseSequence]) => ({
        partition: Number(partition),
        baseSequence,
      })),
    },
    records: Object.entries(values).flatMap(([partition, vs]) =>
      vs.map((value) => ({ value, partition: Number(partition) })),
    ),
  };
}

describe('idempotent producer', () => {
  it('appends a retried batch once and answers the retry with the original offsets', async () => {
    const init = await ctx.http.post('/v1/producers', {});
    expect(init.status).toBe(200);
    expect(init.body).toMatchObject({ producerId: expect.stringMatching(/^\d+$/), producerEpoch: 0 });
    const before = await highWatermarks();

    const first = request(init.body, { 0: 0, 1: 0 }, { 0: ['a', 'b'], 1: ['c'] });
    const sent = await ctx.http.post('/v1/topics/idem/records', first);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    // The client never heard back (say) and retries, twice at once: nothing more is appended.
    const retries = await Promise.all([
      ctx.http.post('/v1/topics/idem/records', first),
      ctx.http.post('/v1/topics/idem/records', first),
    ]);
    for (const r of retries) expect(r.body).toEqual(sent.body);
    expect((await highWatermarks()).map(Number)).toEqual(
      before.map((h, p) => Number(h) + (p === 0 ? 2 : p === 1 ? 1 : 0)),
    );

    const next = await ctx.http.post('/v1/topics/idem/records', request(init.body, { 0: 2 }, { 0: ['d'] }));
    expect(next.status).toBe(200);
    expect(next.body.offsets[0].offset).toBe(String(Number(sent.body.offsets[1].offset) + 1));
  });

  it('survives an ambiguous commit inside the server without duplicating', async () => {
    const init = await ctx.http.post('/v1/producers', {});
    const before = await highWatermarks();
    const fault = ambiguousNext(ctx.engine.clients.dynamodb, 'TransactWriteItems');
    const res = await ctx.http.post(
      '/v1/topics/idem/records',
      request(init.body, { 2: 0 }, { 2: ['x', 'y'] }),
    );
    fault.remove();
    expect(fault.injected).toBe(1);
    expect(res.status).toBe(200);
    expect(Number((await highWatermarks())[2])).toBe(Number(before[2]) + 2);
  });

  it('rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing', async () => {
    const init = await ctx.http.post('/v1/producers', {});
    await ctx.http.post('/v1/topics/idem/records', request(init.body, { 0: 0 }, { 0: ['a'] }));
    const before = await highWatermarks();
    const gap = await ctx.http.post('/v1/topics/idem/records', request(init.body, { 0: 5 }, { 0: ['b'] }));
    expect(gap.status).toBe(409);
    expect(gap.body.error.code).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(await highWatermarks()).toEqual(before);
  });

  it('fences an older epoch of the same transactionalId with INVALID_PRODUCER_EPOCH', async () => {
    const old = await ctx.http.post('/v1/producers', { transactionalId: 'pipeline-1' });
    expect(old.body.producerEpoch).toBe(0);
    expect(
      (await ctx.http.post('/v1/topics/idem/records', request(old.body, { 1: 0 }, { 1: ['old'] }))).status,
    ).toBe(200);
    const fresh = await ctx.http.post('/v1/producers', { transactionalId: 'pipeline-1' });
    expect(fresh.body).toEqual({ producerId: old.body.producerId, producerEpoch: 1 });
    const before = await highWatermarks();
    const fenced = await ctx.http.post(
      '/v1/topics/idem/records',
      request(old.body, { 1: 1 }, { 1: ['zombie'] }),
    );
    expect(fenced.status).toBe(409);
    expect(fenced.body.error.code).toBe('INVALID_PRODUCER_EPOCH');
    // Fenced on a partition the new epoch has not written yet, too.
    const fenced2 = await ctx.http.post(
      '/v1/topics/idem/records',
      request(old.body, { 2: 0 }, { 2: ['zombie'] }),
    );
    expect(fenced2.body.error.code).toBe('INVALID_PRODUCER_EPOCH');
    expect(await highWatermarks()).toEqual(before);
    // The new epoch starts its sequences again at 0.
    expect(
      (await ctx.http.post('/v1/topics/idem/records', request(fresh.body, { 1: 0 }, { 1: ['new'] }))).status,
    ).toBe(200);
  });

  it('rejects unknown producers and unsequenced records', async () => {
    const unknown = await ctx.http.post(
      '/v1/topics/idem/records',
      request({ producerId: '12345', producerEpoch: 0 }, { 0: 0 }, { 0: ['a'] }),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('UNKNOWN_PRODUCER_ID');
    const init = await ctx.http.post('/v1/producers', {});
    const noPartition = await ctx.http.post('/v1/topics/idem/records', {
      producer: { ...init.body, sequences: [{ partition: 0, baseSequence: 0 }] },
      records: [{ value: 'a' }],
    });
    expect(noPartition.status).toBe(400);
    const missingSeq = await ctx.http.post(
      '/v1/topics/idem/records',
      request(init.body, { 0: 0 }, { 0: ['a'], 1: ['b'] }),
    );
    expect(missingSeq.status).toBe(400);
  });
});

describe('idempotent producer across processes (each with its own cached producer state)', () => {
  it('a stale cached state in one process is caught by the commit condition: no gap, no duplicate', async () => {
    const { produce } = await import('../../lib/engine/ops/produce.js');
    const { initProducer } = await import('../../lib/engine/ops/producers.js');
    const a = ctx.engine;
    const b = await createTestEngine({ ...a.config });
    const id = await initProducer(a, {});
    const send = (engine: typeof a, seq: number, value: string) =>
      produce(
        engine,
        'idem',
        [{ key: null, value: new TextEncoder().encode(value), headers: [], partition: 1 }],
        {
          producer: { ...id, sequences: new Map([[1, seq]]) },
        },
      );
    const first = await send(a, 0, 'one'); // a caches the state after sequence 0
    const second = await send(b, 1, 'two'); // written by b: a's cache is now stale
    expect(second[0]?.offset).toBe((first[0]?.offset ?? 0) + 1);
    // A retry of b's batch reaching a: a's stale cache says "append", the commit says "duplicate".
    expect(await send(a, 1, 'two')).toEqual(second);
    // And a goes on at the right sequence.
    const third = await send(a, 2, 'three');
    expect(third[0]?.offset).toBe((second[0]?.offset ?? 0) + 1);
    const head = await ctx.engine.metadata.getHead(await getTopic(ctx.engine, 'idem'), 1);
    expect(head.nextOffset).toBe((third[0]?.offset ?? 0) + 1);
  });
});
