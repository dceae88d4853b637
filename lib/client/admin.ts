/** The admin client: KafkaJS's admin methods over the topics and groups routes. */
import type { StrataApi, WireGroupDescription } from './api.js';
import { StrataClientError, StrataUsageError } from './errors.js';
import { Emitter, type Listener, type RemoveListener } from './events.js';
import type { Logger } from './logger.js';
import type { TopicMetadataCache } from './metadata.js';
import {
  ConfigResourceTypes,
  ConfigSource,
  type DescribeConfigResponse,
  type GroupDescription,
  type GroupOverview,
  type IResourceConfig,
  type ITopicConfig,
  type ITopicMetadata,
  type PartitionMetadata,
} from './types.js';

export const ADMIN_EVENTS = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
} as const;

export interface SeekEntry {
  partition: number;
  offset: string;
}

export class Admin {
  readonly events = ADMIN_EVENTS;
  private readonly emitter: Emitter;

  constructor(
    private readonly api: StrataApi,
    private readonly metadata: TopicMetadataCache,
    private readonly log: Logger,
  ) {
    this.emitter = new Emitter(Object.values(ADMIN_EVENTS));
  }

  async connect(): Promise<void> {
    await this.api.health();
    this.emitter.emit(ADMIN_EVENTS.CONNECT, {});
  }

  async disconnect(): Promise<void> {
    this.emitter.emit(ADMIN_EVENTS.DISCONNECT, {});
  }

  on<T = unknown>(event: string, listener: Listener<T>): RemoveListener {
    return this.emitter.on(event, listener);
  }

  logger(): Logger {
    return this.log;
  }

