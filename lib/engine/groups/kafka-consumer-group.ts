/**
 * KIP-848 over the Kafka protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe as Kafka's
 * group coordinator answers them, mapped onto the same coordinator that the HTTP API uses, so that
 * HTTP and Kafka members share groups. What is Kafka's here and not the HTTP API's: the request's
 * validation and its error codes, topic ids in assignments, the assignment sent only when it
 * changed, and regexes matched against the whole topic name. docs/groups.md, "Over the Kafka
 * protocol".
 */
import type { Engine } from '../engine.js';
import {
  GroupIdNotFoundError,
  InvalidRegularExpressionError,
  InvalidRequestError,
  UnsupportedAssignorError,
} from '../errors.js';
import { ASSIGNOR_NAMES, ASSIGNORS, type AssignorName } from './assignors.js';
import {
  describeGroup,
  type HeartbeatInput,
  heartbeatOutcome,
  type TopicAssignment,
  validateGroupId,
} from './coordinator.js';

/** ConsumerGroupHeartbeat v1: the client generates its member id (KIP-1082). */
export const CLIENT_MEMBER_ID_VERSION = 1;

export interface KafkaTopicPartitions {
  topicId: string;
  partitions: number[];
}

/** A ConsumerGroupHeartbeat request's fields, as the wire carries them (null: not sent). */
export interface KafkaHeartbeatRequest {
  apiVersion: number;
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  /** -1: unchanged. */
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** What the member owns now; null: unchanged since the last heartbeat. */
  topicPartitions: KafkaTopicPartitions[] | null;
  clientId: string | null;
  clientHost: string;
}

export interface KafkaHeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's whole assignment, or null when it has not changed (KIP-848). */
  assignment: KafkaTopicPartitions[] | null;
}

/** Kafka's regexes match the whole topic name (RE2J `matches`); the coordinator's use RegExp `test`. */
export function anchoredPattern(regex: string): string {
  return `^(?:${regex})$`;
}

/** A pattern as a Kafka client wrote it: the inverse of anchoredPattern, else the pattern as it is. */
export function kafkaRegexOf(pattern: string): string {
  const m = /^\^\(\?:([\s\S]*)\)\$$/.exec(pattern);
  return m ? (m[1] as string) : pattern;
}

function isAssignor(name: string): name is AssignorName {
  return Object.hasOwn(ASSIGNORS, name);
}

