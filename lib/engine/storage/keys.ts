/**
 * Every item key in the two DynamoDB tables, in one place. Partition heads and index entries are
 * keyed by the topic's id (a UUID minted at creation), not its name, so that deleting a topic makes
 * its data unreachable at once and a re-created topic of the same name starts empty. The
 * partition-key values come from lib/contract/storage-layout.ts, which the IAM grants share.
 */
import { META_PK, META_PK_PREFIX } from '../../contract/storage-layout.js';

export const metaKeys = {
  /** All topics share one item collection so that listing them is one Query. */
  topic: (name: string) => ({ pk: META_PK.topics, sk: name }),
  topicsPk: META_PK.topics,
  /** One head per partition, each its own partition key so hot partitions do not share a key. */
  head: (topicId: string, partition: number) => ({
    pk: `${META_PK_PREFIX.head}${topicId}#${partition}`,
    sk: 'head',
  }),
  /** Written in the commit transaction: proves the object is referenced (storage GC reads it). */
  /**
   * Compaction by key's progress in a partition: offsets below `cleanedUpTo` were cleaned by a
   * completed pass. Beside the head (same partition key), never in it: produce writes the head.
   */
  cleaned: (topicId: string, partition: number) => ({
    pk: `${META_PK_PREFIX.head}${topicId}#${partition}`,
    sk: 'cleaned',
  }),
  segment: (objectKey: string) => ({ pk: `${META_PK_PREFIX.segment}${objectKey}`, sk: 'segment' }),
  /** Objects whose commit is known to have failed; storage cleanup deletes them after a grace period. */
  orphan: (objectKey: string) => ({ pk: META_PK.orphans, sk: objectKey }),
  orphansPk: META_PK.orphans,
  /** Topics deleted by the admin API, so that storage cleanup can remove their heads, index and objects. */
  deletedTopic: (topicId: string) => ({ pk: META_PK.deletedTopics, sk: topicId }),
  deletedTopicsPk: META_PK.deletedTopics,
  /** A consumer group: its whole state in one item, updated with optimistic concurrency (lib/engine/groups). */
  group: (groupId: string) => ({ pk: `${META_PK_PREFIX.group}${groupId}`, sk: 'group' }),
  /** Committed offsets share the group's item collection, so describe is one Query. */
  groupOffset: (groupId: string, topic: string, partition: number) => ({
    pk: `${META_PK_PREFIX.group}${groupId}`,
    sk: `offset#${topic}#${partition}`,
  }),
  groupPk: (groupId: string) => `${META_PK_PREFIX.group}${groupId}`,
  groupOffsetPrefix: 'offset#',
  /** Registry of group ids, written with the group's creation and deletion, so listing is one Query. */
  groupRegistry: (groupId: string) => ({ pk: META_PK.groups, sk: groupId }),
  groupsPk: META_PK.groups,
  /** One ACL binding; all of them share one item collection, loaded whole by each process. */
  acl: (bindingKey: string) => ({ pk: META_PK.acls, sk: bindingKey }),
  aclsPk: META_PK.acls,
  /** A SASL user's credentials. */
  user: (name: string) => ({ pk: `${META_PK_PREFIX.user}${name}`, sk: 'user' }),
  /** Registry of user names and their mechanisms (never keys), written with the user's item. */
  userRegistry: (name: string) => ({ pk: META_PK.users, sk: name }),
  usersPk: META_PK.users,
  /** An idempotent producer: its current epoch. */
  producer: (producerId: string) => ({ pk: `${META_PK_PREFIX.producer}${producerId}`, sk: 'producer' }),
  /** Maps a transactionalId to its producer id, so re-initialising bumps the epoch. */
  transactionalId: (transactionalId: string) => ({
    pk: `${META_PK_PREFIX.transactionalId}${transactionalId}`,
    sk: 'txnid',
  }),
  /** Per producer and partition: the epoch, the next sequence, and the last 5 batches' sequence ranges. */
  producerPartition: (producerId: string, topicId: string, partition: number) => ({
    pk: `${META_PK_PREFIX.producerState}${producerId}`,
    sk: `${topicId}#${partition}`,
  }),
  /** Objects that lost an index reference; storage GC deletes those at 0 after the grace period. */
  gcCandidate: (objectKey: string) => ({ pk: META_PK.gcCandidates, sk: objectKey }),
  gcCandidatesPk: META_PK.gcCandidates,
} as const;

export const indexKeys = {
  partition: (topicId: string, partition: number) => `${topicId}#${partition}`,
} as const;
