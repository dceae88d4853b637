import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { delay } from '../support/faults.js';
import { api } from '../support/stack.js';

/**
 * The in-process local stack with its own DynamoDB Local and s3rver over a data dir: stop() drains
 * a produce that is in flight (here held in its commit) before storage goes away, so the
 * acknowledged records are there after the next start.
 */
describe('local stack stop', () => {
  let dataDir: string;
  const stacks: LocalStack[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-stack-'));
  });
  afterAll(async () => {
    for (const stack of stacks) await stack.stop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lets an in-flight produce commit and answer before storage stops', { timeout: 180_000 }, async () => {
    const first = await startLocalStack({ dataDir, port: 0 });
    stacks.push(first);
    const http = api(first.url);
    expect((await http.post('/v1/topics', { name: 'drain', partitions: 1 })).status).toBe(201);

    // Hold every commit for a while, so that stop() begins while this produce is in flight.
    const held = delay(first.engine.clients.dynamodb, 'TransactWriteItems', 1500);
    const producing = http.post('/v1/topics/drain/records', {
      records: [
        { value: 'in-flight-1', partition: 0 },
        { value: 'in-flight-2', partition: 0 },
      ],
    });
    while (held.calls === 0) await new Promise((r) => setTimeout(r, 10));

    const stopping = first.stop();
    await new Promise((r) => setTimeout(r, 100));
    // No longer accepting, while the produce above is still being answered.
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();

    const produced = await producing;
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    expect(produced.body.offsets).toEqual([
      { partition: 0, offset: '0' },
      { partition: 0, offset: '1' },
    ]);
    await stopping;

    const second = await startLocalStack({ dataDir, port: 0 });
    stacks.push(second);
    const fetched = await api(second.url).get('/v1/topics/drain/partitions/0/records?offset=0');
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual([
      'in-flight-1',
      'in-flight-2',
    ]);
    await second.stop();
  });
});
