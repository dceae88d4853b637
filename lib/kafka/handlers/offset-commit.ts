import { commitClassicOffsets, commitOffsetsByPartition, isClassicMember } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

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
    const offsets = body.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: Number(p.committedOffset),
        metadata: p.committedMetadata,
      })),
    );
    let codes: number[];
    try {
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
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes[i++] ?? NONE,
        })),
      })),
    };
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
