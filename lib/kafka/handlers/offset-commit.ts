import {
  authorizationError,
  commitClassicOffsets,
  commitOffsetsByPartition,
  isClassicMember,
} from '../../engine/index.js';
import { filterAllowed } from '../authorization.js';
import { codeOf, defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/**
 * OffsetCommit v2-9. Simple consumers and admin tools commit with generation -1 and no member id,
 * accepted while the group has no live member (UNKNOWN_MEMBER_ID otherwise, as in Kafka); a member
 * of a classic group commits at its generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID when stale);
 * a member of a Strata group commits with its member id and epoch (v9's meaning of the generation field).
 * Per-partition errors for unknown partitions and oversized metadata; a failure of the whole group
 * is answered on every partition. Retention times (v2-4) are ignored: offsets live with the group.
 */
export const offsetCommitHandler = defineHandler({
  api: 'OffsetCommit',
  min: 2,
  max: 9,
  async handle(ctx, body) {
    // As Kafka: READ on the group, then READ on each topic; a refused topic's partitions are
    // answered TOPIC_AUTHORIZATION_FAILED and not committed, the others are.
    const groupAllowed = await ctx.authz.allowed('READ', 'GROUP', body.groupId);
    const readable = await filterAllowed(
      ctx,
      'READ',
      'TOPIC',
      body.topics.map((t) => t.name),
    );
    const offsets = body.topics
      .filter((t) => readable.has(t.name))
      .flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          metadata: p.committedMetadata,
        })),
      );
    let codes: number[] = [];
    try {
      if (!groupAllowed) throw authorizationError('GROUP', 'READ', body.groupId);
      // Every topic refused: nothing is left to commit, and the group is not touched.
      if (offsets.length === 0) return answer();
      const generation = body.generationIdOrMemberEpoch;
      // A member of a classic group commits at its generation; anyone else as above.
      const classic = generation >= 0 && (await isClassicMember(ctx.engine, body.groupId, body.memberId));
      const results = await commitOffsetsByPartition(
        ctx.engine,
        body.groupId,
        { memberId: body.memberId, memberEpoch: generation, offsets },
        classic
          ? (valid) =>
              commitClassicOffsets(
                ctx.engine,
                body.groupId,
                { memberId: body.memberId, generation, instanceId: body.groupInstanceId },
                valid,
              )
          : undefined,
      );
      codes = results.map((r) => (r.error ? kafkaErrorCode(r.error) : NONE));
    } catch (err) {
      codes = offsets.map(() => kafkaErrorCode(err));
    }
    return answer();

    function answer() {
      let i = 0;
      const refusedTopic = codeOf(groupAllowed ? 'TOPIC_AUTHORIZATION_FAILED' : 'GROUP_AUTHORIZATION_FAILED');
      return {
        throttleTimeMs: 0,
        topics: body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: readable.has(t.name) ? (codes[i++] ?? NONE) : refusedTopic,
          })),
        })),
      };
    }
  },
  // v0-1 (deprecated; Kafka 4 refuses them too): every partition gets UNSUPPORTED_VERSION.
  reject(_ctx, body, code) {
    return {
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
      })),
    };
  },
});
