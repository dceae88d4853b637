/**
 * One typed method per HTTP route (docs/api.md). The producer, consumer, admin and CLI are built
 * on it; it is exported for programs that want the raw API (e.g. reading one partition without
 * a group). Wire shapes: offsets are strings, partitions numbers.
 */
import type { RequestOptions, Transport } from './http.js';
import type { ResolvedRetry } from './retry.js';
import type { PartitionLag } from './types.js';

export interface WireRecordIn {
  key?: string | null;
  value: string | null;
  headers?: Record<string, string | null>;
  partition?: number;
  timestamp?: number | string;
}

export interface WireRecordOut {
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers?: Record<string, string | null> | null;
}

export interface ProduceResponse {
  offsets: { partition: number; offset: string }[];
}

export interface FetchResponse {
  records: WireRecordOut[];
  nextOffset: string;
  highWatermark: string;
  logStartOffset: string;
}

export interface TopicSummary {
  name: string;
  partitions: number;
}

export interface TopicDescription {
  name: string;
  config: Record<string, unknown>;
  partitions: { partition: number; earliestOffset: string; latestOffset: string }[];
}

export interface WireTopicPartitions {
  topic: string;
  partitions: number[];
}

export interface HeartbeatRequest {
  memberId?: string;
  memberEpoch: number;
  topics?: string[];
  topicPattern?: string;
  instanceId?: string;
  clientId?: string;
  ownedPartitions?: WireTopicPartitions[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: 'uniform' | 'range';
}

export interface HeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The partitions the member may own now; absent or null means "unchanged". */
  assignment?: WireTopicPartitions[] | null;
}

export interface OffsetCommitRequest {
  memberId: string;
  memberEpoch: number;
  offsets: { topic: string; partition: number; offset: string; metadata?: string }[];
}

export interface GroupOffsets {
  offsets: { topic: string; partition: number; offset: string; metadata?: string | null }[];
}

export interface GroupSummary {
  groupId: string;
  state: string;
  members: number;
}

export interface WireGroupDescription {
  groupId: string;
  state: string;
  groupEpoch: number;
  members: {
    memberId: string;
    memberEpoch: number;
    assignment: WireTopicPartitions[];
    [k: string]: unknown;
  }[];
  offsets: PartitionLag[];
}

export type OffsetResetTarget = 'earliest' | 'latest' | 'timestamp' | 'offset';

export interface OffsetResetRequest {
  topic: string;
  to: OffsetResetTarget;
  value?: string | number;
  dryRun?: boolean;
  /** Limit the reset to these partitions (all when absent). */
  partitions?: number[];
  /** With `to: "offset"`: an offset per partition. */
  offsets?: { partition: number; offset: string }[];
}

export interface OffsetResetResponse {
  offsets: { topic: string; partition: number; before: string | null; after: string }[];
}

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

  health(opts?: RequestOptions): Promise<unknown> {
    return this.transport.request('GET', '/healthz', opts);
  }

  createTopic(name: string, partitions: number, config?: Record<string, string | number>): Promise<unknown> {
    return this.transport.request('POST', '/v1/topics', {
      body: { name, partitions, ...(config && Object.keys(config).length > 0 ? { config } : {}) },
      retry: false,
    });
  }

  listTopics(): Promise<{ topics: TopicSummary[] }> {
    return this.transport.request('GET', '/v1/topics');
  }

  describeTopic(topic: string): Promise<TopicDescription> {
    return this.transport.request('GET', `/v1/topics/${seg(topic)}`);
  }

  deleteTopic(topic: string): Promise<void> {
    return this.transport.request('DELETE', `/v1/topics/${seg(topic)}`, { retry: false });
  }

  /** `count` is the new total. */
  setPartitionCount(topic: string, count: number): Promise<unknown> {
    return this.transport.request('POST', `/v1/topics/${seg(topic)}/partitions`, {
      body: { count },
      retry: false,
    });
  }

  /** Kafka's DeleteRecords: the partition's log start moves to `beforeOffset` (-1: the high watermark). */
  deleteRecords(topic: string, partition: number, beforeOffset: string) {
    return this.transport.request<{ partition: number; lowWatermark: string }>(
      'DELETE',
      `/v1/topics/${seg(topic)}/records`,
      { body: { partition, beforeOffset }, retry: false },
    );
  }

  /** Kafka's InitProducerId: a producer id and epoch (the next epoch of `transactionalId` when given). */
  initProducer(transactionalId?: string, opts: { retry?: ResolvedRetry | false } = {}) {
    return this.transport.request<{ producerId: string; producerEpoch: number }>('POST', '/v1/producers', {
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
    return this.transport.request<{ offset: string }>(
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

  commitOffsets(group: string, body: OffsetCommitRequest): Promise<unknown> {
    return this.transport.request('POST', `/v1/groups/${seg(group)}/offsets`, { body, retry: false });
  }

  fetchGroupOffsets(group: string): Promise<GroupOffsets> {
    return this.transport.request('GET', `/v1/groups/${seg(group)}/offsets`);
  }

  listGroups(): Promise<{ groups: GroupSummary[] }> {
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
}
