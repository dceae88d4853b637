/**
 * The binary data path (docs/api.md "Record batches"): Kafka RecordBatch v2 bytes in and out of
 * one partition over HTTP. Produce checks and stores the batches exactly as the Kafka gateway's
 * Produce does (produceBatches: CRC, counts, idempotent sequences), and fetch answers the bytes
 * the gateway's Fetch answers for the partition (fetchBatches: base offsets patched, never past
 * the high watermark), with the offsets in response headers.
 */

import type { ResponseOf } from '../../contract/endpoints.js';
import { FETCH_DEFAULTS, LIMITS } from '../../contract/limits.js';
import {
  BATCH_FETCH_HEADERS,
  RECORD_BATCH_CONTENT_TYPE,
  readBatchHeader,
  splitBatches,
} from '../../contract/record-batch.js';
import { fetchBatchesQuery } from '../../contract/schemas.js';
import type { Engine } from '../engine.js';
import {
  CorruptMessageError,
  RecordListTooLargeError,
  UnknownTopicOrPartitionError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import { fetchBatches } from '../ops/fetch-batches.js';
import { topicForProduce } from '../ops/produce.js';
import { type PartitionProduceResult, produceBatches } from '../ops/produce-batches.js';
import { getTopic } from '../ops/topics.js';
import type { Topic } from '../types.js';
import { parseIntParam } from '../validation.js';
import { type HttpEvent, type HttpResult, json, MAX_REQUEST_BYTES, parseQuery, pathParam } from './api.js';

/**
 * CORRUPT_MESSAGE for bytes the request carried: the table's 500 (retriable) is for stored bytes
 * that fail to decode; a batch a client sent that does not hold together is the request's fault,
 * and the same bytes fail again, so it is a final 400 and nothing changed.
 */
export class CorruptRequestBatchError extends CorruptMessageError {
  override get httpStatus(): number {
    return 400;
  }
  override get retriable(): boolean {
    return false;
  }
}

export function partitionParam(event: HttpEvent): number {
  return parseIntParam(pathParam(event, 'partition'), 'partition', 0, LIMITS.maxPartitions - 1);
}

/** The body's media type is the record batch one (parameters such as `; charset` are ignored). */
function requireBatchContentType(event: HttpEvent): void {
  const header = event.headers?.['content-type'] ?? event.headers?.['Content-Type'];
  const type = header?.split(';')[0]?.trim().toLowerCase();
  if (type !== RECORD_BATCH_CONTENT_TYPE) {
    throw new UnsupportedMediaTypeError(
      `this route takes ${RECORD_BATCH_CONTENT_TYPE} (Kafka RecordBatch v2 bytes), not ${header ?? 'no content type'}`,
    );
  }
}

/** The raw body: API Gateway base64-encodes a binary one (so does the local stand-in). */
function bodyBytes(event: HttpEvent): Uint8Array {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_REQUEST_BYTES) {
    throw new RecordListTooLargeError(`request body exceeds ${MAX_REQUEST_BYTES} bytes`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** `POST /v1/topics/{topic}/partitions/{partition}/batches` */
export async function produceRecordBatches(engine: Engine, event: HttpEvent): Promise<HttpResult> {
  requireBatchContentType(event);
  const partition = partitionParam(event);
  const bytes = bodyBytes(event);
  const name = pathParam(event, 'topic');
  const now = engine.now();
  let topic = await topicForProduce(engine, name, now);
  // A partition past the cached count may have just been added: look again before rejecting.
  if (partition >= topic.partitions) topic = await topicForProduce(engine, name, now, true);
  const result = await produceOne(engine, topic, partition, bytes);
  if (result.baseOffset === undefined) throw requestError(result.error);
  const baseOffset = result.baseOffset;
  const batches: ResponseOf<'POST /v1/topics/{topic}/partitions/{partition}/batches'>['batches'] = [];
  let next = baseOffset;
  for (const batch of splitBatches(bytes)) {
    const recordCount = readBatchHeader(batch).lastOffsetDelta + 1;
    batches.push({
      baseOffset: String(next),
      lastOffset: String(next + recordCount - 1),
      recordCount,
    });
    next += recordCount;
  }
  return json(200, {
    partition,
    baseOffset: String(baseOffset),
    lastOffset: String(next - 1),
    recordCount: next - baseOffset,
    batches,
  } satisfies ResponseOf<'POST /v1/topics/{topic}/partitions/{partition}/batches'>);
}

async function produceOne(
  engine: Engine,
  topic: Topic,
  partition: number,
  records: Uint8Array,
): Promise<PartitionProduceResult> {
  const [result] = await produceBatches(engine, topic, [{ partition, records }]);
  if (!result) throw new UnknownTopicOrPartitionError(`no result for partition ${partition}`);
  return result;
}

function requestError(err: unknown): unknown {
  if (err instanceof CorruptMessageError && !(err instanceof CorruptRequestBatchError))
    return new CorruptRequestBatchError(err.message, { cause: err });
  return err;
}

/** `GET /v1/topics/{topic}/partitions/{partition}/batches?offset=&maxBytes=&waitMs=` */
export async function fetchRecordBatches(engine: Engine, event: HttpEvent): Promise<HttpResult> {
  const q = parseQuery(event, fetchBatchesQuery);
  const topic = await getTopic(engine, pathParam(event, 'topic'));
  const partition = partitionParam(event);
  const offset = Number(q.offset);
  const maxBytes = Number(q.maxBytes ?? FETCH_DEFAULTS.maxBytes);
  const [result] = await fetchBatches(engine, [{ topic, partition, offset, maxBytes }], {
    maxWaitMs: Number(q.waitMs ?? FETCH_DEFAULTS.waitMs),
    minBytes: 1,
    maxBytes,
  });
  if (!result) throw new UnknownTopicOrPartitionError(`no result for partition ${partition}`);
  if (result.error !== undefined) throw result.error;
  let nextOffset = offset;
  for (const batch of splitBatches(result.records)) {
    const h = readBatchHeader(batch);
    nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
  }
  const body = Buffer.from(result.records.buffer, result.records.byteOffset, result.records.length);
  return {
    statusCode: 200,
    headers: {
      'content-type': RECORD_BATCH_CONTENT_TYPE,
      [BATCH_FETCH_HEADERS.highWatermark]: String(result.highWatermark),
      [BATCH_FETCH_HEADERS.logStartOffset]: String(result.logStartOffset),
      [BATCH_FETCH_HEADERS.nextOffset]: String(nextOffset),
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
