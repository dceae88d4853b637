/**
 * Every request and response of the HTTP API as a zod schema. The handlers (functions/) parse
 * requests with them; the client's wire types (lib/client/api.ts) are inferred from them; docs/api.md
 * is checked against them (test/unit/api-doc.test.ts). Wire conventions: offsets are decimal
 * strings (numbers are accepted in requests), partitions are numbers, bytes are UTF-8 or base64.
 */
import * as z from 'zod/mini';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES } from './acl.js';
import { LIMITS } from './limits.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.int().check(z.gte(min), z.lte(max));
const digits = (re: RegExp, message: string) => z.string().check(z.regex(re, message));

/** An offset in a request: a decimal string (numbers are accepted too); the server checks it is a safe integer. */
export const offsetValue = z.union([
  z.int().check(z.gte(0)),
  digits(/^\d{1,16}$/, 'must be a non-negative integer'),
]);

/** An offset in a response: always a decimal string. */
const offsetString = z.string();

const encoding = z.enum(['utf8', 'base64']);

// --- Topics ----------------------------------------------------------------------------------

/** Kafka configs travel as strings; numbers are accepted too. Ranges are checked after parsing. */
const configValue = z.optional(z.union([z.number(), digits(/^-?\d+$/, 'must be an integer')]));

