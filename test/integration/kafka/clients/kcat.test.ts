import { beforeAll, describe, expect, it } from 'vitest';
import { useTestGateway } from '../../../support/gateway.js';
import {
  CODECS,
  comparable,
  createTopicHttp,
  kcat,
  kcatConsumeJson,
  kcatHeaderPairs,
  killChildrenAfterAll,
  produceHttp,
  type ReadRecord,
  storedBatches,
} from '../../../support/kafka-clients.js';

/**
 * kcat 1.7.1 (librdkafka 2.0.2, Debian) against the gateway. kcat cannot create or delete topics,
 * set a record's timestamp, or commit offsets without joining a group, so topics are made over
 * HTTP and the records it writes carry CreateTime "now".
 */
const ctx = useTestGateway();
killChildrenAfterAll();

/** `kcat -C -J` from `offset`, `count` records, then exit. */
async function consume(
  topic: string,
  partition: number,
  offset: number,
  count: number,
): Promise<ReadRecord[]> {
  return (await kcatConsumeJson(ctx.bootstrap, topic, partition, offset, count)).map((j) => {
    expect(j.tstype).toBe('create');
    return {
      partition: j.partition,
      offset: j.offset,
      timestamp: j.ts,
      key: j.key === null ? null : Buffer.from(j.key),
      value: j.payload === null ? null : Buffer.from(j.payload),
      headers: kcatHeaderPairs(j.headers).map(([k, v]): [string, Buffer | null] => [
        k,
        v === null ? null : Buffer.from(v),
      ]),
    };
  });
}

/** `kcat -Q -t topic:partition:ts`: the offset it prints. */
async function queryOffset(topic: string, partition: number, ts: number): Promise<number> {
  const out = (await kcat(ctx.bootstrap, ['-Q', '-t', `${topic}:${partition}:${ts}`])).toString();
  const m = new RegExp(`^${topic} \\[${partition}\\] offset (-?\\d+)$`, 'm').exec(out);
  if (!m) throw new Error(`kcat -Q printed: ${out}`);
  return Number(m[1]);
}

describe('kcat', () => {
  beforeAll(() => createTopicHttp(ctx.http, 'kcat-codecs', CODECS.length));

  it('reads metadata: one broker that leads every partition', async () => {
    await createTopicHttp(ctx.http, 'kcat-meta', 3);
    const out = await kcat(ctx.bootstrap, ['-L', '-J']);
    const md = JSON.parse(out.toString());
    const [host, port] = ctx.bootstrap.split(':');
    expect(md.brokers).toEqual([{ id: 0, name: `${host}:${port}` }]);
    expect(md.controllerid).toBe(0);
    const topic = md.topics.find((t: { topic: string }) => t.topic === 'kcat-meta');
    expect(topic.partitions).toEqual(
      [0, 1, 2].map((p) => ({ partition: p, leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] })),
    );
    // A topic that does not exist is reported as such, not created (auto-creation is off).
    const missing = JSON.parse((await kcat(ctx.bootstrap, ['-L', '-J', '-t', 'kcat-nope'])).toString());
    expect(missing.topics).toEqual([
      expect.objectContaining({ topic: 'kcat-nope', error: expect.any(String) }),
    ]);
  });

  it.each(CODECS.map((codec, partition) => ({ codec, partition })))(
    'produces keyed records with headers under $codec, stored compressed so, and reads them back by offset',
    async ({ codec, partition }) => {
      const topic = 'kcat-codecs';
      const count = 6;
      const lines = Array.from(
        { length: count },
        (_, i) => `${codec}-key-${i % 3}\t${codec} value ${i} ✓ ${'strata '.repeat(40)}`,
      );
      const before = Date.now();
      await kcat(
        ctx.bootstrap,
        [
          '-P',
          '-t',
          topic,
          '-p',
          String(partition),
          '-K',
          '\t',
          '-z',
          codec,
          '-H',
          `codec=${codec}`,
          '-H',
          'dup=first',
          '-H',
          'dup=second',
          '-H',
          'empty=',
          '-H',
          'nullvalue',
          '-X',
          'linger.ms=100',
        ],
        `${lines.join('\n')}\n`,
      );
      const after = Date.now();

      const batches = await storedBatches(ctx.bootstrap, topic, partition);
      expect(batches.map((b) => b.codec)).toEqual(batches.map(() => codec));
      expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(count);

      const expected = lines.map((line) => {
        const [key, value] = line.split('\t') as [string, string];
        return comparable(
          {
            key: Buffer.from(key),
            value: Buffer.from(value),
            headers: [
              ['codec', Buffer.from(codec)],
              ['dup', Buffer.from('first')],
              ['dup', Buffer.from('second')],
              ['empty', Buffer.alloc(0)],
              ['nullvalue', null],
            ],
          },
          false,
        );
      });
      const all = await consume(topic, partition, 0, count);
      expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(all.map((r) => comparable(r, false))).toEqual(expected);
      for (const r of all) {
        expect(r.timestamp).toBeGreaterThanOrEqual(before - 1);
        expect(r.timestamp).toBeLessThanOrEqual(after + 1);
      }
      // Seeking into the middle of a (compressed) batch starts at that record.
      const tail = await consume(topic, partition, 4, 2);
      expect(tail.map((r) => r.offset)).toEqual([4, 5]);
      expect(tail.map((r) => comparable(r, false))).toEqual(expected.slice(4));
    },
  );

  it('lists offsets: earliest, latest and by timestamp', async () => {
    const topic = 'kcat-offsets';
    await createTopicHttp(ctx.http, topic, 2);
    const base = 1_700_000_000_000;
    // kcat cannot set timestamps: the records come over HTTP with known ones.
    await produceHttp(
      ctx.http,
      topic,
      Array.from({ length: 5 }, (_, i) => ({
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        headers: [],
        partition: 1,
        timestamp: base + i * 1000,
      })),
    );
    expect(await queryOffset(topic, 1, -2)).toBe(0);
    expect(await queryOffset(topic, 1, -1)).toBe(5);
    expect(await queryOffset(topic, 0, -1)).toBe(0);
    expect(await queryOffset(topic, 1, base)).toBe(0);
    expect(await queryOffset(topic, 1, base + 1)).toBe(1);
    expect(await queryOffset(topic, 1, base + 3000)).toBe(3);
    expect(await queryOffset(topic, 1, base + 4000)).toBe(4);
    // Past the last timestamp: no such offset.
    expect(await queryOffset(topic, 1, base + 4001)).toBe(-1);
  });
});
