import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import { ambiguousNext, delay, type Fault, failNext } from './faults.js';
import { createTestEngine } from './stack.js';

describe('fault injection through the SDK middleware stack (against DynamoDB Local and s3rver)', () => {
  let engine: Engine;
  const faults: Fault[] = [];
  beforeAll(async () => {
    engine = await createTestEngine();
  });
  afterEach(() => {
    for (const f of faults.splice(0)) f.remove();
  });

  const key = (sk: string) => ({ pk: { S: 'fault-test' }, sk: { S: sk } });
  const put = (sk: string, value = 'v') =>
    engine.clients.dynamodb.send(
      new PutItemCommand({ TableName: engine.config.metaTable, Item: { ...key(sk), value: { S: value } } }),
    );
  const get = async (sk: string) =>
    (
      await engine.clients.dynamodb.send(
        new GetItemCommand({ TableName: engine.config.metaTable, Key: key(sk) }),
      )
    ).Item;

  it('failNext fails the next request before it is sent, then lets requests through', async () => {
    const boom = new Error('injected: service unavailable');
    const fault = failNext(engine.clients.dynamodb, 'PutItem', () => boom);
    faults.push(fault);

    await expect(put('fail-1')).rejects.toBe(boom);
    expect(await get('fail-1')).toBeUndefined();
    expect(fault.injected).toBe(1);

    await put('fail-2');
    expect((await get('fail-2'))?.value?.S).toBe('v');
    expect(fault).toMatchObject({ calls: 2, injected: 1 });
  });

  it('failNext honours times, the command name and the input filter', async () => {
    const fault = failNext(engine.clients.dynamodb, 'PutItemCommand', () => new Error('injected'), {
      times: 2,
      when: (input) =>
        (input.Item as { sk?: { S?: string } } | undefined)?.sk?.S?.startsWith('only-') ?? false,
    });
    faults.push(fault);

    await put('other'); // not matched by the filter
    await expect(put('only-1')).rejects.toThrow('injected');
    await expect(put('only-2')).rejects.toThrow('injected');
    await put('only-3');
    expect(await get('only-1')).toBeUndefined();
    expect(await get('only-2')).toBeUndefined();
    expect(await get('only-3')).toBeDefined();
    expect(await get('other')).toBeDefined();
    // GetItem calls never matched.
    expect(fault).toMatchObject({ calls: 3, injected: 2 });
  });

  it('ambiguousNext lets the request take effect but the caller sees a timeout', async () => {
    const fault = ambiguousNext(engine.clients.dynamodb, 'PutItem');
    faults.push(fault);

    const err = await put('ambiguous-1', 'stored').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('TimeoutError');
    // The caller saw an error, yet the write happened.
    expect((await get('ambiguous-1'))?.value?.S).toBe('stored');
    expect(fault.injected).toBe(1);

    await put('ambiguous-2');
    expect(await get('ambiguous-2')).toBeDefined();
    expect(fault).toMatchObject({ calls: 2, injected: 1 });
  });

  it('reaches the document client, which shares the raw client middleware stack', async () => {
    const fault = ambiguousNext(engine.clients.dynamodb, 'PutItem');
    faults.push(fault);
    await expect(
      engine.clients.doc.send(
        new PutCommand({ TableName: engine.config.metaTable, Item: { pk: 'fault-test', sk: 'doc-1', n: 1 } }),
      ),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    const stored = await engine.clients.doc.send(
      new GetCommand({ TableName: engine.config.metaTable, Key: { pk: 'fault-test', sk: 'doc-1' } }),
    );
    expect(stored.Item).toMatchObject({ n: 1 });
  });

  it('works on the S3 client too: an ambiguous PutObject stored the object', async () => {
    const s3 = engine.clients.s3;
    faults.push(failNext(s3, 'PutObject', () => new Error('injected: S3 down')));
    const Bucket = engine.config.bucket;
    await expect(s3.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'x' }))).rejects.toThrow('S3 down');
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'a' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });

    faults.push(ambiguousNext(s3, 'PutObject'));
    await expect(s3.send(new PutObjectCommand({ Bucket, Key: 'b', Body: 'y' }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'b' }));
    expect(await got.Body?.transformToString()).toBe('y');
  });

  it('insideRetries puts the fault per attempt, where the SDK retry strategy sees it', async () => {
    const throttled = () => Object.assign(new Error('injected: slow down'), { name: 'ThrottlingException' });
    const fault = failNext(engine.clients.dynamodb, 'PutItem', throttled, { insideRetries: true });
    faults.push(fault);
    await put('retried'); // the SDK retried the throttled attempt
    expect(await get('retried')).toBeDefined();
    expect(fault).toMatchObject({ calls: 2, injected: 1 });

    // Outside the retry loop (the default) the same error reaches the caller.
    faults.push(failNext(engine.clients.dynamodb, 'PutItem', throttled));
    await expect(put('not-retried')).rejects.toThrow('slow down');
  });

  it('remove() takes the fault off the client before it fires', async () => {
    const fault = failNext(engine.clients.dynamodb, '*', () => new Error('never'));
    fault.remove();
    fault.remove();
    await put('removed');
    expect(await get('removed')).toBeDefined();
    expect(fault).toMatchObject({ calls: 0, injected: 0 });
  });

  it('delay holds matching requests back, and only those', async () => {
    const fault = delay(engine.clients.dynamodb, 'PutItem', 300);
    faults.push(fault);
    // A delayed write started first completes after an undelayed read started later.
    const order: string[] = [];
    const slow = put('delayed').then(() => order.push('put'));
    await new Promise((r) => setTimeout(r, 20));
    const fast = get('nothing-here').then(() => order.push('get'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['get', 'put']);
    expect(fault).toMatchObject({ calls: 1, injected: 1 });
    fault.remove();
    expect(await get('delayed')).toBeDefined();
  });
});
