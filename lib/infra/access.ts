/**
 * Which function may do what: the access table, and its translation into each function role's
 * IAM statements. Least privilege: the actions its code paths send (test/infra/template.test.ts
 * replays every route against this and fails on a missing or unused permission), on the items it
 * owns (LeadingKeys on the meta table's partition key, from lib/contract/storage-layout.ts).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { META_PK, META_PK_PREFIX, SEGMENT_PREFIX } from '../contract/storage-layout.js';
import type { StrataFunctionName } from './bundling.js';

/** DynamoDB data-plane actions and the partition-key prefixes (LeadingKeys) a function may use. */
interface TableAccess {
  actions: readonly string[];
  /** Partition key patterns (IAM StringLike) the function's items live under. */
  leadingKeys?: readonly string[];
}

export interface FunctionAccess {
  meta?: TableAccess;
  index?: TableAccess;
  /** Object-level S3 actions on `segments/*`. */
  segments?: readonly string[];
  /** s3:ListBucket, limited to the `segments/` prefix (storage GC finds objects that never got committed). */
  listSegments?: boolean;
}

/** `head#` -> `head#*`: the IAM pattern for every item of one per-entity kind. */
const every = (prefix: string) => `${prefix}*`;

const pk = {
  topics: META_PK.topics,
  heads: every(META_PK_PREFIX.head),
  segments: every(META_PK_PREFIX.segment),
  orphans: META_PK.orphans,
  deletedTopics: META_PK.deletedTopics,
  groups: META_PK.groups,
  group: every(META_PK_PREFIX.group),
  producer: every(META_PK_PREFIX.producer),
  transactionalId: every(META_PK_PREFIX.transactionalId),
  producerState: every(META_PK_PREFIX.producerState),
  gcCandidates: META_PK.gcCandidates,
  users: META_PK.users,
  user: every(META_PK_PREFIX.user),
} as const;

/** What each function may do, and nothing more. */
export const FUNCTION_ACCESS: Record<StrataFunctionName, FunctionAccess> = {
  health: {},
  topics: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
      ],
      // SASL users (the users routes): their keys (user#<name>) and the registry that lists them.
      leadingKeys: [pk.topics, pk.heads, pk.deletedTopics, pk.users, pk.user],
    },
    // DeleteRecords finds the first batch it keeps.
    index: { actions: ['dynamodb:Query'] },
  },
  produce: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ],
      // Idempotent producers: ids, transactional ids, per-partition sequence state. Exactly-once
      // consume-transform-produce: the group's offsets (group#<id>) commit in the same transaction.
      leadingKeys: [
        pk.topics,
        pk.heads,
        pk.segments,
        pk.orphans,
        pk.producer,
        pk.transactionalId,
        pk.producerState,
        pk.group,
      ],
    },
    index: { actions: ['dynamodb:PutItem'] },
    segments: ['s3:PutObject'],
  },
  fetch: {
    meta: { actions: ['dynamodb:GetItem'], leadingKeys: [pk.topics, pk.heads] },
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
  groups: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:Query',
        'dynamodb:BatchWriteItem',
      ],
      leadingKeys: [pk.groups, pk.group, pk.topics, pk.heads],
    },
    // Resetting a group's offsets to a timestamp reads the index and the batches it points at.
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
  // Retention (trims heads, removes index entries), compaction (reads small batches, writes one
  // object and its index entries), storage GC (deletes dereferenced, orphaned and never-committed
  // objects, which takes a LIST of segments/), and the backlog survey.
  maintenance: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      leadingKeys: [pk.topics, pk.heads, pk.segments, pk.orphans, pk.deletedTopics, pk.gcCandidates],
    },
    index: { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] },
    segments: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    listSegments: true,
  },
  tail: {
    meta: { actions: ['dynamodb:GetItem'], leadingKeys: [pk.topics, pk.heads] },
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
};

/** The stores a function's grants name. */
export interface StrataStores {
  readonly metaTable: dynamodb.ITable;
  readonly indexTable: dynamodb.ITable;
  readonly bucket: s3.Bucket;
  readonly encryptionKey?: kms.IKey | undefined;
}

/** Adds the statements of one function's access to its role. */
export function grantFunctionAccess(role: iam.Role, access: FunctionAccess, stores: StrataStores): void {
  const tables = [
    [stores.metaTable, access.meta],
    [stores.indexTable, access.index],
  ] as const;
  for (const [table, tableAccess] of tables) {
    if (!tableAccess) continue;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...tableAccess.actions],
        // The table only: Strata has no secondary indexes, so no `table/index/*`.
        resources: [table.tableArn],
        ...(tableAccess.leadingKeys
          ? {
              conditions: {
                'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...tableAccess.leadingKeys] },
              },
            }
          : {}),
      }),
    );
  }
  const { bucket } = stores;
  if (access.segments) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...access.segments],
        resources: [bucket.arnForObjects(`${SEGMENT_PREFIX}*`)],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${SEGMENT_PREFIX}*]`,
      reason:
        'Object actions need object ARNs; segment keys are random UUIDs, so the grant is the segments/ prefix of this one bucket.',
    });
  }
  if (access.listSegments) {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${SEGMENT_PREFIX}*`] } },
      }),
    );
  }
  if (stores.encryptionKey) {
    // Explicit actions rather than grantEncryptDecrypt's wildcards (kms:ReEncrypt*, kms:GenerateDataKey*).
    const actions = ['kms:Decrypt', 'kms:DescribeKey'];
    if (access.segments?.includes('s3:PutObject') || access.meta || access.index) {
      actions.push('kms:Encrypt', 'kms:GenerateDataKey');
    }
    role.addToPolicy(new iam.PolicyStatement({ actions, resources: [stores.encryptionKey.keyArn] }));
  }
}
