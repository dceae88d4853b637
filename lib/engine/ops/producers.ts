import { randomInt } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  InvalidProducerEpochError,
  InvalidRequestError,
  UnknownProducerIdError,
} from '../errors.js';
import type { ProducerPartitionState } from '../idempotence.js';
import { metaKeys } from '../storage/keys.js';
import { isConditionFailure } from '../storage/metadata-store.js';
import type { Topic } from '../types.js';

export interface ProducerIdentity {
  /** An int64 in Kafka; a decimal string on the wire. */
  producerId: string;
  producerEpoch: number;
}

const MAX_INIT_ATTEMPTS = 10;
/** Kafka's epoch is an int16. */
const MAX_EPOCH = 32_767;

/**
 * Kafka's InitProducerId. Without a transactionalId: a fresh producer id at epoch 0. With one: the
 * same producer id at the next epoch, which fences every older instance of that producer.
 */
export async function initProducer(
  engine: Engine,
  opts: { transactionalId?: string },
): Promise<ProducerIdentity> {
  const { transactionalId } = opts;
  if (transactionalId !== undefined && (transactionalId.length === 0 || transactionalId.length > 249)) {
    throw new InvalidRequestError('transactionalId must be 1-249 characters');
  }
  const { doc } = engine.clients;
  const table = engine.config.metaTable;
  const now = engine.now();
  for (let attempt = 0; attempt < MAX_INIT_ATTEMPTS; attempt++) {
    const existing = transactionalId
      ? (
          await doc.send(
            new GetCommand({
              TableName: table,
              Key: metaKeys.transactionalId(transactionalId),
              ConsistentRead: true,
            }),
          )
        ).Item
      : undefined;
    try {
      if (!existing) {
        const producerId = String(randomInt(1, 2 ** 47));
        const producer = { ...metaKeys.producer(producerId), epoch: 0, createdAt: now, transactionalId };
        if (transactionalId) {
          await doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: table,
                    Item: { ...metaKeys.transactionalId(transactionalId), producerId, epoch: 0 },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Put: { TableName: table, Item: producer, ConditionExpression: 'attribute_not_exists(pk)' },
                },
              ],
            }),
          );
        } else {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: producer,
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        }
        return { producerId, producerEpoch: 0 };
      }
      const producerId = String(existing.producerId);
      const epoch = Number(existing.epoch);
      if (epoch >= MAX_EPOCH)
        throw new InvalidProducerEpochError(`transactionalId ${transactionalId} exhausted its epochs`);
      const bump = (key: { pk: string; sk: string }) => ({
        Update: {
          TableName: table,
          Key: key,
          UpdateExpression: 'SET epoch = :next',
          ConditionExpression: 'epoch = :old',
          ExpressionAttributeValues: { ':next': epoch + 1, ':old': epoch },
        },
      });
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            bump(metaKeys.transactionalId(transactionalId as string)),
            bump(metaKeys.producer(producerId)),
          ],
        }),
      );
      return { producerId, producerEpoch: epoch + 1 };
    } catch (err) {
      // Another instance initialised concurrently (or an id collided): look again.
      if (!isConditionFailure(err)) throw err;
    }
  }
  throw new CommitConflictError('producer initialisation kept racing with another instance; retry');
}

/** The producer's current epoch and its per-partition states, in one BatchGet. */
export async function loadProducerStates(
  engine: Engine,
  producerId: string,
  epoch: number,
  topic: Topic,
  partitions: number[],
): Promise<Map<number, ProducerPartitionState | undefined>> {
  const producerKey = metaKeys.producer(producerId);
  const keys = [
    producerKey,
    ...partitions.map((p) => metaKeys.producerPartition(producerId, topic.topicId, p)),
  ];
  const items = await engine.metadata.batchGetMeta(keys);
  const producer = items.get(producerKey.pk + producerKey.sk);
  if (!producer)
    throw new UnknownProducerIdError(`unknown producer id ${producerId}: call POST /v1/producers first`);
  if (Number(producer.epoch) > epoch) {
    throw new InvalidProducerEpochError(`producer epoch ${epoch} is fenced by epoch ${producer.epoch}`);
  }
  if (Number(producer.epoch) < epoch) {
    throw new InvalidProducerEpochError(
      `producer epoch ${epoch} was never issued (current ${producer.epoch})`,
    );
  }
  const states = new Map<number, ProducerPartitionState | undefined>();
  for (const p of partitions) {
    const key = metaKeys.producerPartition(producerId, topic.topicId, p);
    const item = items.get(key.pk + key.sk);
    states.set(p, item ? producerStateFromItem(item) : undefined);
  }
  return states;
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
