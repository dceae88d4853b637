import { describeGroup, type GroupDescription, GroupIdNotFoundError } from '../../engine/index.js';
import { authorizedOperations as operationsOn } from '../authorization.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';
import { encodeAssignment, encodeSubscription } from '../protocol/consumer-protocol.js';

/** Kafka's AclOperation bits a group has (READ, DELETE, DESCRIBE), all granted without an authorizer. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

/**
 * DescribeGroups v0-5: a Strata group as Kafka describes a consumer group, with its state, the
 * protocol type "consumer", the server assignor as protocol data once Stable (Kafka fills it in
 * only then), and each live member with its client id and host where known, its subscription
 * (ConsumerProtocolSubscription v0) and the partitions it owns (ConsumerProtocolAssignment v0).
 * A classic group is described as Kafka does: its classic state, its own protocol type, the chosen
 * protocol once Stable, and each member's JoinGroup metadata and SyncGroup assignment unchanged.
 * An unknown group is Dead with no members, as in Kafka.
 */
export const describeGroupsHandler = defineHandler({
  api: 'DescribeGroups',
  min: 0,
  max: 5,
  async handle(ctx, body) {
    const groups = await Promise.all(
      body.groups.map(async (groupId) => {
        const authorizedOperations = body.includeAuthorizedOperations
          ? await operationsOn(ctx, 'GROUP', groupId, ALL_GROUP_OPERATIONS)
          : NOT_REQUESTED;
        const empty = { groupId, protocolType: '', protocolData: '', members: [], authorizedOperations };
        try {
          await ctx.authz.require('DESCRIBE', 'GROUP', groupId);
          return { ...described(await describeGroup(ctx.engine, groupId)), authorizedOperations };
        } catch (err) {
          if (err instanceof GroupIdNotFoundError) return { ...empty, errorCode: NONE, groupState: 'Dead' };
          return { ...empty, errorCode: kafkaErrorCode(err), groupState: '' };
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
});

function described(d: GroupDescription) {
  if (d.type === 'classic') {
    // As Kafka: the protocol data (the chosen protocol) only once Stable; the opaque bytes as sent.
    return {
      errorCode: NONE,
      groupId: d.groupId,
      groupState: d.state,
      protocolType: d.protocolType,
      protocolData: d.state === 'Stable' ? d.protocolName : '',
      members: d.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId ?? null,
        clientId: m.clientId ?? '',
        clientHost: m.host ?? '',
        memberMetadata: Buffer.from(m.classic?.metadata ?? '', 'base64'),
        memberAssignment: Buffer.from(m.classic?.assignment ?? '', 'base64'),
      })),
    };
  }
  return {
    errorCode: NONE,
    groupId: d.groupId,
    groupState: d.state,
    protocolType: 'consumer',
    protocolData: d.state === 'Stable' ? d.assignor : '',
    members: d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId ?? null,
      clientId: m.clientId ?? '',
      clientHost: m.host ?? '',
      memberMetadata: encodeSubscription({
        topics: m.subscribedTopics ?? m.assignment.map((a) => a.topic),
        userData: null,
      }),
      memberAssignment: encodeAssignment({
        assignedPartitions: m.assignment.map((a) => ({ topic: a.topic, partitions: a.partitions })),
        userData: null,
      }),
    })),
  };
}
