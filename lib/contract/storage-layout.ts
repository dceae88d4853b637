/**
 * Where Strata's items and objects live, as far as anyone outside the engine must know: the
 * partition keys of the metadata table's item collections, and the bucket prefix of the segment
 * objects. lib/engine/storage/keys.ts builds every key from these; the CDK construct
 * (lib/infra/access.ts) scopes each function's IAM grants with them (dynamodb:LeadingKeys,
 * object ARNs), so a key renamed here is renamed in both. Plain constants, browser-safe.
 */

/** Item collections with a fixed partition key: one key holds every item of that kind. */
export const META_PK = {
  /** Every topic, so that listing them is one Query. */
  topics: 'topics',
  /** Objects whose commit is known to have failed (DynamoDB items; storage cleanup deletes the objects). */
  orphans: 'orphans',
  /** Topics deleted by the admin API, awaiting the removal of their heads, index and objects. */
  deletedTopics: 'deleted-topics',
  /** The registry of group ids. */
  groups: 'groups',
  /** Objects that lost an index reference. */
  gcCandidates: 'gc-candidates',
  /** Every ACL binding (one item each), so that a process loads them all with one Query. */
  acls: 'acls',
  /** The registry of SASL users (name and mechanisms, no keys), so that listing them is one Query. */
  users: 'users',
} as const;

/** Items keyed per entity: the partition key is the prefix followed by the entity's id. */
export const META_PK_PREFIX = {
  /** `head#<topicId>#<partition>`: one partition head. */
  head: 'head#',
  /** `segment#<objectKey>`: proof that an object was committed. */
  segment: 'segment#',
  /** `group#<groupId>`: a consumer group and its committed offsets. */
  group: 'group#',
  /** `producer#<producerId>`: an idempotent producer's epoch. */
  producer: 'producer#',
  /** `txnid#<transactionalId>`: the producer id of a transactional id. */
  transactionalId: 'txnid#',
  /** `pstate#<producerId>`: a producer's sequence state, one item per partition. */
  producerState: 'pstate#',
  /** `user#<name>`: a SASL user's credentials (salted SCRAM keys, a PLAIN hash; never a password). */
  user: 'user#',
} as const;

/** Every segment object's key starts with this (S3). */
export const SEGMENT_PREFIX = 'segments/';
