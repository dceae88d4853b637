import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalService, startDynamoDbLocal, startS3rver } from '../../local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local (in memory), shared by every test file of the run. */
    dynamodbEndpoint: string;
    /** s3rver over a temporary directory, shared by every test file of the run. */
    s3Endpoint: string;
  }
}

/** Starts the emulators once per run; test/support/stack.ts gives each test its own tables and bucket. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3Dir = await mkdtemp(join(tmpdir(), 'strata-test-s3-'));
  const started: LocalService[] = [];
  const teardown = async () => {
    for (const service of started.splice(0).reverse()) await service.stop().catch(() => {});
    await rm(s3Dir, { recursive: true, force: true });
  };
  try {
    const [dynamodb, s3] = await Promise.allSettled([startDynamoDbLocal(), startS3rver({ dir: s3Dir })]);
    for (const r of [dynamodb, s3]) if (r.status === 'fulfilled') started.push(r.value);
    if (dynamodb.status === 'rejected') throw dynamodb.reason;
    if (s3.status === 'rejected') throw s3.reason;
    project.provide('dynamodbEndpoint', dynamodb.value.endpoint);
    project.provide('s3Endpoint', s3.value.endpoint);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
