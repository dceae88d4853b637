import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ProducerPartitionState } from '../idempotence.js';
import { metaKeys } from './keys.js';
import { isConditionFailure, type MetadataStore } from './metadata-store.js';
import type { TransactItem } from './transaction.js';

/** A producer's identity and current epoch, as stored. */
export interface StoredProducer {
  producerId: string;
  epoch: number;
}

/**
 * Idempotent-producer state in the meta table: `producer#` items hold a producer id's current
 * epoch, `txnid#` items map a transactionalId to its producer id, and `pstate#` items hold, per
 * producer and partition, the sequence state the produce commit checks and moves. The writes here
 * report a lost race as `false`; what to do about it is the caller's (ops/producers.ts).
 */
export class ProducerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly metaTable: string,
    private readonly metadata: MetadataStore,
  ) {}

  /** The producer a transactionalId was initialised with, and its epoch. */
  async findTransactionalId(transactionalId: string): Promise<StoredProducer | undefined> {
    const res = await this.doc.send(
      new GetCommand({
        TableName: this.metaTable,
        Key: metaKeys.transactionalId(transactionalId),
        ConsistentRead: true,
      }),
    );
    return res.Item ? { producerId: String(res.Item.producerId), epoch: Number(res.Item.epoch) } : undefined;
  }

  /**
   * Creates a producer id at epoch 0, and with a transactionalId its mapping too, in one
   * transaction. False when either already exists (a concurrent initialisation, or an id collision).
   */
  async create(producerId: string, now: number, transactionalId?: string): Promise<boolean> {
    const producer = { ...metaKeys.producer(producerId), epoch: 0, createdAt: now, transactionalId };
    try {
      if (transactionalId) {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.metaTable,
                  Item: { ...metaKeys.transactionalId(transactionalId), producerId, epoch: 0 },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.metaTable,
                  Item: producer,
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
      } else {
        await this.doc.send(
          new PutCommand({
            TableName: this.metaTable,
            Item: producer,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Moves a transactional producer from `epoch` to `epoch + 1`; false if it is no longer at `epoch`. */
  async bumpEpoch(transactionalId: string, producerId: string, epoch: number): Promise<boolean> {
    const bump = (key: { pk: string; sk: string }) => ({
      Update: {
        TableName: this.metaTable,
        Key: key,
        UpdateExpression: 'SET epoch = :next',
        ConditionExpression: 'epoch = :old',
        ExpressionAttributeValues: { ':next': epoch + 1, ':old': epoch },
      },
    });
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            bump(metaKeys.transactionalId(transactionalId)),
            bump(metaKeys.producer(producerId)),
          ],
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * The producer's current epoch (undefined for an unknown producer id) and its states on the
   * given partitions of a topic, in one BatchGet.
   */
  async load(
    producerId: string,
    topicId: string,
    partitions: readonly number[],
  ): Promise<{
    epoch: number | undefined;
    transactional: boolean;
    states: Map<number, ProducerPartitionState | undefined>;
  }> {
    const producerKey = metaKeys.producer(producerId);
    const keys = [producerKey, ...partitions.map((p) => metaKeys.producerPartition(producerId, topicId, p))];
    const items = await this.metadata.batchGetMeta(keys);
    const producer = items.get(producerKey.pk + producerKey.sk);
    const states = new Map<number, ProducerPartitionState | undefined>();
    for (const p of partitions) {
      const key = metaKeys.producerPartition(producerId, topicId, p);
      const item = items.get(key.pk + key.sk);
      states.set(p, item ? producerStateFromItem(item) : undefined);
    }
    return {
      epoch: producer ? Number(producer.epoch) : undefined,
      transactional: producer?.transactionalId !== undefined,
      states,
    };
  }
}

export function producerStateFromItem(item: Record<string, unknown>): ProducerPartitionState {
  return {
    epoch: Number(item.epoch),
    nextSeq: Number(item.nextSeq),
    batches: ((item.batches as ProducerPartitionState['batches']) ?? []).map((b) => ({
      firstSeq: Number(b.firstSeq),
      lastSeq: Number(b.lastSeq),
      baseOffset: Number(b.baseOffset),
    })),
  };
}

/**
 * A commit action: the producer is still at `epoch` (no newer instance fenced it), or, for an
 * idempotent producer without a transactionalId, moves up to it: librdkafka and Java bump their own
 * epoch after a failed batch (KIP-360) and start again at sequence 0, which checkSequence has
 * checked. From then on the older epoch is fenced. A transactional producer's epoch moves only
 * through initProducer.
 */
export function producerEpochCheck(metaTable: string, producerId: string, epoch: number): TransactItem {
  return {
    Update: {
      TableName: metaTable,
      Key: metaKeys.producer(producerId),
      UpdateExpression: 'SET epoch = :e',
      ConditionExpression: 'epoch = :e OR (epoch < :e AND attribute_not_exists(transactionalId))',
      ExpressionAttributeValues: { ':e': epoch },
    },
  };
}

/** A commit action: moves one partition's sequence state, conditional on the state it was checked against. */
export function sequenceStateUpdate(
  metaTable: string,
  producerId: string,
  topicId: string,
  partition: number,
  prior: ProducerPartitionState | undefined,
  next: ProducerPartitionState,
): TransactItem {
  return {
    Update: {
      TableName: metaTable,
      Key: metaKeys.producerPartition(producerId, topicId, partition),
      UpdateExpression: 'SET epoch = :e, nextSeq = :n, batches = :b',
      ConditionExpression: prior ? 'epoch = :pe AND nextSeq = :pn' : 'attribute_not_exists(pk)',
      ExpressionAttributeValues: {
        ':e': next.epoch,
        ':n': next.nextSeq,
        ':b': next.batches,
        ...(prior ? { ':pe': prior.epoch, ':pn': prior.nextSeq } : {}),
      },
    },
  };
}
