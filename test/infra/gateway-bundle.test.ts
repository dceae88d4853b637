/**
 * "The image runs", without Docker: the gateway's image context is written exactly as the CDK
 * construct writes it (writeGatewayContext), the Dockerfile's COPY sources are checked against it,
 * and the bundle the image would run is started with `node` (as its ENTRYPOINT does) from a
 * directory with no node_modules anywhere above it, against DynamoDB Local and s3rver. A Kafka
 * client then creates a topic, produces to it and reads its metadata through that process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/engine/engine.js';
import {
  bundleGateway,
  GATEWAY_BASE_IMAGE,
  GATEWAY_BUNDLE,
  GATEWAY_CONTAINER_PORT,
  writeGatewayContext,
} from '../../lib/infra/gateway-image.js';
import { APIS } from '../../lib/kafka/protocol/schema/index.js';
import { gatewayEnv } from '../support/gateway-process.js';
import { openKafkaWire } from '../support/kafka-wire.js';
import { createTestEngine } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

let contextDir: string;
let engine: Engine;
const children: ChildProcess[] = [];
const logs = new Map<ChildProcess, () => string>();
const logOf = (child: ChildProcess) => logs.get(child)?.() ?? '';

beforeAll(async () => {
  contextDir = mkdtempSync(join(tmpdir(), 'strata-gateway-image-'));
  writeGatewayContext(contextDir, { projectRoot: ROOT });
  engine = await createTestEngine();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (contextDir) rmSync(contextDir, { recursive: true, force: true });
});

/** `node <bundle>` as the image's ENTRYPOINT runs it, in the context directory, on a free port. */
async function startBundle(env: Record<string, string>): Promise<{ child: ChildProcess; bootstrap: string }> {
  const child = spawn(process.execPath, ['--enable-source-maps', GATEWAY_BUNDLE], {
    cwd: contextDir,
    // Only what a container would have: no NODE_PATH, nothing of this checkout's environment.
    env: { PATH: process.env.PATH ?? '', HOME: contextDir, AWS_REGION: engine.config.region, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  logs.set(child, () => stdout);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "advertised as" line in 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bundle exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = /advertised as (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
  });
  return { child, bootstrap };
}

/**
 * SIGTERM, after a first answer: bin/gateway.ts prints its address just before it installs its
 * SIGTERM handler, so a signal sent on that line alone can come first. Resolves the exit.
 */
async function stopGracefully(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  const listening = /listening on (\S+),/.exec(logOf(child))?.[1] as string;
  const wire = await openKafkaWire(listening);
  await wire.request(APIS.ApiVersions.key, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  wire.close();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  return exited;
}

describe('the gateway image context', () => {
  it('the Dockerfile starts from the official Node.js 22 image and every COPY source is in the context', () => {
    const dockerfile = readFileSync(join(contextDir, 'Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe(`FROM ${GATEWAY_BASE_IMAGE}`);
    expect(GATEWAY_BASE_IMAGE).toMatch(/^public\.ecr\.aws\/docker\/library\/node:22/);
    const copies = lines.filter((l) => l.startsWith('COPY '));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(join(contextDir, source)), source).toBe(true);
    }
    // The ENTRYPOINT runs the copied bundle, and the image listens where the task maps its port.
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "--enable-source-maps", "${GATEWAY_BUNDLE}"]`);
    expect(dockerfile).toContain(`EXPOSE ${GATEWAY_CONTAINER_PORT}`);
    expect(dockerfile).toMatch(/^USER node$/m);
    // Nothing the image needs is outside the context, and no directory above it provides modules.
    for (let dir = contextDir; dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    }
  });

  it('the bundle is deterministic (the asset hash changes only when the code does), with source maps relative to the repository', () => {
    const digest = (files: { name: string; contents: Uint8Array }[]) =>
      files.map((f) => `${f.name}:${createHash('sha256').update(f.contents).digest('hex')}`).sort();
    const again = bundleGateway(ROOT);
    const written = again.map((f) => ({ name: f.name, contents: readFileSync(join(contextDir, f.name)) }));
    expect(digest(again)).toEqual(digest(written));
    const map = JSON.parse(readFileSync(join(contextDir, `${GATEWAY_BUNDLE}.map`), 'utf8'));
    expect(map.sources).toContain('lib/kafka/gateway.ts');
    for (const source of map.sources as string[]) {
      expect(source.startsWith('/') || source.includes(tmpdir()), source).toBe(false);
    }
    // The AWS SDK is inside: the bundle runs from a directory with no node_modules (below).
    expect(readFileSync(join(contextDir, GATEWAY_BUNDLE), 'utf8')).toContain('DynamoDBClient');
  });
});

describe('the bundled gateway', () => {
  it('serves Kafka requests over the tables and bucket it is given, and stops cleanly on SIGTERM', async () => {
    const { child, bootstrap } = await startBundle(gatewayEnv(engine.config));
    const wire = await openKafkaWire(bootstrap);
    try {
      const versions = await wire.request(APIS.ApiVersions.key, 3, {
        clientSoftwareName: 'strata-bundle-test',
        clientSoftwareVersion: '1',
      });
      expect(versions.errorCode).toBe(0);
      expect(versions.apiKeys.map((k) => k.apiKey)).toContain(APIS.Produce.key);

      const created = await wire.request(APIS.CreateTopics.key, 7, {
        topics: [{ name: 'bundled', numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(created.topics[0]?.errorCode).toBe(0);

      const metadata = await wire.request(APIS.Metadata.key, 12, {
        topics: [{ name: 'bundled', topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(metadata.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([bootstrap]);
      expect(metadata.topics[0]).toMatchObject({ errorCode: 0, name: 'bundled' });
      expect(metadata.topics[0]?.partitions).toHaveLength(2);
      // The same tables, read by the engine here: the bundle wrote to DynamoDB Local.
      expect((await engine.metadata.listTopics()).map((t) => t.name)).toContain('bundled');
    } finally {
      wire.close();
    }
    expect(await stopGracefully(child)).toEqual([0, null]);
  }, 60_000);

  it('writes the TLS PEMs ECS injects as variables to 0600 files and points the *_FILE settings at them', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    const key = '-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n';
    const tmp = mkdtempSync(join(tmpdir(), 'strata-gateway-tmp-'));
    try {
      // The gateway prints its environment's TLS file settings nowhere, so the files are the evidence;
      // PLAINTEXT keeps a gateway that reads them from using the fake PEMs.
      const { child } = await startBundle(
        gatewayEnv(engine.config, {
          TMPDIR: tmp,
          STRATA_KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
          STRATA_KAFKA_TLS_CERT: pem,
          STRATA_KAFKA_TLS_KEY: key,
        }),
      );
      for (const [name, contents] of [
        ['strata_kafka_tls_cert.pem', pem],
        ['strata_kafka_tls_key.pem', key],
      ] as const) {
        const file = join(tmp, 'strata-tls', name);
        expect(readFileSync(file, 'utf8')).toBe(contents);
        expect(statSync(file).mode & 0o777, name).toBe(0o600);
      }
      expect(await stopGracefully(child)).toEqual([0, null]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('advertises STRATA_KAFKA_ADVERTISED (the NLB name in the cloud), listening elsewhere', async () => {
    const { child, bootstrap } = await startBundle(
      gatewayEnv(engine.config, { STRATA_KAFKA_ADVERTISED: 'kafka.example.com:9094' }),
    );
    expect(bootstrap).toBe('kafka.example.com:9094');
    expect(await stopGracefully(child)).toEqual([0, null]);
  }, 60_000);
});
