import type { ResponseOf } from '../lib/contract/endpoints.js';
import { FETCH_DEFAULTS } from '../lib/contract/limits.js';
import { fetchRecordsQuery, listOffsetsQuery } from '../lib/contract/schemas.js';
import type { Engine } from '../lib/engine/engine.js';
import { RouteNotFoundError } from '../lib/engine/errors.js';
import { type HttpHandler, json, parseQuery, pathParam, withErrors } from '../lib/engine/http/api.js';
import { withAuthorization } from '../lib/engine/http/authorization.js';
import { fetchRecordBatches, partitionParam } from '../lib/engine/http/batches.js';
import { withRouting } from '../lib/engine/http/routing.js';
import { wireRecord } from '../lib/engine/http/wire.js';
import { fetchRecords } from '../lib/engine/ops/fetch.js';
import { listOffsets, type OffsetSpec } from '../lib/engine/ops/list-offsets.js';
import { lambdaHandler } from './runtime.js';

export function createFetchHandler(engine: Engine): HttpHandler {
  const dispatch = withErrors(
    withAuthorization(engine, async (event, _authz) => {
      switch (event.routeKey) {
        case 'GET /v1/topics/{topic}/partitions/{partition}/records': {
          const q = parseQuery(event, fetchRecordsQuery);
          const topic = pathParam(event, 'topic');
          const result = await fetchRecords(engine, topic, partitionParam(event), {
            offset: Number(q.offset),
            maxRecords: Number(q.maxRecords ?? FETCH_DEFAULTS.maxRecords),
            maxBytes: Number(q.maxBytes ?? FETCH_DEFAULTS.maxBytes),
            waitMs: Number(q.waitMs ?? FETCH_DEFAULTS.waitMs),
          });
          const encoding = q.encoding ?? 'utf8';
          return json(200, {
            records: result.records.map((r) => wireRecord(r, encoding)),
            nextOffset: String(result.nextOffset),
            highWatermark: String(result.highWatermark),
            logStartOffset: String(result.logStartOffset),
          } satisfies ResponseOf<'GET /v1/topics/{topic}/partitions/{partition}/records'>);
        }
        case 'GET /v1/topics/{topic}/partitions/{partition}/batches':
          return fetchRecordBatches(engine, event);
        case 'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
          const at = parseQuery(event, listOffsetsQuery).at ?? 'latest';
          const spec: OffsetSpec = at === 'earliest' || at === 'latest' ? at : Number(at);
          const offset = await listOffsets(engine, pathParam(event, 'topic'), partitionParam(event), spec);
          return json(200, {
            offset: String(offset),
          } satisfies ResponseOf<'GET /v1/topics/{topic}/partitions/{partition}/offsets'>);
        }
        default:
          throw new RouteNotFoundError(`no route ${event.routeKey}`);
      }
    }),
  );
  // A Function URL event (routeKey $default) is routed by method + rawPath first.
  return withRouting('fetch', dispatch);
}

export const handler = lambdaHandler('fetch', createFetchHandler);