  /** Resolves true when every topic was created, false when any already existed (as KafkaJS). */
  async createTopics({
    topics,
    validateOnly,
  }: {
    topics: ITopicConfig[];
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
  }): Promise<boolean> {
    if (!Array.isArray(topics) || topics.length === 0)
      throw new StrataUsageError('createTopics: no topics given');
    if (validateOnly) throw new StrataUsageError('createTopics: validateOnly is not supported');
    let allCreated = true;
    for (const t of topics) {
      const partitions = t.numPartitions === undefined || t.numPartitions === -1 ? 1 : t.numPartitions;
      const config: Record<string, string> = {};
      for (const entry of t.configEntries ?? []) config[entry.name] = entry.value;
      try {
        await this.api.createTopic(t.topic, partitions, config);
        this.metadata.set(t.topic, partitions);
      } catch (err) {
        if (err instanceof StrataClientError && err.code === 'TOPIC_ALREADY_EXISTS') {
          allCreated = false;
          continue;
        }
        throw err;
      }
    }
    return allCreated;
  }

  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    for (const topic of topics) {
      await this.api.deleteTopic(topic);
      this.metadata.invalidate(topic);
    }
  }

  async listTopics(): Promise<string[]> {
    return (await this.api.listTopics()).topics.map((t) => t.name);
  }

  /** `count` is the new total number of partitions, as in KafkaJS. */
  async createPartitions({
    topicPartitions,
  }: {
    topicPartitions: { topic: string; count: number; assignments?: number[][] }[];
    validateOnly?: boolean;
    timeout?: number;
  }): Promise<boolean> {
    for (const { topic, count } of topicPartitions) {
      await this.api.setPartitionCount(topic, count);
      this.metadata.set(topic, count);
    }
    return true;
  }

  /**
   * KafkaJS's describeConfigs for topics: every config (or those in `configNames`), marked default
   * or set for the topic. Synonyms are not reported (the list is empty).
   */
  async describeConfigs({
    resources,
  }: {
    resources: { type: number; name: string; configNames?: string[] }[];
    includeSynonyms?: boolean;
  }): Promise<DescribeConfigResponse> {
    const out: DescribeConfigResponse['resources'] = [];
    for (const r of resources) {
      if (r.type !== ConfigResourceTypes.TOPIC) {
        throw new StrataUsageError(
          `describeConfigs: resource type ${r.type} is not supported, only TOPIC (2)`,
        );
      }
      const d = await this.api.describeTopic(r.name);
      const overrides = new Set(d.overrides);
      const names = r.configNames && r.configNames.length > 0 ? r.configNames : Object.keys(d.config);
      out.push({
        errorCode: 0,
        errorMessage: null,
        resourceName: r.name,
        resourceType: r.type,
        configEntries: names
          .filter((name) => name in d.config)
          .map((name) => ({
            configName: name,
            configValue: d.config[name] as string,
            readOnly: false,
            isDefault: !overrides.has(name),
            configSource: overrides.has(name) ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
            isSensitive: false,
            configSynonyms: [],
          })),
      });
    }
    return { resources: out, throttleTime: 0 };
  }

  /**
   * KafkaJS's alterConfigs, which is Kafka's AlterConfigs: each topic's configs become exactly
   * `configEntries`, and every config left out returns to its default.
   */
  async alterConfigs({
    resources,
    validateOnly,
  }: {
    resources: IResourceConfig[];
    validateOnly?: boolean;
  }): Promise<{
    resources: {
      errorCode: number;
      errorMessage: string | null;
      resourceName: string;
      resourceType: number;
    }[];
    throttleTime: number;
  }> {
    const out = [];
    for (const r of resources) {
      if (r.type !== ConfigResourceTypes.TOPIC) {
        throw new StrataUsageError(`alterConfigs: resource type ${r.type} is not supported, only TOPIC (2)`);
      }
      await this.api.alterTopicConfigs(r.name, {
        replace: r.configEntries.map((e) => ({ name: e.name, value: e.value })),
        ...(validateOnly ? { validateOnly } : {}),
      });
      out.push({ errorCode: 0, errorMessage: null, resourceName: r.name, resourceType: r.type });
    }
    return { resources: out, throttleTime: 0 };
  }

  async fetchTopicMetadata({ topics }: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    const names = topics && topics.length > 0 ? topics : await this.listTopics();
    const out: ITopicMetadata[] = [];
    for (const name of names) {
      const d = await this.api.describeTopic(name);
      this.metadata.set(name, d.partitions.length);
      out.push({ name: d.name, partitions: d.partitions.map((p) => partitionMetadata(p.partition)) });
    }
    return { topics: out };
  }

  /** Per partition: `offset` and `high` are the high watermark, `low` the log start. */
  async fetchTopicOffsets(
    topic: string,
  ): Promise<{ partition: number; offset: string; high: string; low: string }[]> {
    const d = await this.api.describeTopic(topic);
    return d.partitions.map((p) => ({
      partition: p.partition,
      offset: p.latestOffset,
      high: p.latestOffset,
      low: p.earliestOffset,
    }));
  }

  /**
   * Per partition, the first offset whose timestamp is >= `timestamp`; the high watermark when
   * no record is that recent (and with no timestamp).
   */
  async fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp?: number,
  ): Promise<{ partition: number; offset: string }[]> {
    const d = await this.api.describeTopic(topic);
    return Promise.all(
      d.partitions.map(async (p) => {
        if (timestamp === undefined) return { partition: p.partition, offset: p.latestOffset };
        const { offset } = await this.api.listOffset(topic, p.partition, timestamp);
        return { partition: p.partition, offset: offset === '-1' ? p.latestOffset : offset };
      }),
    );
  }

  /** Committed offsets per partition; '-1' where the group has committed nothing. */
  async fetchOffsets({
    groupId,
    topics,
  }: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<
    { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[]
  > {
    const res = await this.api.fetchGroupOffsets(groupId).catch((err) => {
      if (err instanceof StrataClientError && err.code === 'GROUP_ID_NOT_FOUND') return { offsets: [] };
      throw err;
    });
    const committed = new Map<string, { offset: string; metadata: string | null }>();
    const seenTopics: string[] = [];
    for (const o of res.offsets ?? []) {
      committed.set(`${o.topic}\u0000${o.partition}`, {
        offset: String(o.offset),
        metadata: o.metadata ?? null,
      });
      if (!seenTopics.includes(o.topic)) seenTopics.push(o.topic);
    }
    const names = topics && topics.length > 0 ? topics : seenTopics;
    const out = [];
    for (const topic of names) {
      const count = await this.metadata.partitionCount(topic, { refresh: true });
      const partitions = [];
      for (let partition = 0; partition < count; partition++) {
        const c = committed.get(`${topic}\u0000${partition}`);
        partitions.push({ partition, offset: c?.offset ?? '-1', metadata: c?.metadata ?? null });
      }
      out.push({ topic, partitions });
    }
    return out;
  }

  /** Sets a group's committed offsets for the given partitions (the group must be empty). */
  async setOffsets({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string;
    topic: string;
    partitions: SeekEntry[];
  }): Promise<void> {
    const offsets = partitions.map(({ partition, offset }) => {
      const text = String(offset);
      if (!/^\d+$/.test(text))
        throw new StrataUsageError(`setOffsets: invalid offset ${JSON.stringify(offset)}`);
      return { partition, offset: text };
    });
    if (offsets.length === 0) return;
    await this.api.resetGroupOffsets(groupId, { topic, to: 'offset', offsets });
  }

  /** Resets every partition of `topic` to its earliest (earliest: true) or latest offset. */
  async resetOffsets({
    groupId,
    topic,
    earliest,
  }: {
    groupId: string;
    topic: string;
    earliest?: boolean;
  }): Promise<void> {
    await this.api.resetGroupOffsets(groupId, { topic, to: earliest ? 'earliest' : 'latest' });
  }

  /** Strata: reset to a timestamp (`to: 'timestamp'`), an offset, earliest or latest, optionally as a dry run. */
  resetOffsetsTo(
    groupId: string,
    request: {
      topic: string;
      to: 'earliest' | 'latest' | 'timestamp' | 'offset';
      value?: string | number;
      dryRun?: boolean;
      partitions?: number[];
    },
  ) {
    return this.api.resetGroupOffsets(groupId, request);
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const res = await this.api.listGroups();
    return {
      groups: res.groups.map((g) => ({
        groupId: g.groupId,
        protocolType: 'consumer',
        state: g.state,
        members: g.members,
      })),
    };
  }

  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    const groups: GroupDescription[] = [];
    for (const groupId of groupIds) {
      let d: WireGroupDescription;
      try {
        d = await this.api.describeGroup(groupId);
      } catch (err) {
        // KafkaJS describes an unknown group as a Dead one with no members.
        if (err instanceof StrataClientError && err.code === 'GROUP_ID_NOT_FOUND') {
          groups.push({
            groupId,
            state: 'Dead',
            groupEpoch: 0,
            protocol: '',
            protocolType: 'consumer',
            errorCode: 0,
            members: [],
            offsets: [],
          });
          continue;
        }
        throw err;
      }
      groups.push({
        groupId: d.groupId,
        state: d.state,
        groupEpoch: d.groupEpoch,
        protocol: 'uniform',
        protocolType: 'consumer',
        errorCode: 0,
        members: (d.members ?? []).map((m) => ({
          memberId: m.memberId,
          memberEpoch: m.memberEpoch,
          clientId: typeof m.clientId === 'string' ? m.clientId : '',
          clientHost: m.host ?? '',
          memberAssignment: m.assignment ?? [],
          memberMetadata: new Uint8Array(),
        })),
        offsets: d.offsets ?? [],
      });
    }
    return { groups };
  }

  /** Deletes empty groups. Rejects (after trying them all) when any could not be deleted. */
  async deleteGroups(
    groupIds: string[],
  ): Promise<{ groupId: string; errorCode: number; error?: StrataClientError }[]> {
    const results: { groupId: string; errorCode: number; error?: StrataClientError }[] = [];
    for (const groupId of groupIds) {
      try {
        await this.api.deleteGroup(groupId);
        results.push({ groupId, errorCode: 0 });
      } catch (err) {
        if (!(err instanceof StrataClientError)) throw err;
        results.push({ groupId, errorCode: err.kafkaCode, error: err });
      }
    }
    const failed = results.filter((r) => r.error);
    if (failed.length > 0) {
      const first = failed[0]?.error as StrataClientError;
      const error = new StrataClientError(
        `deleteGroups: ${failed.map((f) => `${f.groupId}: ${f.error?.code}`).join(', ')}`,
        { code: first.code, retriable: first.retriable, status: first.status, details: { groups: results } },
      );
      throw Object.assign(error, { groups: results });
    }
    return results;
  }

  /**
   * KafkaJS's `deleteTopicRecords({ topic, partitions: [{ partition, offset }] })`: every record
   * below `offset` becomes unreadable (`'-1'`: everything up to the high watermark).
   */
  async deleteTopicRecords({
    topic,
    partitions,
  }: {
    topic: string;
    partitions: { partition: number; offset: string }[];
  }): Promise<void> {
    for (const p of partitions) await this.api.deleteRecords(topic, p.partition, String(p.offset));
  }

  /** A single-node view, for programs that print it. */
  async describeCluster(): Promise<{
    brokers: { nodeId: number; host: string; port: number }[];
    controller: number;
    clusterId: string;
  }> {
    await this.api.health();
    const url = new URL(this.api.transport.endpoint);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { brokers: [{ nodeId: 0, host: url.hostname, port }], controller: 0, clusterId: 'strata' };
  }
}

function partitionMetadata(partitionId: number): PartitionMetadata {
  return { partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0], offlineReplicas: [] };
}
