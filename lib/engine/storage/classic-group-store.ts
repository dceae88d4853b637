/**
 * Classic (JoinGroup/SyncGroup) groups in the meta table, next to the KIP-848 group item:
 *  - `group#<id>` / `classic`: the whole classic state (JSON) with `version` (optimistic
 *    concurrency), `incarnation` (the group item's, which offsets carry) and `fence` (memberId ->
 *    generation: offset commits are conditional on the member's entry only).
 * A write that adds a member also bumps the KIP-848 group item's version (creating it, empty, if
 * needed) in the same transaction, so that a KIP-848 join, a simple commit or a delete that read
 * the group without classic members loses its conditional write and reads again (docs/groups.md).
 *
 * The state document is declared here; what it means, and every change to it, is
 * lib/engine/groups/classic.ts. Waiting handlers of this process are woken on every write.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { GroupMaxSizeReachedError } from '../errors.js';
import {
  type GroupState,
  isWriteConflict,
  MAX_GROUP_STATE_BYTES,
  type StoredGroup,
  type StoredOffset,
} from './group-store.js';
import { metaKeys } from './keys.js';
import type { TransactItem } from './transaction.js';

export type ClassicGroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface ClassicProtocol {
  name: string;
  /** base64 of the opaque bytes. */
  metadata: string;
}

export interface ClassicMember {
  memberId: string;
  instanceId?: string;
  clientId: string;
  host: string;
  protocolType: string;
  protocols: ClassicProtocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The last JoinGroup, SyncGroup or Heartbeat: the session runs from here. */
  lastSeenAt: number;
  /** It has (re)joined in the rebalance under way. */
  joined: boolean;
  joinedAt: number;
}

export interface ClassicGroupState {
  groupId: string;
  state: ClassicGroupStateName;
  generation: number;
  protocolType?: string;
  protocolName?: string;
  leaderId?: string;
  members: Record<string, ClassicMember>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, until they expire. */
  pending: Record<string, number>;
  /** PreparingRebalance: completes at the latest then. */
  rebalanceDeadline?: number;
  rebalanceStartedAt?: number;
  /** PreparingRebalance of a new group: does not complete before then (group.initial.rebalance.delay.ms). */
  initialDelayUntil?: number;
  /** CompletingRebalance: the leader's assignment is expected by then. */
  syncDeadline?: number;
  /** Stable: memberId -> base64 of its assignment, for the current generation. */
  assignments?: Record<string, string>;
  createdAt: number;
}

export interface StoredClassicGroup {
  state: ClassicGroupState;
  version: number;
  incarnation: string;
}

function fromItem(item: Record<string, unknown>): StoredClassicGroup {
  return {
    state: JSON.parse(String(item.state)) as ClassicGroupState,
    version: Number(item.version),
    incarnation: String(item.incarnation),
  };
}

type Waiter = () => void;

export class ClassicGroupStore {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  private key(groupId: string) {
    return { pk: metaKeys.groupPk(groupId), sk: 'classic' };
  }

