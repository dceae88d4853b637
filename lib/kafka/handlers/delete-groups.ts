import { deleteGroup } from '../../engine/index.js';
import { defineHandler, kafkaErrorCode, NONE } from '../handler.js';

/** DeleteGroups v0-2: each group and its offsets; NON_EMPTY_GROUP while it has live members, GROUP_ID_NOT_FOUND. */
export const deleteGroupsHandler = defineHandler({
  api: 'DeleteGroups',
  min: 0,
  max: 2,
  async handle(ctx, body) {
    const results = await Promise.all(
      body.groupsNames.map(async (groupId) => {
        try {
          await ctx.authz.require('DELETE', 'GROUP', groupId);
          await deleteGroup(ctx.engine, groupId);
          return { groupId, errorCode: NONE };
        } catch (err) {
          return { groupId, errorCode: kafkaErrorCode(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});
