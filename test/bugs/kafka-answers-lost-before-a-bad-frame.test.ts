/**
 * Bug: requests pipelined on one Kafka connection ahead of a bad frame lost their answers. The bad
 * frame closed the connection as soon as it was read (or its decoding failed), before the answers
 * to the requests sent before it were written. A produce among them had committed, so its client
 * saw a dropped connection, retried, and wrote its records twice. Kafka answers a connection's
 * requests in order: those before the bad one are answered, then the connection is closed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../../lib/contract/bytes.js';
import { encodeBatch } from '../../lib/engine/codec/record-batch.js';
import { decodeResponse, encodeRequest } from '../../lib/kafka/protocol/codec.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import { useTestGateway } from '../support/gateway.js';
import { openKafkaWire, produceRequest } from '../support/kafka-wire.js';

const ctx = useTestGateway({ maxFrameBytes: 64 * 1024 });
const text = new TextEncoder();

const apiVersions = (correlationId: number) =>
  encodeRequest(
    { apiKey: APIS.ApiVersions.key, apiVersion: 3, correlationId, clientId: 'bug' },
    { clientSoftwareName: 'bug', clientSoftwareVersion: '1' },
  );
const produce = (correlationId: number, value: string) =>
  encodeRequest(
    { apiKey: APIS.Produce.key, apiVersion: 9, correlationId, clientId: 'bug' },
    produceRequest(
      'pipelined',
      0,
      encodeBatch([{ key: null, value: text.encode(value), headers: [], timestamp: 1 }]).bytes,
    ),
  );
/** An API key no Kafka has: the frame reads, the request cannot be answered. */
const unknownApi = Uint8Array.from([0, 0, 0, 8, 0x27, 0x0f, 0, 0, 0, 0, 0, 9]);
/** A size prefix over maxFrameBytes. */
const oversized = Uint8Array.from([0x7f, 0, 0, 0]);

const joined = (...parts: Uint8Array[]) => concatBytes(parts);

beforeAll(async () => {
  expect((await ctx.http.post('/v1/topics', { name: 'pipelined', partitions: 1 })).status).toBe(201);
});

describe('Kafka gateway', () => {
  it.each([
    ['an unknown API key', unknownApi],
    ['an oversized frame length', oversized],
  ])('answers the requests sent before %s, then closes', async (_, bad) => {
    const before = (await ctx.http.get('/v1/topics/pipelined/partitions/0/records?offset=0')).body
      .highWatermark;
    const wire = await openKafkaWire(ctx.bootstrap);
    // One write: the gateway reads all of it at once, the bad frame with the good ones.
    await wire.raw(joined(apiVersions(1), produce(2, 'once'), apiVersions(3), bad, apiVersions(4)));
    const first = decodeResponse(APIS.ApiVersions.key, 3, await wire.nextFrame());
    const second = decodeResponse(APIS.Produce.key, 9, await wire.nextFrame());
    const third = decodeResponse(APIS.ApiVersions.key, 3, await wire.nextFrame());
    expect([first.correlationId, second.correlationId, third.correlationId]).toEqual([1, 2, 3]);
    expect(second.body.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
    // Nothing after the bad frame is answered.
    await expect(wire.nextFrame()).rejects.toThrow('connection closed');
    await wire.closed;
    const after = (await ctx.http.get('/v1/topics/pipelined/partitions/0/records?offset=0')).body
      .highWatermark;
    expect(BigInt(after) - BigInt(before)).toBe(1n);
  });
});
