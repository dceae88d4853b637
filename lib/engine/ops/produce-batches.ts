import { isCompactPolicy } from '../../contract/limits.js';
import { CompressionType } from '../codec/compression.js';
import { COMPRESSION_MASK, checkClientBatch, readBatchHeader } from '../codec/record-batch.js';
import { groupBy } from '../collections.js';
import type { Engine } from '../engine.js';
import {
  CorruptMessageError,
  InvalidRequestError,
  MessageTooLargeError,
  OutOfOrderSequenceNumberError,
  UnsupportedCompressionTypeError,
} from '../errors.js';
import type { SequencedBatch } from '../idempotence.js';
import type { Topic } from '../types.js';
import { appendSegment, type PartitionAppend, type SequencedAppend } from './append.js';
import { MAX_PARTITIONS_PER_COMMIT, MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT } from './commit.js';
import { checkPartition } from './topics.js';

/** One partition's records field of a Kafka Produce request: RecordBatches as the client sent them. */
export interface ClientPartitionRecords {
  partition: number;
  records: Uint8Array | null;
}

export interface ProduceBatchesOptions {
  /**
   * Refuse zstd batches (UNSUPPORTED_COMPRESSION_TYPE): Kafka takes zstd only from Produce v7
   * (KIP-110), since older clients could not read it back.
   */
  refuseZstd?: boolean;
}

export type PartitionProduceResult =
  | { partition: number; baseOffset: number; error?: undefined }
  | { partition: number; error: unknown; baseOffset?: undefined };

const LOG_OVERHEAD = 12;
const NO_PRODUCER_ID = -1;

export interface CheckedPartition {
  append: PartitionAppend;
  /** `producerId:epoch` of an idempotent batch; undefined for a plain one. */
  producerKey?: string;
  sequenced?: SequencedBatch;
}

/**
 * The Kafka gateway's produce: each partition's RecordBatches are checked, then stored exactly as
 * the client sent them (compression, producer id, epoch, sequence and all) and committed through
 * the same path as HTTP produce. Results are per partition, in request order, as Kafka answers: a
 * request touching more partitions than one transaction holds is committed as several, each
 * partition either fully written or failed. Kafka promises no atomicity across partitions.
 */
export async function produceBatches(
  engine: Engine,
  topic: Topic,
  partitions: readonly ClientPartitionRecords[],
  options: ProduceBatchesOptions = {},
): Promise<PartitionProduceResult[]> {
  const { checked, results } = checkProduceRequest(topic, partitions, options);

  // One commit per producer (a transaction checks one producer's sequences), in chunks that fit.
  const byProducer = groupBy(checked, (c) => c.producerKey ?? '');
  const commits: CheckedPartition[][] = [];
  for (const [key, list] of byProducer) {
    const size = key ? MAX_PARTITIONS_PER_IDEMPOTENT_COMMIT : MAX_PARTITIONS_PER_COMMIT;
    for (let i = 0; i < list.length; i += size) commits.push(list.slice(i, i + size));
  }
  await Promise.all(
    commits.map(async (chunk) => {
      try {
        const sequenced = sequencedAppend(chunk);
        const bases = await appendSegment(
          engine,
          topic,
          chunk.map((c) => c.append),
          sequenced ? { sequenced } : {},
        );
        for (const c of chunk) {
          const p = c.append.partition;
          results.set(p, { partition: p, baseOffset: bases.get(p) as number });
        }
      } catch (err) {
        for (const c of chunk) results.set(c.append.partition, { partition: c.append.partition, error: err });
      }
    }),
  );
  return inRequestOrder(partitions, results);
}

/**
 * Checks every partition's batches of one request before anything is written: a bad batch fails
 * its own partition only. Returns the partitions to append, and the failures by partition.
 */
