import { type CommittedOffset, fetchOffsets } from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { codeOf, defineHandler, kafkaErrorCode, NONE, type RequestContext } from '../handler.js';

/** Committed leader epochs are not kept: every offset is reported with "unknown" (-1). */
const NO_LEADER_EPOCH = -1;
const NO_OFFSET = -1n;

interface TopicRequest {
  name: string;
  partitionIndexes: number[];
}

interface GroupAnswer {
  errorCode: number;
  topics: {
    name: string;
    partitions: {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      metadata: string;
      errorCode: number;
    }[];
  }[];
}

/**
 * OffsetFetch v1-9 (v8+ asks for several groups): the committed offsets of the partitions named,
 * -1 where none is committed (and for an unknown group), or every committed offset of the group
 * when the topics are null (v2+). requireStable (v7+) changes nothing: without transactions every
 * offset is stable. v9 with a member id checks the member as a KIP-848 coordinator does.
 */
export const offsetFetchHandler = defineHandler({
  api: 'OffsetFetch',
  min: 1,
  max: 9,
  async handle(ctx, body) {
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        body.groups.map(async (g) => {
          const member =
            g.memberId !== null || g.memberEpoch >= 0
              ? { memberId: g.memberId ?? '', memberEpoch: g.memberEpoch }
              : undefined;
          return { groupId: g.groupId, ...(await fetchGroup(ctx, g.groupId, g.topics, member)) };
        }),
      );
      return { throttleTimeMs: 0, groups };
    }
    const answer = await fetchGroup(ctx, body.groupId, body.topics);
    if (ctx.apiVersion < 2 && answer.errorCode !== NONE) {
      // v1 has no top-level error code: the group's failure goes on every partition asked for.
      return { topics: requested(body.topics ?? [], new Map(), answer.errorCode) };
    }
    return { throttleTimeMs: 0, errorCode: answer.errorCode, topics: answer.topics };
  },
  // v0 (offsets kept in ZooKeeper; Kafka 4 refuses it too): every partition gets UNSUPPORTED_VERSION.
  reject(_ctx, body, code) {
    return { topics: requested(body.topics ?? [], new Map(), code) };
  },
});

/**
 * One group's answer. As Kafka: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED for the group),
 * and DESCRIBE on each topic: a named topic refused is TOPIC_AUTHORIZATION_FAILED on its
 * partitions, and a refused topic is left out of a fetch of every offset.
 */
async function fetchGroup(
  ctx: RequestContext,
  groupId: string,
  topics: TopicRequest[] | null,
  member?: { memberId: string; memberEpoch: number },
): Promise<GroupAnswer> {
  let committed: CommittedOffset[];
  let visible = new Set<string>();
  try {
    await ctx.authz.require('DESCRIBE', 'GROUP', groupId);
    if (topics !== null)
      visible = await filterAllowed(
        ctx,
        'DESCRIBE',
        'TOPIC',
        topics.map((t) => t.name),
      );
    const asked = topics?.filter((t) => visible.has(t.name));
    committed =
      asked?.length === 0
        ? []
        : await fetchOffsets(
            ctx.engine,
            groupId,
            asked?.map((t) => t.name),
            member,
          );
    if (topics === null)
      visible = await filterAllowed(
        ctx,
        'DESCRIBE',
        'TOPIC',
        committed.map((o) => o.topic),
      );
  } catch (err) {
    return { errorCode: kafkaErrorCode(err), topics: [] };
  }
  if (topics === null) {
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of committed)
      if (visible.has(o.topic)) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    return {
      errorCode: NONE,
      topics: [...byTopic].map(([name, offsets]) => ({
        name,
        partitions: offsets.map((o) => partition(o.partition, o)),
      })),
    };
  }
  const byKey = new Map(committed.map((o) => [`${o.topic}\u0000${o.partition}`, o]));
  const refused = codeOf('TOPIC_AUTHORIZATION_FAILED');
  return {
    errorCode: NONE,
    topics: topics.flatMap((t) => requested([t], byKey, visible.has(t.name) ? NONE : refused)),
  };
}

function requested(topics: TopicRequest[], byKey: Map<string, CommittedOffset>, errorCode: number) {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => partition(p, byKey.get(`${t.name}\u0000${p}`), errorCode)),
  }));
}

function partition(partitionIndex: number, o: CommittedOffset | undefined, errorCode = NONE) {
  return {
    partitionIndex,
    committedOffset: o ? BigInt(o.offset) : NO_OFFSET,
    committedLeaderEpoch: NO_LEADER_EPOCH,
    metadata: o?.metadata ?? '',
    errorCode,
  };
}
