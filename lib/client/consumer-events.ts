/** The consumer's instrumentation events: KafkaJS's names, plus Strata's partition lifecycle. */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
  /** Strata: this member starts processing these partitions (payload `{partitions:[{topic, partition, offset}]}`). */
  PARTITIONS_ASSIGNED: 'consumer.partitions_assigned',
  /** Strata: these partitions were released after a revocation or a stop (processing finished, offsets committed). */
  PARTITIONS_REVOKED: 'consumer.partitions_revoked',
  /** Strata: these partitions were dropped without a commit (fenced, or the session expired). */
  PARTITIONS_LOST: 'consumer.partitions_lost',
  /** Strata: a partition has been read up to its high watermark (payload `{topic, partition, offset}`). */
  END_OF_PARTITION: 'consumer.end_of_partition',
} as const;
