import type { Engine } from '../lib/engine/engine.js';
import { InvalidRequestError, RouteNotFoundError } from '../lib/engine/errors.js';
import { type HttpEvent, type HttpHandler, json, pathParam, withErrors } from '../lib/engine/http/api.js';
import { wireRecord } from '../lib/engine/http/wire.js';
import { fetchRecords } from '../lib/engine/ops/fetch.js';
import { listOffsets, type OffsetSpec } from '../lib/engine/ops/list-offsets.js';
import { LIMITS, parseIntParam, parseOffset } from '../lib/engine/validation.js';
import { lambdaHandler } from './runtime.js';

function partitionParam(event: HttpEvent): number {
  return parseIntParam(pathParam(event, 'partition'), 'partition', 0, LIMITS.maxPartitions - 1);
}

function encodingParam(event: HttpEvent): 'utf8' | 'base64' {
  const e = event.queryStringParameters?.encoding ?? 'utf8';
  if (e !== 'utf8' && e !== 'base64')
    throw new InvalidRequestError(`encoding must be utf8 or base64, got ${e}`);
  return e;
}

export function createFetchHandler(engine: Engine): HttpHandler {
  return withErrors(async (event) => {
    const q = event.queryStringParameters ?? {};
    switch (event.routeKey) {
      case 'GET /v1/topics/{topic}/partitions/{partition}/records': {
        const encoding = encodingParam(event);
        if (q.offset === undefined) throw new InvalidRequestError('offset is required');
        const result = await fetchRecords(engine, pathParam(event, 'topic'), partitionParam(event), {
          offset: parseOffset(q.offset),
          maxRecords: parseIntParam(q.maxRecords, 'maxRecords', 1, LIMITS.maxFetchRecords, 500),
          maxBytes: parseIntParam(q.maxBytes, 'maxBytes', 1, LIMITS.maxFetchBytes, 1024 * 1024),
          waitMs: parseIntParam(q.waitMs, 'waitMs', 0, LIMITS.maxWaitMs, 0),
        });
        return json(200, {
          records: result.records.map((r) => wireRecord(r, encoding)),
          nextOffset: String(result.nextOffset),
          highWatermark: String(result.highWatermark),
          logStartOffset: String(result.logStartOffset),
        });
      }
      case 'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
        const at = q.at ?? 'latest';
        const spec: OffsetSpec = at === 'earliest' || at === 'latest' ? at : parseOffset(at, 'at');
        const offset = await listOffsets(engine, pathParam(event, 'topic'), partitionParam(event), spec);
        return json(200, { offset: String(offset) });
      }
      default:
        throw new RouteNotFoundError(`no route ${event.routeKey}`);
    }
  });
}

export const handler = lambdaHandler('fetch', createFetchHandler);
