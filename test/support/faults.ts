/** The fault injectors live in lib/testing/faults.ts so that the fault checker (checker/) can use them outside vitest. */
import type { Engine } from '../../lib/engine/engine.js';
import { ambiguousNext, type Fault, failNext, timeoutError } from '../../lib/testing/faults.js';

export * from '../../lib/testing/faults.js';

/** A produce commit on `engine` (it writes the index table); the producer-id transactions do not. */
export const isProduceCommit = (engine: Engine) => (input: Record<string, unknown>) =>
  JSON.stringify(input).includes(engine.config.indexTable);

/** The read that settles an ambiguous commit: the segment record. */
export const isSegmentRead = (input: Record<string, unknown>) =>
  JSON.stringify(input.Key ?? {}).includes('segment');

/**
 * A produce commit that cannot be settled: every commit attempt of the next produce on `engine`
 * "times out" after DynamoDB saw it (the first applies), and the read that would settle it fails.
 */
export function unsettledProduceCommit(engine: Engine): { commits: Fault; settle: Fault } {
  const commits = ambiguousNext(engine.clients.dynamodb, 'TransactWriteItems', {
    when: isProduceCommit(engine),
    times: engine.config.maxCommitAttempts,
  });
  const settle = failNext(engine.clients.dynamodb, 'GetItem', () => timeoutError('GetItem'), {
    when: isSegmentRead,
  });
  return { commits, settle };
}