export function checkProduceRequest(
  topic: Topic,
  partitions: readonly ClientPartitionRecords[],
  options: ProduceBatchesOptions,
): { checked: CheckedPartition[]; results: Map<number, PartitionProduceResult> } {
  const results = new Map<number, PartitionProduceResult>();
  const checked: CheckedPartition[] = [];
  const seen = new Set<number>();
  for (const { partition, records } of partitions) {
    try {
      if (seen.has(partition))
        throw new InvalidRequestError(`partition ${partition} appears twice in one request`);
      seen.add(partition);
      checkPartition(topic, partition);
      checked.push(checkPartitionRecords(topic, partition, records, options));
    } catch (err) {
      results.set(partition, { partition, error: err });
    }
  }
  return { checked, results };
}

/** One result per partition, in the order the request named them. */
export function inRequestOrder(
  partitions: readonly ClientPartitionRecords[],
  results: ReadonlyMap<number, PartitionProduceResult>,
): PartitionProduceResult[] {
  return partitions
    .map((p) => results.get(p.partition))
    .filter((r, i, all): r is PartitionProduceResult => r !== undefined && all.indexOf(r) === i);
}

/** Splits and checks one partition's records; several batches must follow each other in sequence. */
function checkPartitionRecords(
  topic: Topic,
  partition: number,
  records: Uint8Array | null,
  options: ProduceBatchesOptions,
): CheckedPartition {
  if (records === null || records.length === 0)
    throw new CorruptMessageError('no record batch for the partition');
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const max = topic.config['max.message.bytes'];
  const requireKeys = isCompactPolicy(topic.config['cleanup.policy']);
  let recordCount = 0;
  let maxTimestamp = -1;
  let producerKey: string | undefined;
  let sequenced: SequencedBatch | undefined;
  for (let at = 0; at < records.length; ) {
    if (records.length - at < LOG_OVERHEAD)
      throw new CorruptMessageError(`${records.length - at} bytes at ${at} are too few for a batch`);
    const end = at + LOG_OVERHEAD + view.getInt32(at + 8);
    if (end <= at + LOG_OVERHEAD || end > records.length)
      throw new CorruptMessageError(`batch at ${at} claims more bytes than were sent`);
    const batch = records.subarray(at, end);
    if (batch.length > max) {
      throw new MessageTooLargeError(
        `a ${batch.length}-byte batch is over topic ${topic.name}'s max.message.bytes (${max})`,
      );
    }
    // Before the records are read, as Kafka refuses the codec without decompressing.
    if (
      options.refuseZstd &&
      (readBatchHeader(batch).attributes & COMPRESSION_MASK) === CompressionType.zstd
    ) {
      throw new UnsupportedCompressionTypeError('zstd batches need Produce v7 or later (KIP-110)');
    }
    const summary = checkClientBatch(batch, { requireKeys });
    const { producerId, producerEpoch, baseSequence } = summary.producer;
    const key = producerId === NO_PRODUCER_ID ? undefined : `${producerId}:${producerEpoch}`;
    if (at === 0) {
      producerKey = key;
      if (key) sequenced = { epoch: producerEpoch, baseSequence, recordCount: 0 };
    } else if (key !== producerKey) {
      throw new InvalidRequestError('the batches of one partition name different producers');
    }
    if (sequenced) {
      if (baseSequence !== sequenced.baseSequence + sequenced.recordCount) {
        throw new OutOfOrderSequenceNumberError(
          `batch sequence ${baseSequence} does not follow the one before it`,
        );
      }
      sequenced.recordCount += summary.recordCount;
    }
    recordCount += summary.recordCount;
    maxTimestamp = Math.max(maxTimestamp, summary.maxTimestamp);
    at = end;
  }
  return {
    append: { partition, bytes: records, recordCount, maxTimestamp },
    ...(producerKey ? { producerKey } : {}),
    ...(sequenced ? { sequenced } : {}),
  };
}

function sequencedAppend(chunk: CheckedPartition[]): SequencedAppend | undefined {
  const first = chunk[0];
  if (!first?.producerKey) return undefined;
  const [producerId, epoch] = first.producerKey.split(':') as [string, string];
  return {
    producerId,
    epoch: Number(epoch),
    batches: new Map(chunk.map((c) => [c.append.partition, c.sequenced as SequencedBatch])),
  };
}
