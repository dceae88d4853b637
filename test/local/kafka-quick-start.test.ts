import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { api } from '../support/stack.js';
import { type StackProcess, spawnStack, stopStackAndRemove, waitUntilServing } from './stack-process.js';

const run = promisify(execFile);
const README_BOOTSTRAP = '127.0.0.1:9092';
let stack: StackProcess | undefined;
let dataDir: string | undefined;

afterAll(() => stopStackAndRemove(stack, dataDir));

/** The README's kcat commands, in order, from its quick start (the deploy section has its own). */
function readmeKcatCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const quickStart = readme.slice(
    readme.indexOf('\n## Quick start'),
    readme.indexOf('\n## ', readme.indexOf('\n## Quick start') + 1),
  );
  return quickStart
    .split('\n')
    .filter((line) => /^(echo .* \| )?kcat /.test(line))
    .map((line) => line.replace(/\s+#.*$/, ''));
}

it("npm start serves Kafka, prints its bootstrap, and the README's kcat quick start produces and consumes", {
  timeout: 120_000,
}, async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-kafka-quick-start-'));
  stack = spawnStack(dataDir);
  const url = await waitUntilServing(stack);
  const bootstrap = /Kafka clients: bootstrap servers (\S+)/.exec(stack.stdout())?.[1];
  expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(stack.stdout()).toContain(`kcat -b ${bootstrap} -L`);

  // The topic the README's curl quick start makes first.
  expect((await api(url).post('/v1/topics', { name: 'orders', partitions: 3 })).status).toBe(201);
  const commands = readmeKcatCommands();
  expect(commands).toHaveLength(3);
  const outputs: string[] = [];
  for (const command of commands) {
    const { stdout } = await run('bash', ['-c', command.replaceAll(README_BOOTSTRAP, bootstrap as string)], {
      timeout: 30_000,
    });
    outputs.push(stdout);
  }
  expect(outputs[0]).toContain('1 brokers:');
  expect(outputs[0]).toContain('topic "orders" with 3 partitions');
  expect(outputs[2]).toMatch(/^\d:0 k1 hello from kcat$/m);
});
