import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupBy } from '../../../lib/engine/collections.js';
import { commitActionCount, MAX_TRANSACTION_ACTIONS } from '../../../lib/engine/ops/commit.js';
import { type Run, splitIntoParts } from '../../../lib/engine/ops/produce-flush.js';
import type { Topic } from '../../../lib/engine/types.js';

const topics = ['a', 'b', 'c'].map(
  (name) => ({ name, topicId: `id-${name}`, partitions: 64, config: {} }) as unknown as Topic,
);

/** A run as the flush lays it out: a topic, a partition, maybe an idempotent producer. */
const runArb = fc
  .record({
    topic: fc.integer({ min: 0, max: 2 }),
    partition: fc.integer({ min: 0, max: 63 }),
    producer: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  })
  .map(
    ({ topic, partition, producer }): Run => ({
      topic: topics[topic] as Topic,
      partition,
      entries: [],
      byteOffset: 0,
      byteLength: 1,
      ...(producer ? { producer: { producerId: String(producer), epoch: 0, prior: undefined } } : {}),
    }),
  );

/** Runs are unique per topic, partition and producer (the flush makes one run per such triple). */
const runsArb = fc
  .array(runArb, { maxLength: 300 })
  .map((runs) => [
    ...new Map(runs.map((r) => [`${r.topic.topicId}/${r.partition}/${r.producer?.producerId}`, r])).values(),
  ]);

function actions(part: Run[]): number {
  return commitActionCount(
    part.map((r) => ({
      partition: r.partition,
      recordCount: 1,
      byteOffset: 0,
      byteLength: 1,
      maxTimestamp: 0,
      ...(r.producer
        ? { sequenced: { producerId: r.producer.producerId, epoch: 0, batches: [], prior: undefined } }
        : {}),
    })),
  );
}

describe('a flush split into commits', () => {
  it('fits every commit in one transaction, one topic each, keeping every run once and in order', () => {
    fc.assert(
      fc.property(runsArb, (runs) => {
        const parts = splitIntoParts(runs);
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(actions(part)).toBeLessThanOrEqual(MAX_TRANSACTION_ACTIONS);
          expect(new Set(part.map((r) => r.topic.topicId)).size).toBe(1);
        }
        // Per topic, the parts concatenated are that topic's runs in layout order.
        const byTopic = groupBy(runs, (r) => r.topic.topicId);
        const partsByTopic = groupBy(parts, (p) => (p[0] as Run).topic.topicId);
        for (const [topicId, topicRuns] of byTopic) {
          expect((partsByTopic.get(topicId) ?? []).flat()).toEqual(topicRuns);
        }
      }),
    );
  });

  it('puts 49 partitions of plain producers in one commit, and the 50th in the next', () => {
    const plain = (p: number): Run => ({
      topic: topics[0] as Topic,
      partition: p,
      entries: [],
      byteOffset: 0,
      byteLength: 1,
    });
    expect(splitIntoParts(Array.from({ length: 49 }, (_, p) => plain(p)))).toHaveLength(1);
    expect(splitIntoParts(Array.from({ length: 50 }, (_, p) => plain(p))).map((p) => p.length)).toEqual([
      49, 1,
    ]);
  });
});

describe('groupBy', () => {
  it('keeps every item once, each group in item order, groups in first-seen order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 })), (items) => {
        const groups = groupBy(
          items.map((v, i) => ({ v, i })),
          (x) => x.v,
        );
        expect([...groups.keys()]).toEqual([...new Set(items)]);
        for (const group of groups.values()) {
          expect(group.map((x) => x.i)).toEqual([...group.map((x) => x.i)].sort((a, b) => a - b));
        }
        expect([...groups.values()].flat().length).toBe(items.length);
      }),
    );
  });
});
