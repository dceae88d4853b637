import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DecodedRequest, decodeRequest, encodeRequest } from '../../../lib/kafka/protocol/codec.js';
import { batchCrcMatches, splitRecordBatches } from '../../../lib/kafka/protocol/record-batches.js';

/** Request frames captured from real clients by test/fixtures/kafka/capture.ts (see its README). */
const ROOT = join(import.meta.dirname, '../../fixtures/kafka/frames');
const FRAMES = readdirSync(ROOT).flatMap((client) =>
  readdirSync(join(ROOT, client)).map((file) => {
    const [, scenario, api, version] = /^(.+)-([A-Za-z]+)-v(\d+)\.hex$/.exec(file) ?? [];
    const frame = Uint8Array.from(Buffer.from(readFileSync(join(ROOT, client, file), 'utf8').trim(), 'hex'));
    return { client, scenario, api, version: Number(version), file, frame };
  }),
);
const golden = (client: string, file: string) => {
  const found = FRAMES.find((f) => f.client === client && f.file === file);
  if (!found) throw new Error(`no golden frame ${client}/${file}`);
  return decodeRequest(found.frame);
};
const produced = (req: DecodedRequest) => {
  if (req.api !== 'Produce') throw new Error(`${req.api} is not Produce`);
  return splitRecordBatches(req.body.topicData[0]?.partitionData[0]?.records as Uint8Array);
};

describe('golden frames from real clients', () => {
  it('holds frames from kcat, confluent-kafka, kafka-python, kafkajs and @platformatic/kafka', () => {
    expect(new Set(FRAMES.map((f) => f.client))).toEqual(
      new Set([
        'kcat-1.7.1',
        'confluent-kafka-1.7.0',
        'kafka-python-2.0.2',
        'kafkajs-2.2.4',
        'platformatic-kafka-1.35.0',
      ]),
    );
    expect(FRAMES.length).toBeGreaterThan(70);
  });

  it.each(FRAMES.map((f) => [`${f.client}/${f.file}`, f] as const))(
    '%s decodes and re-encodes byte for byte',
    (_, f) => {
      const decoded = decodeRequest(f.frame);
      expect(decoded.api).toBe(f.api);
      expect(decoded.header.apiVersion).toBe(f.version);
      const wire = encodeRequest(decoded.header as never, decoded.body as never);
      expect(Buffer.from(wire.subarray(4)).toString('hex')).toBe(Buffer.from(f.frame).toString('hex'));
    },
  );

  it('reads what the clients said', () => {
    const apiVersions = golden('kcat-1.7.1', 'metadata-ApiVersions-v3.hex');
    expect(apiVersions.body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
    expect(apiVersions.header.clientId).toBe('rdkafka');

    const commit = golden('kafka-python-2.0.2', 'consumer-OffsetCommit-v2.hex');
    expect(commit.api === 'OffsetCommit' && commit.body).toMatchObject({
      groupId: 'g1',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [
        {
          name: 'golden',
          partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: 'meta' }],
        },
      ],
    });

    const byTime = golden('kcat-1.7.1', 'offsets-by-time-ListOffsets-v2.hex');
    expect(byTime.api === 'ListOffsets' && byTime.body.topics[0]?.partitions[0]?.timestamp).toBe(
      1_700_000_000_000n,
    );
  });

  it.each([
    ['none', 0],
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ])('kcat produce -z %s: one magic-2 batch with compression %i and a valid CRC', (codec, compression) => {
    const [batch, ...more] = produced(golden('kcat-1.7.1', `produce-${codec}-Produce-v7.hex`));
    expect(more).toEqual([]);
    expect(batch?.header).toMatchObject({ magic: 2, recordCount: 2, lastOffsetDelta: 1, producerId: -1n });
    expect((batch?.header.attributes ?? -1) & 0x07).toBe(compression);
    expect(batchCrcMatches(batch as never)).toBe(true);
  });

  it('flexible frames from @platformatic/kafka: topic ids, compact arrays, tagged sections', () => {
    const fetch = golden('platformatic-kafka-1.35.0', 'consumer-Fetch-v17.hex');
    expect(fetch.api === 'Fetch' && fetch.body.topics[0]?.topicId).toBe(
      '6f1c2a3b-4d5e-4f60-8172-8394a5b6c7d8',
    );
    const produce = golden('platformatic-kafka-1.35.0', 'producer-Produce-v11.hex');
    const [batch] = produced(produce);
    expect(batch?.header).toMatchObject({ magic: 2, producerId: 4242n, baseSequence: 0 });
    expect(batchCrcMatches(batch as never)).toBe(true);
  });

  it('the idempotent producer carries the producer id and epoch it was given, from sequence 0', () => {
    const [batch] = produced(golden('kcat-1.7.1', 'produce-idempotent-Produce-v7.hex'));
    expect(batch?.header).toMatchObject({
      producerId: 4242n,
      producerEpoch: 0,
      baseSequence: 0,
      recordCount: 2,
    });
  });
});
