/**
 * Names of the CloudWatch metrics the deployed functions emit (functions/observability.ts writes
 * them as EMF) and the CDK construct charts and alarms on. Plain constants, so that both sides
 * share them without the construct loading Powertools or the functions loading the CDK.
 */
export const METRICS_NAMESPACE = 'Strata';

/** Every metric carries these dimensions: `service` (the function) and `cluster` (the construct's name). */
export const METRIC_DIMENSIONS = {
  service: 'service',
  cluster: 'cluster',
  errorCode: 'ErrorCode',
  /** Only on AuthorizationFailures: who was refused (`User:<name>`). */
  principal: 'Principal',
} as const;

export const METRIC = {
  recordsProduced: 'RecordsProduced',
  /** Segment object bytes written to S3 (after compression, with the segment header and footer). */
  bytesProduced: 'BytesProduced',
  recordsFetched: 'RecordsFetched',
  /** Response bytes handed to consumers. */
  bytesFetched: 'BytesFetched',
  /** Segment bytes read from S3: cache misses only. */
  segmentBytesRead: 'SegmentBytesRead',
  /** How long a long-poll fetch (waitMs > 0) held the request, including the read that ended it. */
  fetchWaitTime: 'FetchWaitTime',
  /** Records between the end of a fetch and the high watermark: how far behind the reader is. */
  fetchLag: 'FetchLag',
  /** Transactions cancelled because a condition no longer held (a partition head moved, a group changed); each is retried. */
  commitConflicts: 'CommitConflicts',
  /** S3 SlowDown and DynamoDB throttling responses, per attempt (the SDK retries them). */
  storageThrottles: 'StorageThrottles',
  /** Error responses, with an ErrorCode dimension (the Kafka error name). */
  errors: 'Errors',
  /**
   * Requests refused by the ACLs (a *_AUTHORIZATION_FAILED), with a Principal dimension. Its own
   * metric: a principal on Errors would split every error series per caller.
   */
  authorizationFailures: 'AuthorizationFailures',
  /** Maintenance: what one run did... */
  partitionsTrimmed: 'PartitionsTrimmed',
  indexEntriesRemoved: 'IndexEntriesRemoved',
  entriesCompacted: 'EntriesCompacted',
  /** Segment objects deleted: dereferenced, orphaned, or unreferenced (never committed). */
  segmentsDeleted: 'SegmentsDeleted',
  /** ...and the cleanup backlog left after it. */
  orphanedSegments: 'OrphanedSegments',
  oldestOrphanAge: 'OldestOrphanAge',
  deletedTopicsPending: 'DeletedTopicsPending',
  oldestDeletedTopicAge: 'OldestDeletedTopicAge',
} as const;
