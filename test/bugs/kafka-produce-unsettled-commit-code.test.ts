/**
 * Bug: a Kafka Produce whose commit could not be settled (every attempt ambiguous, or lost to
 * contention: the engine's CommitConflictError) was answered CONCURRENT_TRANSACTIONS (51), a code
 * Kafka never returns for Produce. librdkafka takes it as permanent ("actions Permanent,
 * MsgNotPersisted"): it fails the record, and an idempotent producer then bumps its epoch, so the
 * records after it failed too. Kafka's answer for "may or may not have been written" is
 * REQUEST_TIMED_OUT (7), which every client retries with the same producer id, epoch and
 * sequence; the retry is then recognised as a duplicate.
 */
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { unsettledProduceCommit } from '../support/faults.js';
import { useTestGateway } from '../support/gateway.js';
import { openKafkaWire, producedPartition, produceRequest } from '../support/kafka-wire.js';

const ctx = useTestGateway({}, { maxCommitAttempts: 2 });

describe('Kafka Produce, a commit that cannot be settled', () => {
  it('is answered REQUEST_TIMED_OUT, and the same idempotent batch sent again is stored once', async () => {
    expect((await ctx.http.post('/v1/topics', { name: 'unsettled', partitions: 1 })).status).toBe(201);
    const producer = await ctx.http.post('/v1/producers', {});
    expect(producer.status).toBe(200);
    const { producerId, producerEpoch } = producer.body as { producerId: string; producerEpoch: number };
    const batch = encodeBatch(
      [
        {
          key: new TextEncoder().encode('k'),
          value: new TextEncoder().encode('once'),
          headers: [],
          timestamp: 1,
        },
      ],
      0,
      { producerId: Number(producerId), producerEpoch, baseSequence: 0 },
    ).bytes;
    const produce = produceRequest('unsettled', 0, batch, 10_000);

    // Every commit attempt "times out" after DynamoDB saw it (the first applies), and the read
    // that would settle it fails too.
    const { commits, settle } = unsettledProduceCommit(ctx.engine);
    const wire = await openKafkaWire(ctx.bootstrap);
    try {
      const first = await wire.request(0, 7, produce);
      expect(settle.injected).toBe(1);
      expect(producedPartition(first)).toMatchObject({
        index: 0,
        errorCode: 7,
        baseOffset: -1n,
      });
      commits.remove();
      settle.remove();

      const again = await wire.request(0, 7, produce);
      expect(producedPartition(again)).toMatchObject({
        index: 0,
        errorCode: 0,
        baseOffset: 0n,
      });
    } finally {
      wire.close();
      commits.remove();
      settle.remove();
    }
    const log = await ctx.http.get('/v1/topics/unsettled/partitions/0/records?offset=0');
    expect(log.body.records.map((r: { value: string }) => r.value)).toEqual(['once']);
    expect(log.body.highWatermark).toBe('1');
  });
});
