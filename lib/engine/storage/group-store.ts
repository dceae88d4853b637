/**
 * Consumer groups in the meta table (layout in docs/groups.md):
 *  - `group#<id>` / `group`: the whole group state (JSON) with `version` (optimistic concurrency),
 *    `incarnation` (a UUID minted at creation: offsets of a deleted group never leak into a new one)
 *    and `fence` (memberId -> rev: offset commits are conditional on the member's entry only, so
 *    they do not conflict with heartbeats that change nothing the commit depends on);
 *  - `group#<id>` / `offset#<topic>#<partition>`: one committed offset per partition;
 *  - `groups` / `<id>`: the registry that listing reads, written with creation and deletion.
 * Every write is conditional or a transaction; a lost race returns false and the caller re-reads.
 *
 * The state document is declared here, with the item that holds it; what it means, and every
 * change to it, is lib/engine/groups/reconcile.ts.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { CoordinatorNotAvailableError } from '../errors.js';
import { metaKeys } from './keys.js';
import { sleep } from './metadata-store.js';
import { queryCollection } from './query-all.js';
import type { TaggedAction, TransactItem } from './transaction.js';

// ---------------------------------------------------------------------------------------------
// The group state document, as stored in the group item's `state` attribute.

export type AssignorName = 'uniform' | 'range';

/** topic -> partitions, ascending. Topics without partitions are omitted. */
export type TopicPartitionMap = Record<string, number[]>;

/** memberId -> its partitions. Every member of the input has an entry, possibly empty. */
export type GroupAssignment = Record<string, TopicPartitionMap>;

/** topic -> partition -> the member epoch from which the member has owned it without a break. */
export type OwnedPartitions = Record<string, Record<string, number>>;

export type MemberStatus = 'stable' | 'unrevoked' | 'unreleased';

export interface MemberState {
  memberId: string;
  instanceId?: string;
  clientId?: string;
  host?: string;
  /** Exactly one of subscribedTopics and topicPattern is set. */
  subscribedTopics?: string[];
  topicPattern?: string;
  /** The server assignor this member asked for, if any. */
  assignor?: AssignorName;
  memberEpoch: number;
  previousMemberEpoch: number;
  /** stable: owns its target; unrevoked: must release `revoking` first; unreleased: waits for partitions others still own. */
  status: MemberStatus;
  /** Partitions it owns and keeps. The heartbeat response returns exactly these. */
  assigned: OwnedPartitions;
  /** Partitions it must give up; still its own until a heartbeat no longer lists them. */
  revoking: OwnedPartitions;
  revokingSince?: number;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastHeartbeatAt: number;
  joinedAt: number;
  /** A static member that left with epoch -2: kept with its partitions until its session times out. */
  leftAt?: number;
  /** Changes whenever the member's epoch or owned partitions change: offset commits are conditional on it. */
  rev: number;
}

export interface TopicSnapshot {
  topicId: string;
  partitions: number;
}

export interface GroupState {
  groupId: string;
  groupEpoch: number;
  /** The group epoch the target assignment was computed at. */
  targetEpoch: number;
  target: GroupAssignment;
  /** The subscribed topics the target was computed from: a change bumps the group epoch. */
  topics: Record<string, TopicSnapshot>;
  assignor: AssignorName;
  members: Record<string, MemberState>;
  /** Source of member `rev` values: increases on every ownership change in the group. */
  revCounter: number;
  createdAt: number;
}

// ---------------------------------------------------------------------------------------------
// Items.

/** One transaction holds 100 actions; the first chunk of an admin write also carries the group and registry items. */
const TX_OFFSETS = 98;
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

export interface StoredGroup {
  state: GroupState;
  version: number;
  incarnation: string;
}

export interface StoredOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
  committedAt: number;
  memberId?: string;
  memberEpoch?: number;
}