/** Kafka's checks of a ConsumerGroupHeartbeat (GroupMetadataManager's), with its messages. */
function validate(req: KafkaHeartbeatRequest): void {
  const { memberEpoch } = req;
  if (
    (req.apiVersion >= CLIENT_MEMBER_ID_VERSION || memberEpoch > 0 || memberEpoch === -1) &&
    !req.memberId
  ) {
    throw new InvalidRequestError(
      req.apiVersion >= CLIENT_MEMBER_ID_VERSION
        ? "MemberId can't be empty: from ConsumerGroupHeartbeat v1 the client generates it (KIP-1082)."
        : "MemberId can't be empty.",
    );
  }
  if (req.groupId === '') throw new InvalidRequestError("GroupId can't be empty.");
  if (req.rackId === '') throw new InvalidRequestError("RackId can't be empty.");
  if (req.instanceId === '') throw new InvalidRequestError("InstanceId can't be empty.");
  if (req.rebalanceTimeoutMs < -1) throw new InvalidRequestError('RebalanceTimeoutMs is invalid.');
  if (memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1)
      throw new InvalidRequestError('RebalanceTimeoutMs must be provided in first request.');
    if (req.topicPartitions === null || req.topicPartitions.length > 0)
      throw new InvalidRequestError('TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null)
      throw new InvalidRequestError(
        'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.',
      );
  } else if (memberEpoch === -2) {
    if (req.instanceId === null) throw new InvalidRequestError("InstanceId can't be null.");
  } else if (memberEpoch < -2) {
    throw new InvalidRequestError('MemberEpoch is invalid.');
  }
  if (
    req.subscribedTopicNames !== null &&
    req.subscribedTopicNames.length > 0 &&
    req.subscribedTopicRegex !== null &&
    req.subscribedTopicRegex !== ''
  ) {
    throw new InvalidRequestError(
      'SubscribedTopicNames and SubscribedTopicRegex together are not supported: a Strata member subscribes by names or by one regex',
    );
  }
  if (req.subscribedTopicRegex) {
    try {
      new RegExp(anchoredPattern(req.subscribedTopicRegex));
    } catch (err) {
      throw new InvalidRegularExpressionError(
        `SubscribedTopicRegex ${JSON.stringify(req.subscribedTopicRegex.slice(0, 200))} is not valid: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  if (req.serverAssignor !== null && !isAssignor(req.serverAssignor)) {
    throw new UnsupportedAssignorError(
      `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${[...ASSIGNOR_NAMES].sort().join(', ')}.`,
    );
  }
}

/** The subscription part of the coordinator's input: names, one regex (anchored), or unchanged. */
function subscription(req: KafkaHeartbeatRequest): Pick<HeartbeatInput, 'topics' | 'topicPattern'> {
  // A regex wins over an empty name list; an empty regex means "no regex" (Kafka's convention).
  if (req.subscribedTopicRegex) return { topicPattern: anchoredPattern(req.subscribedTopicRegex) };
  if (req.subscribedTopicNames !== null) return { topics: req.subscribedTopicNames };
  if (req.subscribedTopicRegex === '') return { topics: [] };
  return {};
}

const keysOf = (list: readonly TopicAssignment[]) =>
  new Set(list.flatMap((e) => e.partitions.map((p) => `${e.topic}\u0000${p}`)));

function sameKeys(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((k) => b.has(k));
}

/**
 * ConsumerGroupHeartbeat. Validates as Kafka does, then heartbeats the coordinator. The response
 * carries the member's whole assignment (topic ids) when it joins, when the request was a full
 * one (rebalance timeout, subscription and owned partitions all given), when the assignment or the
 * member epoch changed, or when what the member says it owns differs from its assignment; null
 * otherwise. Leaves (-1, -2) answer no assignment.
 */
export async function consumerGroupHeartbeat(
  engine: Engine,
  req: KafkaHeartbeatRequest,
): Promise<KafkaHeartbeatResponse> {
  validate(req);
  const input: HeartbeatInput = {
    memberEpoch: req.memberEpoch,
    ...(req.memberId !== '' ? { memberId: req.memberId } : {}),
    ...(req.instanceId !== null ? { instanceId: req.instanceId } : {}),
    ...(req.clientId !== null ? { clientId: req.clientId } : {}),
    ...(req.clientHost ? { host: req.clientHost } : {}),
    ...(req.rebalanceTimeoutMs >= 0 ? { rebalanceTimeoutMs: req.rebalanceTimeoutMs } : {}),
    ...(req.serverAssignor !== null ? { assignor: req.serverAssignor as AssignorName } : {}),
    ...(req.memberEpoch >= 0 ? subscription(req) : {}),
  };
  const outcome = await heartbeatOutcome(engine, validateGroupId(req.groupId), input, {
    ...(req.topicPartitions !== null ? { ownedTopicIds: req.topicPartitions } : {}),
    missingGroup: (groupId) => new GroupIdNotFoundError(`Consumer group ${groupId} not found.`),
  });
  const { response } = outcome;
  if (req.memberEpoch < 0) {
    return {
      memberId: response.memberId,
      memberEpoch: req.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }
  const assigned = keysOf(response.assignment);
  const fullRequest =
    req.rebalanceTimeoutMs !== -1 &&
    (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) &&
    req.topicPartitions !== null;
  const idOf = new Map(outcome.topics.map((t) => [t.name, t.topicId]));
  let ownedDiffers = false;
  if (req.topicPartitions !== null) {
    const nameOf = new Map(outcome.topics.map((t) => [t.topicId, t.name]));
    const owned = req.topicPartitions.flatMap((e) =>
      e.partitions.map((p) => `${nameOf.get(e.topicId) ?? `?${e.topicId}`}\u0000${p}`),
    );
    ownedDiffers = !sameKeys(new Set(owned), assigned);
  }
  const send =
    req.memberEpoch === 0 ||
    fullRequest ||
    response.memberEpoch !== req.memberEpoch ||
    outcome.previousAssignment === undefined ||
    !sameKeys(keysOf(outcome.previousAssignment), assigned) ||
    ownedDiffers;
  return {
    memberId: response.memberId,
    memberEpoch: response.memberEpoch,
    heartbeatIntervalMs: response.heartbeatIntervalMs,
    assignment: send
      ? response.assignment.flatMap(({ topic, partitions }) => {
          const topicId = idOf.get(topic);
          return topicId === undefined ? [] : [{ topicId, partitions }];
        })
      : null,
  };
}

// ---------------------------------------------------------------------------------------------
// ConsumerGroupDescribe.

export interface KafkaDescribedPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface KafkaDescribedMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: KafkaDescribedPartitions[];
  targetAssignment: KafkaDescribedPartitions[];
  /** KIP-1099: 1 = a consumer-protocol (KIP-848) member, which every Strata member is. */
  memberType: number;
}

export interface KafkaDescribedGroup {
  groupId: string;
  /** Kafka's ConsumerGroup states: Empty, Reconciling, Stable. */
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: KafkaDescribedMember[];
}

export const CONSUMER_MEMBER_TYPE = 1;

/**
 * One group as ConsumerGroupDescribe shows it: every live member (HTTP and Kafka alike) with its
 * subscription, what it owns now and its target, topics named by id and name. GROUP_ID_NOT_FOUND
 * for an unknown group, as Kafka answers.
 */
export async function describeConsumerGroup(engine: Engine, groupId: string): Promise<KafkaDescribedGroup> {
  if (groupId === '') throw new InvalidRequestError("GroupId can't be empty.");
  let d: Awaited<ReturnType<typeof describeGroup>>;
  try {
    d = await describeGroup(engine, groupId);
  } catch (err) {
    if (err instanceof GroupIdNotFoundError) throw new GroupIdNotFoundError(`Group ${groupId} not found.`);
    throw err;
  }
  const ids = new Map((await engine.metadata.listTopics()).map((t) => [t.name, t.topicId]));
  const described = (list: TopicAssignment[]): KafkaDescribedPartitions[] =>
    list.flatMap(({ topic, partitions }) => {
      const topicId = ids.get(topic);
      return topicId === undefined ? [] : [{ topicId, topicName: topic, partitions }];
    });
  return {
    groupId: d.groupId,
    groupState: d.state,
    groupEpoch: d.groupEpoch,
    assignmentEpoch: d.targetEpoch,
    assignorName: d.assignor,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId ?? null,
      rackId: null,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId ?? '',
      clientHost: m.host ?? '',
      subscribedTopicNames: m.subscribedTopics ?? [],
      subscribedTopicRegex: m.topicPattern !== undefined ? kafkaRegexOf(m.topicPattern) : null,
      assignment: described(m.assignment),
      targetAssignment: described(m.targetAssignment),
      memberType: CONSUMER_MEMBER_TYPE,
    })),
  };
}
