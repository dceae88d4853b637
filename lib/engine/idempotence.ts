import {
  DuplicateSequenceNumberError,
  InvalidProducerEpochError,
  OutOfOrderSequenceNumberError,
} from './errors.js';

/**
 * Kafka's idempotent-producer rules, per producer id and partition, as a pure function. The broker
 * keeps the last 5 batches' sequence ranges (why clients cap in-flight requests at 5): a batch
 * matching one of them is a retry of something already appended, and gets its original offset.
 */
export const RETAINED_BATCHES = 5;

export interface RetainedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

export interface ProducerPartitionState {
  epoch: number;
  /** The sequence the next batch must start at. */
  nextSeq: number;
  batches: RetainedBatch[];
}

export interface SequencedBatch {
  epoch: number;
  baseSequence: number;
  recordCount: number;
}

export type SequenceVerdict = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number };

export function checkSequence(
  state: ProducerPartitionState | undefined,
  batch: SequencedBatch,
): SequenceVerdict {
  const lastSeq = batch.baseSequence + batch.recordCount - 1;
  if (!state || batch.epoch > state.epoch) {
    // A new producer, or a new epoch of it: sequences start again at 0.
    if (batch.baseSequence !== 0) {
      throw new OutOfOrderSequenceNumberError(
        `a new producer epoch must start at sequence 0, got ${batch.baseSequence}`,
      );
    }
    return { kind: 'append' };
  }
  if (batch.epoch < state.epoch) {
    throw new InvalidProducerEpochError(`producer epoch ${batch.epoch} is fenced by epoch ${state.epoch}`);
  }
  const retained = state.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq);
  if (retained) return { kind: 'duplicate', baseOffset: retained.baseOffset };
  if (batch.baseSequence === state.nextSeq) return { kind: 'append' };
  if (batch.baseSequence > state.nextSeq) {
    throw new OutOfOrderSequenceNumberError(
      `expected sequence ${state.nextSeq}, got ${batch.baseSequence}: records in between are missing`,
    );
  }
  throw new DuplicateSequenceNumberError(
    `sequence ${batch.baseSequence} was already written and is older than the last ${RETAINED_BATCHES} batches`,
  );
}

/** The state after appending `batch` at `baseOffset`. */
export function advance(
  state: ProducerPartitionState | undefined,
  batch: SequencedBatch,
  baseOffset: number,
): ProducerPartitionState {
  const keep = state && state.epoch === batch.epoch ? state.batches : [];
  const lastSeq = batch.baseSequence + batch.recordCount - 1;
  return {
    epoch: batch.epoch,
    nextSeq: lastSeq + 1,
    batches: [...keep, { firstSeq: batch.baseSequence, lastSeq, baseOffset }].slice(-RETAINED_BATCHES),
  };
}