/** True for the failures that mean "someone else wrote first": re-read and try again. */
export function isWriteConflict(err: unknown): boolean {
  if (err instanceof ConditionalCheckFailedException || err instanceof TransactionConflictException)
    return true;
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'ConditionalCheckFailedException' || e?.name === 'TransactionConflictException')
    return true;
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some(
      (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
    )
  );
}

function groupFromItem(item: Record<string, unknown>): StoredGroup {
  return {
    state: JSON.parse(String(item.state)) as GroupState,
    version: Number(item.version),
    incarnation: String(item.incarnation),
  };
}

function offsetFromItem(item: Record<string, unknown>): StoredOffset {
  return {
    topic: String(item.topic),
    partition: Number(item.partition),
    offset: Number(item.offset),
    ...(typeof item.metadata === 'string' ? { metadata: item.metadata } : {}),
    committedAt: Number(item.committedAt),
    ...(item.memberId !== undefined ? { memberId: String(item.memberId) } : {}),
    ...(item.memberEpoch !== undefined ? { memberEpoch: Number(item.memberEpoch) } : {}),
  };
}

/** DynamoDB items hold 400 KB; the state JSON must leave room for the fence map and attribute names. */
export const MAX_GROUP_STATE_BYTES = 300 * 1024;

function serializeState(state: GroupState): string {
  return JSON.stringify(state);
}

/** The size of the state as stored: callers check it against MAX_GROUP_STATE_BYTES before writing. */
export function stateBytes(state: GroupState): number {
  return Buffer.byteLength(serializeState(state));
}

