/**
 * What each route takes and answers: its body or query schema and its response schema with the
 * success status. Keyed by route key, so that a route added to routes.ts without an entry here
 * fails to type-check.
 */
import type * as z from 'zod/mini';
import type { ZodMiniType } from 'zod/mini';
import { RECORD_BATCH_CONTENT_TYPE } from './record-batch.js';
import type { RouteKey } from './routes.js';
import * as s from './schemas.js';

export interface Endpoint {
  /** The JSON body, when the route takes one. */
  body?: ZodMiniType;
  /** The query parameters, when the route reads any. */
  query?: ZodMiniType;
  /** The success body; absent for 204 and for a binary answer (`binary`). */
  response?: ZodMiniType;
  /**
   * The content type of a binary body: `request` when the route takes one instead of JSON (any
   * other type is refused with 415), `response` when it answers one on success.
   */
  binary?: { request?: string; response?: string };
  status: 200 | 201 | 204;
}

export const ENDPOINTS = {
  'GET /healthz': { status: 200, response: s.healthResponse },
  'GET /v1/cluster': { status: 200, response: s.clusterResponse },
  'POST /v1/topics': { status: 201, body: s.createTopicRequest, response: s.createTopicResponse },
  'GET /v1/topics': { status: 200, response: s.listTopicsResponse },
  'GET /v1/topics/{topic}': { status: 200, response: s.describeTopicResponse },
  'DELETE /v1/topics/{topic}': { status: 204 },
  'POST /v1/topics/{topic}/partitions': {
    status: 200,
    body: s.addPartitionsRequest,
    response: s.addPartitionsResponse,
  },
  'POST /v1/topics/{topic}/configs': {
    status: 200,
    body: s.alterTopicConfigsRequest,
    response: s.alterTopicConfigsResponse,
  },
  'POST /v1/topics/{topic}/records': { status: 200, body: s.produceRequest, response: s.produceResponse },
  'DELETE /v1/topics/{topic}/records': {
    status: 200,
    body: s.deleteRecordsRequest,
    response: s.deleteRecordsResponse,
  },
  'POST /v1/producers': { status: 200, body: s.initProducerRequest, response: s.initProducerResponse },
  'GET /v1/topics/{topic}/partitions/{partition}/records': {
    status: 200,
    query: s.fetchRecordsQuery,
    response: s.fetchRecordsResponse,
  },
  'GET /v1/topics/{topic}/partitions/{partition}/offsets': {
    status: 200,
    query: s.listOffsetsQuery,
    response: s.listOffsetsResponse,
  },
  'POST /v1/topics/{topic}/partitions/{partition}/batches': {
    status: 200,
    binary: { request: RECORD_BATCH_CONTENT_TYPE },
    response: s.produceBatchesResponse,
  },
  'GET /v1/topics/{topic}/partitions/{partition}/batches': {
    status: 200,
    query: s.fetchBatchesQuery,
    binary: { response: RECORD_BATCH_CONTENT_TYPE },
  },
  'GET /v1/groups': { status: 200, response: s.listGroupsResponse },
  'GET /v1/groups/{group}': { status: 200, response: s.describeGroupResponse },
  'DELETE /v1/groups/{group}': { status: 204 },
  'POST /v1/groups/{group}/heartbeat': {
    status: 200,
    body: s.heartbeatRequest,
    response: s.heartbeatResponse,
  },
  'POST /v1/groups/{group}/offsets': {
    status: 200,
    body: s.commitOffsetsRequest,
    response: s.commitOffsetsResponse,
  },
  'GET /v1/groups/{group}/offsets': {
    status: 200,
    query: s.groupOffsetsQuery,
    response: s.groupOffsetsResponse,
  },
  'POST /v1/groups/{group}/offsets/reset': {
    status: 200,
    body: s.resetOffsetsRequest,
    response: s.resetOffsetsResponse,
  },
  'POST /v1/acls': { status: 201, body: s.createAclsRequest, response: s.createAclsResponse },
  'GET /v1/acls': { status: 200, query: s.describeAclsQuery, response: s.describeAclsResponse },
  'DELETE /v1/acls': { status: 200, query: s.deleteAclsQuery, response: s.deleteAclsResponse },
  'POST /v1/users': { status: 201, body: s.createUserRequest, response: s.createUserResponse },
  'GET /v1/users': { status: 200, response: s.listUsersResponse },
  'DELETE /v1/users/{user}': { status: 204 },
} as const satisfies Record<RouteKey, Endpoint>;

type Schema<K extends RouteKey, F extends 'body' | 'query' | 'response'> = (typeof ENDPOINTS)[K] extends {
  [P in F]: infer S extends ZodMiniType;
}
  ? S
  : never;

/** The success body of a route, as the client reads it. */
export type ResponseOf<K extends RouteKey> = z.output<Schema<K, 'response'>>;
/** The JSON body of a route, as a client may send it (offsets as strings or numbers). */
export type RequestOf<K extends RouteKey> = z.input<Schema<K, 'body'>>;
/** The query parameters of a route, as strings. */
export type QueryOf<K extends RouteKey> = z.input<Schema<K, 'query'>>;