/** A DOUBLE config: a number, or a decimal string ("0.5", "1", "5e-1"). Ranges are checked after parsing. */
const doubleConfigValue = z.optional(
  z.union([z.number(), digits(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number')]),
);

/** `cleanup.policy`: Kafka's LIST of `delete` and `compact`, one or both, comma-separated. */
const cleanupPolicyValue = z.optional(
  digits(
    /^\s*(delete|compact)\s*(,\s*(delete|compact)\s*)?$/,
    'must be delete, compact, or both comma-separated (compact,delete)',
  ),
);

/** The `config` of a topic creation. */
export const topicConfigRequest = z.strictObject({
  'retention.ms': configValue,
  'retention.bytes': configValue,
  'cleanup.policy': cleanupPolicyValue,
  'max.message.bytes': configValue,
  'message.timestamp.type': z.optional(z.enum(['CreateTime', 'LogAppendTime'])),
  'delete.retention.ms': configValue,
  'min.compaction.lag.ms': configValue,
  'max.compaction.lag.ms': configValue,
  'min.cleanable.dirty.ratio': doubleConfigValue,
});

export const createTopicRequest = z.strictObject({
  name: z.string(),
  partitions: z.optional(z.int()),
  /** Checked against topicConfigRequest by the server, so that a bad config gets INVALID_CONFIG. */
  config: z.optional(z.record(z.string(), z.unknown())),
});

/** Kafka reports config values as strings. */
const wireTopicConfig = z.record(z.string(), z.string());

export const createTopicResponse = z.object({
  name: z.string(),
  partitions: z.int(),
  config: wireTopicConfig,
});

export const listTopicsResponse = z.object({
  topics: z.array(z.object({ name: z.string(), partitions: z.int() })),
});

export const describeTopicResponse = z.object({
  name: z.string(),
  config: wireTopicConfig,
  /** The configs set for this topic (Kafka's DYNAMIC_TOPIC_CONFIG); every other is at its default. */
  overrides: z.array(z.string()),
  partitions: z.array(
    z.object({
      partition: z.int(),
      /** The log start. */
      earliestOffset: offsetString,
      /** The high watermark: the next offset to be written. */
      latestOffset: offsetString,
    }),
  ),
});

/** A config value as a client may send it; the server validates it as at creation. */
const alterConfigValue = z.union([z.string(), z.number()]);

/**
 * A change of a topic's configs: `changes` applies each operation to the keys set now (Kafka's
 * IncrementalAlterConfigs); `replace` sets exactly these keys and returns every other key to its
 * default (Kafka's AlterConfigs, what KafkaJS's admin.alterConfigs sends). Exactly one of them.
 */
export const alterTopicConfigsRequest = z
  .strictObject({
    changes: z.optional(
      z.array(
        z.strictObject({
          name: z.string(),
          op: z.optional(z.enum(['set', 'delete', 'append', 'subtract'])),
          value: z.optional(z.nullable(alterConfigValue)),
        }),
      ),
    ),
    replace: z.optional(z.array(z.strictObject({ name: z.string(), value: alterConfigValue }))),
    validateOnly: z.optional(z.boolean()),
  })
  .check(
    z.refine((b) => (b.changes === undefined) !== (b.replace === undefined), {
      message: 'give exactly one of changes or replace',
    }),
  );

export const alterTopicConfigsResponse = z.object({ name: z.string(), config: wireTopicConfig });

export const addPartitionsRequest = z.strictObject({ count: z.int() });

export const addPartitionsResponse = z.object({ name: z.string(), partitions: z.int() });

export const deleteRecordsRequest = z.strictObject({
  partition: int(0),
  beforeOffset: z.union([digits(/^(-1|\d{1,16})$/, 'must be an offset or -1'), int(-1)]),
});

export const deleteRecordsResponse = z.object({ partition: z.int(), lowWatermark: offsetString });

// --- Produce ---------------------------------------------------------------------------------

const timestamp = z.union([int(0), digits(/^\d{1,16}$/, 'must be epoch milliseconds')]);

export const produceRecord = z.strictObject({
  key: z.optional(z.nullable(z.string())),
  value: z.optional(z.nullable(z.string())),
  headers: z.optional(z.record(z.string(), z.nullable(z.string()))),
  partition: z.optional(int(0)),
  timestamp: z.optional(timestamp),
});

export const produceRequest = z.strictObject({
  records: z.array(produceRecord).check(z.minLength(1, 'at least one record is required')),
  encoding: z.optional(encoding),
  compression: z.optional(z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])),
  /** Idempotent produce: see docs/api.md. */
  producer: z.optional(
    z.strictObject({
      producerId: digits(/^\d{1,16}$/, 'must be a producer id from POST /v1/producers'),
      producerEpoch: int(0, 32_767),
      sequences: z
        .array(z.strictObject({ partition: int(0), baseSequence: int(0, 2 ** 31 - 1) }))
        .check(z.minLength(1)),
    }),
  ),
  /** Exactly-once pipelines: a group's offset commit applied in the same transaction. */
  groupCommit: z.optional(
    z.strictObject({
      groupId: z.string().check(z.minLength(1)),
      memberId: z.string().check(z.minLength(1)),
      memberEpoch: z.int(),
      offsets: z
        .array(
          z.strictObject({
            topic: z.string(),
            partition: int(0),
            offset: offsetValue,
            metadata: z.optional(z.string()),
          }),
        )
        .check(z.minLength(1)),
    }),
  ),
});

/** One entry per record, in request order. */
export const produceResponse = z.object({
  offsets: z.array(z.object({ partition: z.int(), offset: offsetString })),
});

export const initProducerRequest = z.optional(z.strictObject({ transactionalId: z.optional(z.string()) }));

export const initProducerResponse = z.object({ producerId: z.string(), producerEpoch: z.int() });

// --- Fetch -----------------------------------------------------------------------------------

/** An integer query parameter within a range. */
const intParam = (min: number, max: number) =>
  z.string().check(
    z.regex(/^-?\d+$/, 'must be an integer'),
    z.refine((s) => Number(s) >= min && Number(s) <= max, `must be between ${min} and ${max}`),
  );

/** An offset query parameter: a decimal string that is a safe non-negative integer. */
const offsetParam = z.string().check(
  z.regex(/^\d{1,16}$/, 'must be a non-negative integer'),
  z.refine((s) => Number.isSafeInteger(Number(s)), 'must be a safe integer'),
);

/** Query parameters: unknown ones are ignored, and an empty one counts as absent (see queryParams). */
export const fetchRecordsQuery = z.object({
  offset: offsetParam,
  maxRecords: z.optional(intParam(1, LIMITS.maxFetchRecords)),
  maxBytes: z.optional(intParam(1, LIMITS.maxFetchBytes)),
  waitMs: z.optional(intParam(0, LIMITS.maxWaitMs)),
  encoding: z.optional(encoding),
});

export const wireRecord = z.object({
  offset: offsetString,
  timestamp: z.string(),
  key: z.nullable(z.string()),
  value: z.nullable(z.string()),
  headers: z.record(z.string(), z.nullable(z.string())),
});

export const fetchRecordsResponse = z.object({
  records: z.array(wireRecord),
  nextOffset: offsetString,
  highWatermark: offsetString,
  logStartOffset: offsetString,
});

// --- Record batches (the binary data path) ---------------------------------------------------

/** The binary produce's answer: offsets of the partition's batches, in request order. */
export const produceBatchesResponse = z.object({
  partition: z.int(),
  /** The first batch's base offset. */
  baseOffset: offsetString,
  /** The last record's offset. */
  lastOffset: offsetString,
  recordCount: z.int(),
  batches: z.array(z.object({ baseOffset: offsetString, lastOffset: offsetString, recordCount: z.int() })),
});

/** The binary fetch's query; the answer is RecordBatch bytes with the offsets in headers. */
export const fetchBatchesQuery = z.object({
  offset: offsetParam,
  maxBytes: z.optional(intParam(1, LIMITS.maxFetchBytes)),
  waitMs: z.optional(intParam(0, LIMITS.maxWaitMs)),
});

export const listOffsetsQuery = z.object({
  /** `earliest` (the log start), `latest` (the high watermark), or epoch ms. */
  at: z.optional(z.union([z.enum(['earliest', 'latest']), offsetParam])),
});

export const listOffsetsResponse = z.object({ offset: offsetString });

/** The live tail's query (a Function URL beside the API: functions/tail.ts). */
export const tailQuery = z.object({
  topic: z.string().check(z.minLength(1, 'topic is required')),
  partition: z.optional(intParam(0, LIMITS.maxPartitions - 1)),
  offset: z.optional(z.union([z.enum(['earliest', 'latest']), offsetParam])),
  encoding: z.optional(encoding),
  waitMs: z.optional(intParam(0, LIMITS.maxWaitMs)),
});

// --- Consumer groups -------------------------------------------------------------------------

const partitionNumber = z.int().check(z.gte(0), z.lte(999_999));
const topicName = z.string().check(z.minLength(1), z.maxLength(249));
const memberId = z.string().check(z.minLength(1), z.maxLength(255));
const epoch = (min: number) => z.int().check(z.gte(min), z.lte(2 ** 31 - 1));
const timeoutMs = z.optional(z.int().check(z.gte(100), z.lte(3_600_000)));

/** Topic and partitions, in requests. */
const topicPartitionsRequest = z.object({
  topic: topicName,
  partitions: z.array(partitionNumber).check(z.maxLength(100_000)),
});

/** Group bodies ignore unknown fields (z.object, not strictObject), as Kafka's coordinator does. */
export const heartbeatRequest = z.object({
  memberId: z.optional(memberId),
  memberEpoch: epoch(-2),
  topics: z.optional(z.array(topicName).check(z.maxLength(10_000))),
  topicPattern: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  instanceId: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  clientId: z.optional(z.string().check(z.maxLength(255))),
  ownedPartitions: z.optional(z.array(topicPartitionsRequest).check(z.maxLength(10_000))),
  sessionTimeoutMs: timeoutMs,
  rebalanceTimeoutMs: timeoutMs,
  assignor: z.optional(z.enum(['uniform', 'range'])),
});

export const topicPartitions = z.object({ topic: z.string(), partitions: z.array(z.int()) });

export const heartbeatResponse = z.object({
  memberId: z.string(),
  memberEpoch: z.int(),
  heartbeatIntervalMs: z.int(),
  /** Everything the member may own now. */
  assignment: z.array(topicPartitions),
});

export const commitOffsetsRequest = z.object({
  memberId,
  memberEpoch: epoch(0),
  offsets: z
    .array(
      z.object({
        topic: topicName,
        partition: partitionNumber,
        offset: offsetValue,
        metadata: z.optional(z.nullable(z.string())),
      }),
    )
    .check(z.minLength(1), z.maxLength(10_000)),
});

export const commitOffsetsResponse = z.object({
  offsets: z.array(z.object({ topic: z.string(), partition: z.int(), offset: offsetString })),
});

/** `?topic=a&topic=b` (API Gateway joins repeats with commas) or `?topics=a,b`. */
export const groupOffsetsQuery = z.object({
  topic: z.optional(z.string()),
  topics: z.optional(z.string()),
});

export const groupOffsetsResponse = z.object({
  offsets: z.array(
    z.object({
      topic: z.string(),
      partition: z.int(),
      offset: offsetString,
      metadata: z.optional(z.string()),
    }),
  ),
});

/** Reconciling: a KIP-848 group's; PreparingRebalance and CompletingRebalance: a classic group's. */
const groupState = z.enum(['Empty', 'Stable', 'Reconciling', 'PreparingRebalance', 'CompletingRebalance']);
/** 'consumer': a KIP-848 group; 'classic': a JoinGroup/SyncGroup group. */
const groupType = z.enum(['consumer', 'classic']);

export const listGroupsResponse = z.object({
  groups: z.array(
    z.object({
      groupId: z.string(),
      state: groupState,
      type: groupType,
      protocolType: z.string(),
      groupEpoch: z.int(),
      members: z.int(),
    }),
  ),
});

export const groupMember = z.object({
  memberId: z.string(),
  memberEpoch: z.int(),
  instanceId: z.optional(z.string()),
  clientId: z.optional(z.string()),
  host: z.optional(z.string()),
  status: z.enum(['stable', 'unrevoked', 'unreleased']),
  subscribedTopics: z.optional(z.array(z.string())),
  topicPattern: z.optional(z.string()),
  /** What the member owns now, including what it has yet to release (`revoking`). */
  assignment: z.array(topicPartitions),
  revoking: z.array(topicPartitions),
  targetAssignment: z.array(topicPartitions),
  lastHeartbeatAt: z.number(),
  /** A classic group's member: its JoinGroup metadata and SyncGroup assignment, base64. */
  classic: z.optional(z.object({ metadata: z.string(), assignment: z.string() })),
});

export const partitionLag = z.object({
  topic: z.string(),
  partition: z.int(),
  /** null: nothing committed ("-" in kafka-consumer-groups). */
  committedOffset: z.nullable(offsetString),
  /** null: the topic no longer exists. */
  logEndOffset: z.nullable(offsetString),
  lag: z.nullable(z.string()),
  /** The member that owns the partition now, or null. */
  memberId: z.nullable(z.string()),
  metadata: z.optional(z.string()),
});

export const describeGroupResponse = z.object({
  groupId: z.string(),
  state: groupState,
  type: groupType,
  /** 'consumer' for a KIP-848 group; a classic group's own ('' when Empty). */
  protocolType: z.string(),
  /** A KIP-848 group's assignor; a classic group's chosen protocol. */
  protocolName: z.string(),
  groupEpoch: z.int(),
  targetEpoch: z.int(),
  assignor: z.enum(['uniform', 'range']),
  members: z.array(groupMember),
  offsets: z.array(partitionLag),
});

export const resetOffsetsRequest = z.object({
  topic: topicName,
  to: z.enum(['earliest', 'latest', 'timestamp', 'offset']),
  value: z.optional(offsetValue),
  dryRun: z.optional(z.boolean()),
  partitions: z.optional(z.array(partitionNumber).check(z.maxLength(10_000))),
  offsets: z.optional(
    z.array(z.object({ partition: partitionNumber, offset: offsetValue })).check(z.maxLength(10_000)),
  ),
});

export const resetOffsetsResponse = z.object({
  dryRun: z.boolean(),
  offsets: z.array(
    z.object({
      topic: z.string(),
      partition: z.int(),
      /** null: nothing was committed before. */
      before: z.nullable(offsetString),
      after: offsetString,
    }),
  ),
});

// --- ACLs (Kafka's names: lib/contract/acl.ts) ------------------------------------------------

const keysOf = <T extends Record<string, number>>(table: T) =>
  Object.keys(table) as [Extract<keyof T, string>, ...Extract<keyof T, string>[]];
const aclResourceType = z.enum(keysOf(RESOURCE_TYPES));
const aclPatternType = z.enum(keysOf(PATTERN_TYPES));
const aclOperation = z.enum(keysOf(OPERATIONS));
const aclPermission = z.enum(keysOf(PERMISSIONS));

/** One ACL binding; `host` defaults to `*` and `patternType` to LITERAL, as kafka-acls does. */
export const aclBindingRequest = z.strictObject({
  principal: z.string().check(z.minLength(1), z.maxLength(1000)),
  host: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  resourceType: aclResourceType,
  resourceName: z.string().check(z.minLength(1), z.maxLength(1000)),
  patternType: z.optional(aclPatternType),
  operation: aclOperation,
  permission: aclPermission,
});

export const aclBinding = z.object({
  principal: z.string(),
  host: z.string(),
  resourceType: aclResourceType,
  resourceName: z.string(),
  patternType: aclPatternType,
  operation: aclOperation,
  permission: aclPermission,
});

/** `POST /v1/acls`: `{acls:[...]}` (a single binding, sent bare, is accepted too). */
export const createAclsRequest = z.strictObject({
  acls: z.array(aclBindingRequest).check(z.minLength(1), z.maxLength(1000)),
});
export const createAclsResponse = z.object({ acls: z.array(aclBinding) });

const aclFilterFields = {
  principal: z.optional(z.string()),
  host: z.optional(z.string()),
  operation: z.optional(z.enum([...keysOf(OPERATIONS), 'ANY'])),
  permission: z.optional(z.enum([...keysOf(PERMISSIONS), 'ANY'])),
  /** MATCH: every binding whose pattern matches `resourceName`; ANY: any pattern type. */
  patternType: z.optional(z.enum([...keysOf(PATTERN_TYPES), 'MATCH', 'ANY'])),
};

/** `GET /v1/acls`: every field narrows; none lists every binding. */
export const describeAclsQuery = z.object({
  ...aclFilterFields,
  resourceType: z.optional(z.enum([...keysOf(RESOURCE_TYPES), 'ANY'])),
  resourceName: z.optional(z.string()),
});
export const describeAclsResponse = z.object({ acls: z.array(aclBinding) });

/** `DELETE /v1/acls`: a resource is required, as kafka-acls --remove requires one. */
export const deleteAclsQuery = z.object({
  ...aclFilterFields,
  resourceType: z.enum(keysOf(RESOURCE_TYPES)),
  resourceName: z.string().check(z.minLength(1)),
});
export const deleteAclsResponse = z.object({ acls: z.array(aclBinding) });

// --- Health and errors -----------------------------------------------------------------------

export const healthResponse = z.object({ status: z.literal('ok') });

/** `GET /v1/cluster`: what this cluster serves, so that a console draws only what it may do. */
export const clusterResponse = z.object({
  /** Every route but the GET ones is refused (STRATA_READ_ONLY). */
  readOnly: z.boolean(),
  /** ACLs are enforced (STRATA_AUTH): a request no ACL allows is refused. */
  authorization: z.boolean(),
});

/** Every error response: the code (lib/contract/errors.ts), a message, and details such as the valid offset range. */
export const errorResponse = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    retriable: z.boolean(),
  }),
});

// --- SASL users ------------------------------------------------------------------------------

/** The SCRAM mechanisms a user's keys are kept for; PLAIN checks passwords against them. */
export const scramMechanism = z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']);

export const createUserRequest = z.strictObject({
  name: z.string(),
  /** Used to derive the keys, then dropped: never stored, logged or returned. */
  password: z.string(),
  /** Default both. */
  mechanisms: z.optional(z.array(scramMechanism)),
});

const userSummary = z.object({
  name: z.string(),
  mechanisms: z.array(z.object({ mechanism: scramMechanism, iterations: z.int() })),
});

export const createUserResponse = userSummary;

export const listUsersResponse = z.object({ users: z.array(userSummary) });