export class GroupStore {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  async get(groupId: string): Promise<StoredGroup | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: metaKeys.group(groupId), ConsistentRead: true }),
    );
    return res.Item ? groupFromItem(res.Item) : undefined;
  }

  /** The group and its offsets (of its current incarnation) in one Query. */
  async load(groupId: string): Promise<{ group?: StoredGroup; offsets: StoredOffset[] }> {
    const items = await this.queryAll(metaKeys.groupPk(groupId));
    const groupItem = items.find((i) => i.sk === metaKeys.group(groupId).sk);
    const group = groupItem ? groupFromItem(groupItem) : undefined;
    const offsets = items
      .filter(
        (i) => String(i.sk).startsWith(metaKeys.groupOffsetPrefix) && i.incarnation === group?.incarnation,
      )
      .map(offsetFromItem);
    return { ...(group ? { group } : {}), offsets };
  }

  async listGroupIds(): Promise<string[]> {
    return (await this.queryAll(metaKeys.groupsPk)).map((i) => String(i.sk));
  }

  async getMany(groupIds: string[]): Promise<Map<string, StoredGroup>> {
    const out = new Map<string, StoredGroup>();
    for (let i = 0; i < groupIds.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] | undefined = groupIds
        .slice(i, i + BATCH_GET_LIMIT)
        .map(metaKeys.group);
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        const res: BatchGetCommandOutput = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of res.Responses?.[this.table] ?? []) {
          out.set(String(item.pk).slice('group#'.length), groupFromItem(item));
        }
        keys = res.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return out;
  }

  private groupItem(groupId: string, state: GroupState, version: number, incarnation: string, now: number) {
    const fence: Record<string, number> = {};
    for (const m of Object.values(state.members)) fence[m.memberId] = m.rev;
    return {
      ...metaKeys.group(groupId),
      version,
      incarnation,
      state: serializeState(state),
      fence,
      memberCount: Object.keys(fence).length,
      updatedAt: now,
    };
  }

  /** The actions that write `state` over `prev` (or create the group): the group item, and the registry on creation. */
  private saveActions(
    groupId: string,
    state: GroupState,
    prev: StoredGroup | undefined,
    now: number,
  ): { next: StoredGroup; actions: TransactItem[] } {
    if (prev) {
      const item = this.groupItem(groupId, state, prev.version + 1, prev.incarnation, now);
      return {
        next: { state, version: prev.version + 1, incarnation: prev.incarnation },
        actions: [
          {
            Put: {
              TableName: this.table,
              Item: item,
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': prev.version },
            },
          },
        ],
      };
    }
    const incarnation = randomUUID();
    return {
      next: { state, version: 1, incarnation },
      actions: [
        {
          Put: {
            TableName: this.table,
            Item: this.groupItem(groupId, state, 1, incarnation, now),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: { ...metaKeys.groupRegistry(groupId), incarnation, createdAt: now },
          },
        },
      ],
    };
  }

  /** Writes the new state if the stored version is still `prev`'s (or, with no `prev`, if the group does not exist). */
  async save(
    groupId: string,
    state: GroupState,
    prev: StoredGroup | undefined,
    now: number,
  ): Promise<StoredGroup | false> {
    const { next, actions } = this.saveActions(groupId, state, prev, now);
    try {
      // An update of an existing group is one item: a plain conditional put, cheaper than a transaction.
      const [only] = actions;
      if (actions.length === 1 && only?.Put) await this.doc.send(new PutCommand(only.Put));
      else await this.doc.send(new TransactWriteCommand({ TransactItems: actions }));
      return next;
    } catch (err) {
      if (isWriteConflict(err)) return false;
      throw err;
    }
  }

  /**
   * A member's offset commit: each chunk is one transaction whose ConditionCheck requires the group
   * incarnation and the member's rev to be unchanged (so the member still owns what it commits).
   * Returns how many offsets were written: fewer than given when the member changed meanwhile (the
   * caller re-validates the rest); earlier chunks stay committed, as Kafka's per-partition commits do.
   */
  async commitAsMember(
    groupId: string,
    group: StoredGroup,
    memberId: string,
    rev: number,
    offsets: StoredOffset[],
  ): Promise<number> {
    for (let i = 0; i < offsets.length; i += TX_OFFSETS) {
      const chunk = offsets.slice(i, i + TX_OFFSETS);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: this.memberCommitActions(groupId, group, memberId, rev, chunk).map((a) => a.item),
          }),
        );
      } catch (err) {
        if (isWriteConflict(err)) return i;
        throw err;
      }
    }
    return offsets.length;
  }

  /**
   * A member's offset commit as transaction actions, all with role 'group': a check that the
   * member is still who it was when validated (its fence revision), then one put per offset. Only
   * the check has a condition, so a cancellation of role 'group' means "validate again". Produce
   * commits these with the records it writes (exactly-once pipelines).
   */
  memberCommitActions(
    groupId: string,
    group: StoredGroup,
    memberId: string,
    rev: number,
    offsets: StoredOffset[],
  ): TaggedAction[] {
    const check: TransactItem = {
      ConditionCheck: {
        TableName: this.table,
        Key: metaKeys.group(groupId),
        ConditionExpression: 'incarnation = :inc AND fence.#m = :rev',
        ExpressionAttributeNames: { '#m': memberId },
        ExpressionAttributeValues: { ':inc': group.incarnation, ':rev': rev },
      },
    };
    return [check, ...offsets.map((o) => this.offsetPut(groupId, group.incarnation, o))].map((item) => ({
      role: 'group',
      item,
    }));
  }

  /**
   * An admin write (reset / set offsets): the new group state (members expired, version bumped, or
   * the group created) goes with the first chunk of offsets; later chunks check that version.
   */
  async commitAsAdmin(
    groupId: string,
    state: GroupState,
    prev: StoredGroup | undefined,
    offsets: StoredOffset[],
    now: number,
  ): Promise<StoredGroup | false> {
    const { next, actions } = this.saveActions(groupId, state, prev, now);
    const first = offsets.slice(0, TX_OFFSETS);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [...actions, ...first.map((o) => this.offsetPut(groupId, next.incarnation, o))],
        }),
      );
    } catch (err) {
      if (isWriteConflict(err)) return false;
      throw err;
    }
    for (let i = TX_OFFSETS; i < offsets.length; i += TX_OFFSETS) {
      await this.sendLaterChunk(groupId, i, () =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: metaKeys.group(groupId),
                  ConditionExpression: 'version = :v',
                  ExpressionAttributeValues: { ':v': next.version },
                },
              },
              ...offsets.slice(i, i + TX_OFFSETS).map((o) => this.offsetPut(groupId, next.incarnation, o)),
            ],
          }),
        ),
      );
    }
    return next;
  }

  private async sendLaterChunk(
    groupId: string,
    written: number,
    send: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await send();
    } catch (err) {
      if (!isWriteConflict(err)) throw err;
      throw new CoordinatorNotAvailableError(
        `group ${groupId} changed during the offset write: only the first ${written} partitions were written; retry`,
        { cause: err },
      );
    }
  }

  private offsetPut(groupId: string, incarnation: string, o: StoredOffset): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: {
          ...metaKeys.groupOffset(groupId, o.topic, o.partition),
          incarnation,
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          metadata: o.metadata,
          committedAt: o.committedAt,
          memberId: o.memberId,
          memberEpoch: o.memberEpoch,
        },
      },
    };
  }

  /**
   * OffsetDelete: removes these partitions' committed offsets, on condition that the group item is
   * still at `group.version` and the classic item at `classicVersion` (absent if undefined): a
   * member that joined or changed its subscription since the caller's checks makes this false.
   * Chunks after the first (98 offsets each) check the same versions.
   */
  async deleteOffsets(
    groupId: string,
    group: StoredGroup,
    classicVersion: number | undefined,
    partitions: { topic: string; partition: number }[],
  ): Promise<boolean> {
    const checks: TransactItem[] = [
      {
        ConditionCheck: {
          TableName: this.table,
          Key: metaKeys.group(groupId),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': group.version },
        },
      },
      {
        ConditionCheck: {
          TableName: this.table,
          Key: { pk: metaKeys.groupPk(groupId), sk: 'classic' },
          ...(classicVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': classicVersion } }),
        },
      },
    ];
    for (let i = 0; i < Math.max(1, partitions.length); i += TX_OFFSETS) {
      const deletes: TransactItem[] = partitions.slice(i, i + TX_OFFSETS).map((p) => ({
        Delete: { TableName: this.table, Key: metaKeys.groupOffset(groupId, p.topic, p.partition) },
      }));
      const send = () => this.doc.send(new TransactWriteCommand({ TransactItems: [...checks, ...deletes] }));
      if (i > 0) {
        await this.sendLaterChunk(groupId, i, send);
        continue;
      }
      try {
        await send();
      } catch (err) {
        if (isWriteConflict(err)) return false;
        throw err;
      }
    }
    return true;
  }

  /** Deletes the group item (if still at `group.version`) and its registry entry; then its offsets. */
  async delete(groupId: string, group: StoredGroup): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: metaKeys.group(groupId),
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': group.version },
              },
            },
            { Delete: { TableName: this.table, Key: metaKeys.groupRegistry(groupId) } },
          ],
        }),
      );
    } catch (err) {
      if (isWriteConflict(err)) return false;
      throw err;
    }
    // The group is gone; its offsets are unreachable (a new group gets a new incarnation). Remove
    // them now; if this process dies first they stay invisible and the next commit overwrites them.
    const leftovers = (await this.queryAll(metaKeys.groupPk(groupId))).filter(
      (i) => String(i.sk).startsWith(metaKeys.groupOffsetPrefix) && i.incarnation === group.incarnation,
    );
    await this.batchDelete(leftovers.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })));
    return true;
  }

  private async batchDelete(keys: { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
      let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined = keys
        .slice(i, i + BATCH_WRITE_LIMIT)
        .map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests && requests.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        const res: BatchWriteCommandOutput = await this.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: requests } }),
        );
        requests = res.UnprocessedItems?.[this.table];
      }
    }
  }

  private queryAll(pk: string): Promise<Record<string, unknown>[]> {
    return queryCollection(this.doc, this.table, pk);
  }
}
