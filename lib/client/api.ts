/**
 * One typed method per HTTP route (docs/api.md). The producer, consumer, admin and CLI are built
 * on it; it is exported for programs that want the raw API (e.g. reading one partition without
 * a group). Wire shapes: offsets are strings, partitions numbers.
 */
import type * as z from 'zod/mini';
import type { QueryOf, RequestOf, ResponseOf } from '../contract/endpoints.js';
import { BATCH_FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from '../contract/record-batch.js';
import type { produceRecord, topicPartitions, wireRecord } from '../contract/schemas.js';
import { StrataClientError } from './errors.js';
import type { RequestOptions, Transport } from './http.js';
import type { ResolvedRetry } from './retry.js';

// The wire shapes, inferred from the contract's schemas (lib/contract/schemas.ts): the server
// parses with the same schemas, so a field cannot drift on one side only.

export type WireRecordIn = z.input<typeof produceRecord>;
export type WireRecordOut = z.output<typeof wireRecord>;
export type ProduceResponse = ResponseOf<'POST /v1/topics/{topic}/records'>;
export type FetchResponse = ResponseOf<'GET /v1/topics/{topic}/partitions/{partition}/records'>;
export type ProduceBatchesResponse = ResponseOf<'POST /v1/topics/{topic}/partitions/{partition}/batches'>;

export interface FetchBatchesParams {
  offset: string;
  maxBytes?: number;
  waitMs?: number;
}

/** The binary fetch's answer: RecordBatch v2 bytes (base offsets written in) and the offsets. */
export interface FetchBatchesResponse {
  records: Uint8Array;
  highWatermark: string;
  logStartOffset: string;
  nextOffset: string;
}
export type TopicSummary = ResponseOf<'GET /v1/topics'>['topics'][number];
export type TopicDescription = ResponseOf<'GET /v1/topics/{topic}'>;
export type WireTopicPartitions = z.output<typeof topicPartitions>;
export type HeartbeatRequest = RequestOf<'POST /v1/groups/{group}/heartbeat'>;
export type HeartbeatResponse = ResponseOf<'POST /v1/groups/{group}/heartbeat'>;
export type OffsetCommitRequest = RequestOf<'POST /v1/groups/{group}/offsets'>;
export type GroupOffsets = ResponseOf<'GET /v1/groups/{group}/offsets'>;
export type GroupSummary = ResponseOf<'GET /v1/groups'>['groups'][number];
export type WireGroupDescription = ResponseOf<'GET /v1/groups/{group}'>;
export type AlterTopicConfigsRequest = RequestOf<'POST /v1/topics/{topic}/configs'>;
export type OffsetResetRequest = RequestOf<'POST /v1/groups/{group}/offsets/reset'>;
export type OffsetResetTarget = OffsetResetRequest['to'];
export type OffsetResetResponse = ResponseOf<'POST /v1/groups/{group}/offsets/reset'>;
export type AclBindingIn = RequestOf<'POST /v1/acls'>['acls'][number];
export type WireAclBinding = ResponseOf<'GET /v1/acls'>['acls'][number];
export type AclFilterQuery = QueryOf<'GET /v1/acls'>;
/** Deleting needs a resource, as kafka-acls --remove does. */
export type AclDeleteQuery = QueryOf<'DELETE /v1/acls'>;

export interface FetchParams {
  offset: string;
  maxRecords?: number;
  maxBytes?: number;
  waitMs?: number;
  /** base64: keys, values and header values come back base64-encoded (exact bytes). */
  encoding?: 'base64';
}

const seg = encodeURIComponent;

export class StrataApi {
  constructor(readonly transport: Transport) {}

  health(opts?: RequestOptions): Promise<ResponseOf<'GET /healthz'>> {
    return this.transport.request('GET', '/healthz', opts);
  }

  createTopic(
    name: string,
    partitions: number,
    config?: Record<string, string | number>,
  ): Promise<ResponseOf<'POST /v1/topics'>> {
    return this.transport.request('POST', '/v1/topics', {
      body: { name, partitions, ...(config && Object.keys(config).length > 0 ? { config } : {}) },
      retry: false,
    });
  }

  listTopics(): Promise<ResponseOf<'GET /v1/topics'>> {
    return this.transport.request('GET', '/v1/topics');
  }

  describeTopic(topic: string): Promise<TopicDescription> {
    return this.transport.request('GET', `/v1/topics/${seg(topic)}`);
  }

  deleteTopic(topic: string): Promise<void> {
    return this.transport.request('DELETE', `/v1/topics/${seg(topic)}`, { retry: false });
  }

  /** Alters the topic's configs (idempotent, so retried); answers every config it has now. */
  alterTopicConfigs(
    topic: string,
    body: AlterTopicConfigsRequest,
  ): Promise<ResponseOf<'POST /v1/topics/{topic}/configs'>> {
    return this.transport.request('POST', `/v1/topics/${seg(topic)}/configs`, { body });
  }

  /** `count` is the new total. */
  setPartitionCount(topic: string, count: number): Promise<ResponseOf<'POST /v1/topics/{topic}/partitions'>> {
    return this.transport.request('POST', `/v1/topics/${seg(topic)}/partitions`, {
      body: { count },
      retry: false,
    });
  }

  /** Kafka's DeleteRecords: the partition's log start moves to `beforeOffset` (-1: the high watermark). */
  deleteRecords(topic: string, partition: number, beforeOffset: string) {
    return this.transport.request<ResponseOf<'DELETE /v1/topics/{topic}/records'>>(
      'DELETE',
      `/v1/topics/${seg(topic)}/records`,
      { body: { partition, beforeOffset }, retry: false },
    );
  }

  /** Kafka's InitProducerId: a producer id and epoch (the next epoch of `transactionalId` when given). */
  initProducer(transactionalId?: string, opts: { retry?: ResolvedRetry | false } = {}) {
    return this.transport.request<ResponseOf<'POST /v1/producers'>>('POST', '/v1/producers', {
      body: transactionalId ? { transactionalId } : {},
      ...opts,
    });
  }

  /** `body` is the request JSON, already serialised (the producer builds it record by record). */
  produce(topic: string, body: string, opts: { retry?: ResolvedRetry | false; signal?: AbortSignal } = {}) {
    return this.transport.request<ProduceResponse>('POST', `/v1/topics/${seg(topic)}/records`, {
      body,
      ...opts,
    });
  }

  /** Kafka RecordBatch v2 bytes (one or more batches) to one partition (docs/api.md "Record batches"). */
  produceBatches(
    topic: string,
    partition: number,
    batches: Uint8Array,
    opts: { retry?: ResolvedRetry | false; signal?: AbortSignal } = {},
  ): Promise<ProduceBatchesResponse> {
    return this.transport.request('POST', `/v1/topics/${seg(topic)}/partitions/${partition}/batches`, {
      rawBody: { bytes: batches, contentType: RECORD_BATCH_CONTENT_TYPE },
      ...opts,
    });
  }

  /** The stored RecordBatch bytes of one partition from `offset`, as the Kafka gateway's Fetch serves them. */
  async fetchBatches(
    topic: string,
    partition: number,
    params: FetchBatchesParams,
    opts: { signal?: AbortSignal; retry?: ResolvedRetry | false } = {},
  ): Promise<FetchBatchesResponse> {
    const res = await this.transport.requestBytes(
      'GET',
      `/v1/topics/${seg(topic)}/partitions/${partition}/batches`,
      RECORD_BATCH_CONTENT_TYPE,
      {
        query: { offset: params.offset, maxBytes: params.maxBytes, waitMs: params.waitMs },
        extraTimeoutMs: params.waitMs ?? 0,
        ...opts,
      },
    );
    const header = (name: string) => {
      const value = res.headers.get(name);
      if (value === null || !/^\d+$/.test(value)) {
        throw new StrataClientError(`fetch of ${topic}/${partition}: no ${name} header`, {
          code: 'INVALID_RESPONSE',
          retriable: false,
        });
      }
      return value;
    };
    return {
      records: res.bytes,
      highWatermark: header(BATCH_FETCH_HEADERS.highWatermark),
      logStartOffset: header(BATCH_FETCH_HEADERS.logStartOffset),
      nextOffset: header(BATCH_FETCH_HEADERS.nextOffset),
    };
  }

  fetch(
    topic: string,
    partition: number,
    params: FetchParams,
    opts: { signal?: AbortSignal; retry?: ResolvedRetry | false } = {},
  ): Promise<FetchResponse> {
    return this.transport.request('GET', `/v1/topics/${seg(topic)}/partitions/${partition}/records`, {
      query: {
        offset: params.offset,
        maxRecords: params.maxRecords,
        maxBytes: params.maxBytes,
        waitMs: params.waitMs,
        encoding: params.encoding,
      },
      extraTimeoutMs: params.waitMs ?? 0,
      ...opts,
    });
  }

  /** `at`: earliest, latest, or epoch ms (the first offset whose timestamp is >= it). */
  listOffset(topic: string, partition: number, at: 'earliest' | 'latest' | number | string) {
    return this.transport.request<ResponseOf<'GET /v1/topics/{topic}/partitions/{partition}/offsets'>>(
      'GET',
      `/v1/topics/${seg(topic)}/partitions/${partition}/offsets`,
      { query: { at: String(at) } },
    );
  }

  heartbeat(group: string, body: HeartbeatRequest, opts: { signal?: AbortSignal; timeoutMs?: number } = {}) {
    return this.transport.request<HeartbeatResponse>('POST', `/v1/groups/${seg(group)}/heartbeat`, {
      body,
      retry: false,
      ...opts,
    });
  }

  commitOffsets(
    group: string,
    body: OffsetCommitRequest,
  ): Promise<ResponseOf<'POST /v1/groups/{group}/offsets'>> {
    return this.transport.request('POST', `/v1/groups/${seg(group)}/offsets`, { body, retry: false });
  }

  fetchGroupOffsets(group: string): Promise<GroupOffsets> {
    return this.transport.request('GET', `/v1/groups/${seg(group)}/offsets`);
  }

  listGroups(): Promise<ResponseOf<'GET /v1/groups'>> {
    return this.transport.request('GET', '/v1/groups');
  }

  describeGroup(group: string): Promise<WireGroupDescription> {
    return this.transport.request('GET', `/v1/groups/${seg(group)}`);
  }

  deleteGroup(group: string): Promise<void> {
    return this.transport.request('DELETE', `/v1/groups/${seg(group)}`, { retry: false });
  }

  resetGroupOffsets(group: string, body: OffsetResetRequest): Promise<OffsetResetResponse> {
    return this.transport.request('POST', `/v1/groups/${seg(group)}/offsets/reset`, { body, retry: false });
  }

  /** Kafka's CreateAcls: the bindings stored (host `*` and LITERAL filled in). Idempotent. */
  createAcls(acls: AclBindingIn[]): Promise<ResponseOf<'POST /v1/acls'>> {
    return this.transport.request('POST', '/v1/acls', { body: { acls } });
  }

  /** Kafka's DescribeAcls: the bindings the filter selects (an absent field matches anything). */
  describeAcls(filter: AclFilterQuery = {}): Promise<ResponseOf<'GET /v1/acls'>> {
    return this.transport.request('GET', '/v1/acls', { query: { ...filter } });
  }

  /** Kafka's DeleteAcls: deletes what the filter selects and returns it. */
  deleteAcls(filter: AclDeleteQuery): Promise<ResponseOf<'DELETE /v1/acls'>> {
    return this.transport.request('DELETE', '/v1/acls', { query: { ...filter }, retry: false });
  }

  /** Creates a SASL user of the Kafka gateway, or sets its password (keys derived server-side). */
  createUser(body: RequestOf<'POST /v1/users'>): Promise<ResponseOf<'POST /v1/users'>> {
    return this.transport.request('POST', '/v1/users', { body, retry: false });
  }

  /** SASL users with their mechanisms and iterations; never a secret. */
  listUsers(): Promise<ResponseOf<'GET /v1/users'>> {
    return this.transport.request('GET', '/v1/users');
  }

  deleteUser(name: string): Promise<void> {
    return this.transport.request('DELETE', `/v1/users/${seg(name)}`, { retry: false });
  }
}
