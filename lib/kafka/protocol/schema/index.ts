import { AlterConfigs } from './alter-configs.js';
import { AlterUserScramCredentials } from './alter-user-scram-credentials.js';
import { ApiVersions } from './api-versions.js';
import { ConsumerGroupDescribe } from './consumer-group-describe.js';
import { ConsumerGroupHeartbeat } from './consumer-group-heartbeat.js';
import { CreateAcls } from './create-acls.js';
import { CreatePartitions } from './create-partitions.js';
import { CreateTopics } from './create-topics.js';
import { DeleteAcls } from './delete-acls.js';
import { DeleteGroups } from './delete-groups.js';
import { DeleteRecords } from './delete-records.js';
import { DeleteTopics } from './delete-topics.js';
import { DescribeAcls } from './describe-acls.js';
import { DescribeCluster } from './describe-cluster.js';
import { DescribeConfigs } from './describe-configs.js';
import { DescribeGroups } from './describe-groups.js';
import { DescribeUserScramCredentials } from './describe-user-scram-credentials.js';
import { Fetch } from './fetch.js';
import { FindCoordinator } from './find-coordinator.js';
import { Heartbeat } from './heartbeat.js';
import { IncrementalAlterConfigs } from './incremental-alter-configs.js';
import { InitProducerId } from './init-producer-id.js';
import { JoinGroup } from './join-group.js';
import { LeaveGroup } from './leave-group.js';
import { ListGroups } from './list-groups.js';
import { ListOffsets } from './list-offsets.js';
import { Metadata } from './metadata.js';
import { OffsetCommit } from './offset-commit.js';
import { OffsetDelete } from './offset-delete.js';
import { OffsetFetch } from './offset-fetch.js';
import { OffsetForLeaderEpoch } from './offset-for-leader-epoch.js';
import { Produce } from './produce.js';
import { SaslAuthenticate } from './sasl-authenticate.js';
import { SaslHandshake } from './sasl-handshake.js';
import { SyncGroup } from './sync-group.js';
import type { ApiSchema, Input, Struct } from './types.js';

/** Every API the codec knows, by name. Facts from Kafka's message definitions (clients/.../common/message/*.json). */
export const APIS = {
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  SaslHandshake,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  DeleteRecords,
  InitProducerId,
  OffsetForLeaderEpoch,
  DescribeConfigs,
  AlterConfigs,
  SaslAuthenticate,
  DescribeAcls,
  CreateAcls,
  DeleteAcls,
  CreatePartitions,
  DeleteGroups,
  OffsetDelete,
  IncrementalAlterConfigs,
  DescribeUserScramCredentials,
  AlterUserScramCredentials,
  DescribeCluster,
  ConsumerGroupHeartbeat,
  ConsumerGroupDescribe,
} as const;

type Apis = typeof APIS;
export type ApiName = keyof Apis;
export type ApiKey = Apis[ApiName]['key'];
export type ApiNameOf<K extends ApiKey> = { [N in ApiName]: Apis[N]['key'] extends K ? N : never }[ApiName];

export type RequestBody<N extends ApiName> = Struct<Apis[N]['request']>;
export type ResponseBody<N extends ApiName> = Struct<Apis[N]['response']>;
export type RequestInput<N extends ApiName> = Input<Apis[N]['request']>;
export type ResponseInput<N extends ApiName> = Input<Apis[N]['response']>;

export const API_BY_KEY: ReadonlyMap<number, ApiSchema> = new Map(
  Object.values(APIS).map((schema) => [schema.key, schema]),
);
