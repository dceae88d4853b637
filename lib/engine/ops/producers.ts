import { randomInt } from 'node:crypto';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  InvalidProducerEpochError,
  InvalidRequestError,
  UnknownProducerIdError,
} from '../errors.js';
import type { ProducerPartitionState } from '../idempotence.js';
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
  const now = engine.now();
  for (let attempt = 0; attempt < MAX_INIT_ATTEMPTS; attempt++) {
    const existing = transactionalId
      ? await engine.producers.findTransactionalId(transactionalId)
      : undefined;
    if (!existing) {
      const producerId = String(randomInt(1, 2 ** 47));
      if (await engine.producers.create(producerId, now, transactionalId))
        return { producerId, producerEpoch: 0 };
      // Another instance initialised concurrently (or an id collided): look again.
      continue;
    }
    const { producerId, epoch } = existing;
    if (epoch >= MAX_EPOCH)
      throw new InvalidProducerEpochError(`transactionalId ${transactionalId} exhausted its epochs`);
    if (await engine.producers.bumpEpoch(transactionalId as string, producerId, epoch)) {
      return { producerId, producerEpoch: epoch + 1 };
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
  const loaded = await engine.producers.load(producerId, topic.topicId, partitions);
  if (loaded.epoch === undefined)
    throw new UnknownProducerIdError(`unknown producer id ${producerId}: call POST /v1/producers first`);
  if (loaded.epoch > epoch) {
    throw new InvalidProducerEpochError(`producer epoch ${epoch} is fenced by epoch ${loaded.epoch}`);
  }
  if (loaded.epoch < epoch && loaded.transactional) {
    // An idempotent producer may bump its own epoch (KIP-360; the commit moves it); a transactional one may not.
    throw new InvalidProducerEpochError(`producer epoch ${epoch} was never issued (current ${loaded.epoch})`);
  }
  return loaded.states;
}
