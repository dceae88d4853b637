import { once } from 'node:events';
import { expect, it } from 'vitest';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';
import { killStrataAfterAll, spawnStrata, startGatewayProcess } from '../../support/gateway-process.js';
import { openKafkaWire } from '../../support/kafka-wire.js';
import { useTestServer } from '../../support/stack.js';

const ctx = useTestServer();
killStrataAfterAll();

it('`strata gateway` serves the tables it is pointed at, and stops cleanly on SIGTERM', async () => {
  expect((await ctx.http.post('/v1/topics', { name: 'shared', partitions: 1 })).status).toBe(201);
  const produced = await ctx.http.post('/v1/topics/shared/records', {
    records: [{ key: 'k', value: 'over http' }],
  });
  expect(produced.status).toBe(200);

  const { proc, bootstrap } = await startGatewayProcess(ctx.engine.config);
  const wire = await openKafkaWire(bootstrap);
  const offsets = await wire.request(APIS.ListOffsets.key, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'shared', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  expect(offsets.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, offset: 1n });
  wire.close();

  const exited = once(proc.child, 'exit');
  proc.child.kill('SIGTERM');
  expect((await exited)[0]).toBe(0);
});

it('`strata gateway --help` explains its settings', async () => {
  const help = spawnStrata(['gateway', '--help']);
  const exited = once(help.child, 'exit');
  await expect(help.lineMatching(/STRATA_KAFKA_PORT/)).resolves.toBeTruthy();
  const [code] = await exited;
  expect(code).toBe(0);
});