  async get(groupId: string): Promise<StoredClassicGroup | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: this.key(groupId), ConsistentRead: true }),
    );
    return res.Item ? fromItem(res.Item) : undefined;
  }

  /**
   * Writes `state` if the stored version is still `prev`'s (or, with no `prev`, if there is no
   * classic item). With `guard`, the KIP-848 group item is bumped (or created from `guard.empty`)
   * in the same transaction, on condition that it is still what was read. False on a lost race.
   */
  async save(
    groupId: string,
    state: ClassicGroupState,
    prev: StoredClassicGroup | undefined,
    now: number,
    incarnation: string,
    guard?: { group: StoredGroup | undefined; empty: GroupState; registryIncarnation: string },
  ): Promise<StoredClassicGroup | false> {
    const json = JSON.stringify(state);
    if (Buffer.byteLength(json) > MAX_GROUP_STATE_BYTES) {
      throw new GroupMaxSizeReachedError(
        `classic group ${groupId} would need ${Buffer.byteLength(json)} bytes of state, over the ${MAX_GROUP_STATE_BYTES} limit`,
      );
    }
    const version = (prev?.version ?? 0) + 1;
    const fence: Record<string, number> = {};
    for (const m of Object.values(state.members)) fence[m.memberId] = state.generation;
    const put: NonNullable<TransactItem['Put']> = {
      TableName: this.table,
      Item: {
        ...this.key(groupId),
        version,
        incarnation,
        state: json,
        fence,
        memberCount: Object.keys(fence).length,
        updatedAt: now,
      },
      ...(prev
        ? { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': prev.version } }
        : { ConditionExpression: 'attribute_not_exists(pk)' }),
    };
    try {
      if (!guard) await this.doc.send(new PutCommand(put));
      else
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: put }, ...this.guardActions(groupId, guard, now)],
          }),
        );
    } catch (err) {
      if (isWriteConflict(err)) return false;
      throw err;
    }
    this.wake(groupId);
    return { state, version, incarnation };
  }

  private guardActions(
    groupId: string,
    guard: { group: StoredGroup | undefined; empty: GroupState; registryIncarnation: string },
    now: number,
  ): TransactItem[] {
    if (guard.group) {
      return [
        {
          Update: {
            TableName: this.table,
            Key: metaKeys.group(groupId),
            UpdateExpression: 'SET version = version + :one, updatedAt = :now',
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':one': 1, ':v': guard.group.version, ':now': now },
          },
        },
      ];
    }
    const incarnation = guard.registryIncarnation;
    return [
      {
        Put: {
          TableName: this.table,
          Item: {
            ...metaKeys.group(groupId),
            version: 1,
            incarnation,
            state: JSON.stringify(guard.empty),
            fence: {},
            memberCount: 0,
            updatedAt: now,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...metaKeys.groupRegistry(groupId), incarnation, createdAt: now },
        },
      },
    ];
  }

  /**
   * A classic member's offset commit: one transaction per chunk of 98, conditional on the member
   * still being in the group at `generation` (its fence entry) and on the incarnation.
   */
  async commitAsMember(
    groupId: string,
    group: StoredClassicGroup,
    memberId: string,
    generation: number,
    offsets: StoredOffset[],
  ): Promise<number> {
    for (let i = 0; i < offsets.length; i += 98) {
      const chunk = offsets.slice(i, i + 98);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: this.key(groupId),
                  ConditionExpression: 'incarnation = :inc AND fence.#m = :gen',
                  ExpressionAttributeNames: { '#m': memberId },
                  ExpressionAttributeValues: { ':inc': group.incarnation, ':gen': generation },
                },
              },
              ...chunk.map(
                (o): TransactItem => ({
                  Put: {
                    TableName: this.table,
                    Item: {
                      ...metaKeys.groupOffset(groupId, o.topic, o.partition),
                      incarnation: group.incarnation,
                      topic: o.topic,
                      partition: o.partition,
                      offset: o.offset,
                      metadata: o.metadata,
                      committedAt: o.committedAt,
                      memberId: o.memberId,
                      memberEpoch: o.memberEpoch,
                    },
                  },
                }),
              ),
            ],
          }),
        );
      } catch (err) {
        if (isWriteConflict(err)) return i;
        throw err;
      }
    }
    return offsets.length;
  }

  /** Resolves when this process writes the group, or after `ms`. */
  waitForChange(groupId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(groupId);
      if (!set) {
        set = new Set();
        this.waiters.set(groupId, set);
      }
      const wake = () => {
        clearTimeout(timer);
        const s = this.waiters.get(groupId);
        s?.delete(wake);
        if (s && s.size === 0) this.waiters.delete(groupId);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      set.add(wake);
    });
  }

  private wake(groupId: string): void {
    const set = this.waiters.get(groupId);
    if (!set) return;
    for (const w of [...set]) w();
  }
}
