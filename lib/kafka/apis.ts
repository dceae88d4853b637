import { type AnyHandler, anyHandler } from './handler.js';
import { alterConfigsHandler } from './handlers/alter-configs.js';
import { apiVersionsHandler } from './handlers/api-versions.js';
import { consumerGroupDescribeHandler } from './handlers/consumer-group-describe.js';
import { consumerGroupHeartbeatHandler } from './handlers/consumer-group-heartbeat.js';
import { createAclsHandler } from './handlers/create-acls.js';
import { createPartitionsHandler } from './handlers/create-partitions.js';
import { createTopicsHandler } from './handlers/create-topics.js';
import { deleteAclsHandler } from './handlers/delete-acls.js';
import { deleteGroupsHandler } from './handlers/delete-groups.js';
import { deleteRecordsHandler } from './handlers/delete-records.js';
import { deleteTopicsHandler } from './handlers/delete-topics.js';
import { describeAclsHandler } from './handlers/describe-acls.js';
import { describeClusterHandler } from './handlers/describe-cluster.js';
import { describeConfigsHandler } from './handlers/describe-configs.js';
import { describeGroupsHandler } from './handlers/describe-groups.js';
import { fetchHandler } from './handlers/fetch.js';
import { findCoordinatorHandler } from './handlers/find-coordinator.js';
import { heartbeatHandler } from './handlers/heartbeat.js';
import { incrementalAlterConfigsHandler } from './handlers/incremental-alter-configs.js';
import { initProducerIdHandler } from './handlers/init-producer-id.js';
import { joinGroupHandler } from './handlers/join-group.js';
import { leaveGroupHandler } from './handlers/leave-group.js';
import { listGroupsHandler } from './handlers/list-groups.js';
import { listOffsetsHandler } from './handlers/list-offsets.js';
import { metadataHandler } from './handlers/metadata.js';
import { offsetCommitHandler } from './handlers/offset-commit.js';
import { offsetDeleteHandler } from './handlers/offset-delete.js';
import { offsetFetchHandler } from './handlers/offset-fetch.js';
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.js';
import { produceHandler } from './handlers/produce.js';
import { saslAuthenticateHandler } from './handlers/sasl-authenticate.js';
import { saslHandshakeHandler } from './handlers/sasl-handshake.js';
import { syncGroupHandler } from './handlers/sync-group.js';
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from './handlers/user-scram-credentials.js';
import { APIS } from './protocol/schema/index.js';

export interface AdvertisedRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** What ApiVersions advertises: every handler that serves at least one version, by key. */
export function advertisedRanges(handlers: Iterable<AnyHandler>): AdvertisedRange[] {
  return [...handlers]
    .filter((h) => h.min <= h.max)
    .map((h) => ({ apiKey: APIS[h.api].key, minVersion: h.advertisedMin ?? h.min, maxVersion: h.max }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

/** The gateway's handlers by API key. One module per API under handlers/. */
export function createHandlerRegistry(): ReadonlyMap<number, AnyHandler> {
  const registry = new Map<number, AnyHandler>();
  const add = (h: AnyHandler) => {
    const key = APIS[h.api].key;
    if (registry.has(key)) throw new Error(`two handlers for ${h.api}`);
    registry.set(key, h);
  };
  let advertised: AdvertisedRange[] | undefined;
  add(anyHandler(apiVersionsHandler(() => (advertised ??= advertisedRanges(registry.values())))));
  for (const h of [
    anyHandler(metadataHandler),
    anyHandler(produceHandler),
    anyHandler(fetchHandler),
    anyHandler(listOffsetsHandler),
    anyHandler(findCoordinatorHandler),
    anyHandler(offsetCommitHandler),
    anyHandler(offsetFetchHandler),
    anyHandler(listGroupsHandler),
    anyHandler(describeGroupsHandler),
    anyHandler(deleteGroupsHandler),
    anyHandler(offsetDeleteHandler),
    anyHandler(initProducerIdHandler),
    anyHandler(createTopicsHandler),
    anyHandler(deleteTopicsHandler),
    anyHandler(createPartitionsHandler),
    anyHandler(deleteRecordsHandler),
    anyHandler(describeConfigsHandler),
    anyHandler(alterConfigsHandler),
    anyHandler(incrementalAlterConfigsHandler),
    anyHandler(describeClusterHandler),
    anyHandler(offsetForLeaderEpochHandler),
    anyHandler(joinGroupHandler),
    anyHandler(syncGroupHandler),
    anyHandler(heartbeatHandler),
    anyHandler(leaveGroupHandler),
    anyHandler(consumerGroupHeartbeatHandler),
    anyHandler(consumerGroupDescribeHandler),
    anyHandler(describeAclsHandler),
    anyHandler(createAclsHandler),
    anyHandler(deleteAclsHandler),
    // Advertised on every listener, as Kafka does: a listener without SASL answers ILLEGAL_SASL_STATE.
    anyHandler(saslHandshakeHandler),
    anyHandler(saslAuthenticateHandler),
    anyHandler(describeUserScramCredentialsHandler),
    anyHandler(alterUserScramCredentialsHandler),
  ]) {
    add(h);
  }
  return registry;
}
