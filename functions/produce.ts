import { LIMITS } from '../lib/contract/limits.js';
import {
  initProducerRequest as initProducerBody,
  produceRequest as produceBody,
} from '../lib/contract/schemas.js';
import { CompressionType } from '../lib/engine/codec/compression.js';
import type { Engine } from '../lib/engine/engine.js';
import { InvalidRequestError, RouteNotFoundError } from '../lib/engine/errors.js';
import { prepareOffsetCommit } from '../lib/engine/groups/coordinator.js';
import {
  type HttpHandler,
  json,
  parseBody,
  parseWith,
  pathParam,
  readJson,
  withErrors,
} from '../lib/engine/http/api.js';
import { withAuthorization } from '../lib/engine/http/authorization.js';
import { produceRecordBatches } from '../lib/engine/http/batches.js';
import { withRouting } from '../lib/engine/http/routing.js';
import {
  type IdempotentProducerInput,
  type PreparedGroupCommit,
  type ProduceRecordInput,
  produce,
} from '../lib/engine/ops/produce.js';
import { initProducer } from '../lib/engine/ops/producers.js';
import type { RecordHeader } from '../lib/engine/types.js';
import { checkRecordCount, decodePayload, type ProduceBody, parseOffset } from '../lib/engine/validation.js';
import { lambdaHandler } from './runtime.js';

export function createProduceHandler(engine: Engine): HttpHandler {
  const dispatch = withErrors(
    withAuthorization(engine, async (event, _authz) => {
      switch (event.routeKey) {
        case 'POST /v1/topics/{topic}/records': {
          const raw = readJson(event);
          checkRecordCount(raw);
          const body = parseWith(produceBody, raw, 'request body');
          const offsets = await produce(engine, pathParam(event, 'topic'), toRecords(body), {
            compression: CompressionType[body.compression ?? 'none'],
            ...(body.producer ? { producer: toProducer(body.producer) } : {}),
            ...(body.groupCommit ? { groupCommit: toGroupCommit(engine, body.groupCommit) } : {}),
          });
          return json(200, {
            offsets: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })),
          });
        }
        case 'POST /v1/topics/{topic}/partitions/{partition}/batches':
          return produceRecordBatches(engine, event);
        case 'POST /v1/producers': {
          const body = parseBody(event, initProducerBody);
          return json(200, await initProducer(engine, body ?? {}));
        }
        default:
          throw new RouteNotFoundError(`no route ${event.routeKey}`);
      }
    }),
  );
  // A Function URL event (routeKey $default) is routed by method + rawPath first.
  return withRouting('produce', dispatch);
}

/** The group coordinator validates the member's offset commit; produce writes it with the records. */
function toGroupCommit(engine: Engine, wire: NonNullable<ProduceBody['groupCommit']>): PreparedGroupCommit {
  const input = {
    ...wire,
    offsets: wire.offsets.map((o, i) => ({
      ...o,
      offset: parseOffset(o.offset, `groupCommit.offsets.${i}.offset`),
    })),
  };
  return {
    groupId: wire.groupId,
    offsets: input.offsets.length,
    prepare: () => prepareOffsetCommit(engine, wire.groupId, input),
  };
}

function toProducer(p: NonNullable<ProduceBody['producer']>): IdempotentProducerInput {
  const sequences = new Map<number, number>();
  for (const s of p.sequences) {
    if (sequences.has(s.partition))
      throw new InvalidRequestError(`partition ${s.partition} has two sequences`);
    sequences.set(s.partition, s.baseSequence);
  }
  return { producerId: p.producerId, producerEpoch: p.producerEpoch, sequences };
}

/** Wire records (strings, a headers object) to engine records (bytes, a header list). */
export function toRecords(body: ProduceBody): ProduceRecordInput[] {
  const encoding = body.encoding ?? 'utf8';
  return body.records.map((r, i) => {
    const headers: RecordHeader[] = Object.entries(r.headers ?? {}).map(([key, value]) => {
      if (key.length === 0 || Buffer.byteLength(key) > LIMITS.maxHeaderNameBytes) {
        throw new InvalidRequestError(
          `records.${i}.headers: header names are 1-${LIMITS.maxHeaderNameBytes} bytes`,
        );
      }
      return {
        key,
        value: value === null ? null : decodePayload(value, encoding, `records.${i}.headers.${key}`),
      };
    });
    if (headers.length > LIMITS.maxHeadersPerRecord) {
      throw new InvalidRequestError(
        `records.${i}.headers: at most ${LIMITS.maxHeadersPerRecord} headers per record`,
      );
    }
    return {
      key: r.key == null ? null : decodePayload(r.key, encoding, `records.${i}.key`),
      value: r.value == null ? null : decodePayload(r.value, encoding, `records.${i}.value`),
      headers,
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
      ...(r.timestamp !== undefined ? { timestamp: Number(r.timestamp) } : {}),
    };
  });
}

export const handler = lambdaHandler('produce', createProduceHandler);
