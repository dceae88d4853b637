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
  acls: META_PK.acls,
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
      // acls: every route reads the ACLs when authorization is on; the ACL routes write them.
      // DeleteRecords takes the removed index entries' references off their objects' segment
      // records and queues those objects for storage GC, in the transaction that removes them.
      // SASL users (the users routes): their keys (user#<name>) and the registry that lists them.
      leadingKeys: [
        pk.topics,
        pk.heads,
        pk.deletedTopics,
        pk.acls,
        pk.segments,
        pk.gcCandidates,
        pk.users,
        pk.user,
      ],
    },
    // DeleteRecords finds the first batch it keeps and removes the entries wholly below it.
    index: { actions: ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  },
  produce: {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:Query',
      ],
      // Authorization reads the ACLs (acls), and InitProducerId may look for a topic it may WRITE to.
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
        pk.acls,
      ],
    },
    index: { actions: ['dynamodb:PutItem'] },
    segments: ['s3:PutObject'],
  },
  // fetch and tail: authorization reads the ACLs (one Query of acls).
  fetch: {
    meta: { actions: ['dynamodb:GetItem', 'dynamodb:Query'], leadingKeys: [pk.topics, pk.heads, pk.acls] },
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
      leadingKeys: [pk.groups, pk.group, pk.topics, pk.heads, pk.acls],
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
    meta: { actions: ['dynamodb:GetItem', 'dynamodb:Query'], leadingKeys: [pk.topics, pk.heads, pk.acls] },
    index: { actions: ['dynamodb:Query'] },
    segments: ['s3:GetObject'],
  },
};

/**
 * The Kafka gateway's task role: the union of the functions whose work it does over the Kafka
 * protocol (topics, produce, fetch, groups: Produce, Fetch, ListOffsets, the group APIs, topic
 * admin, InitProducerId), plus what only it does: read the ACL bindings (`acls`, one Query;
 * CreateAcls/DeleteAcls write them) and the SASL users' credentials (`user#<name>`: SCRAM lookup,
 * AlterUserScramCredentials). Not maintenance's: no segment GC, no LIST of the bucket.
 */
export const GATEWAY_ACCESS: FunctionAccess = unionAccess(
  [FUNCTION_ACCESS.topics, FUNCTION_ACCESS.produce, FUNCTION_ACCESS.fetch, FUNCTION_ACCESS.groups],
  {
    meta: {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      leadingKeys: [pk.acls, pk.user, pk.users],
    },
  },
);

/** Who gets a role from this table: each function, and the Kafka gateway's tasks. */
export const ACCESS: Record<StrataFunctionName | 'gateway', FunctionAccess> = {
  ...FUNCTION_ACCESS,
  gateway: GATEWAY_ACCESS,
};

/** Every action and leading key of any of `parts`, sorted, each once. */
function unionAccess(parts: readonly FunctionAccess[], extra: FunctionAccess): FunctionAccess {
  const all = [...parts, extra];
  const merged = (pick: (a: FunctionAccess) => readonly string[] | undefined) => {
    const values = new Set(all.flatMap((a) => pick(a) ?? []));
    return values.size ? [...values].sort() : undefined;
  };
  const table = (which: 'meta' | 'index'): TableAccess | undefined => {
    const actions = merged((a) => a[which]?.actions);
    if (!actions) return undefined;
    const leadingKeys = merged((a) => a[which]?.leadingKeys);
    // A part without LeadingKeys on this table would make the union unconditional.
    if (leadingKeys && all.some((a) => a[which] && !a[which]?.leadingKeys)) {
      throw new Error(`unionAccess: ${which} mixes scoped and unscoped grants`);
    }
    return leadingKeys ? { actions, leadingKeys } : { actions };
  };
  const meta = table('meta');
  const index = table('index');
  const segments = merged((a) => a.segments);
  const listSegments = all.some((a) => a.listSegments);
  return {
    ...(meta ? { meta } : {}),
    ...(index ? { index } : {}),
    ...(segments ? { segments } : {}),
    ...(listSegments ? { listSegments } : {}),
  };
}

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
