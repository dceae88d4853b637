/**
 * `STRATA_AUTH=on npm start`: the whole security model locally. ACLs are enforced on both front
 * ends, the Kafka port asks for SASL, and the bootstrap super user's SASL password is printed once.
 * The super user can do everything over both; anyone else, nothing until an ACL says so.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { type StackProcess, spawnStack, stopStackAndRemove, waitUntilServing } from './stack-process.js';

const run = promisify(execFile);
let stack: StackProcess | undefined;
let dataDir: string | undefined;

afterAll(() => stopStackAndRemove(stack, dataDir));

async function printed(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(stack?.stdout() ?? '');
    if (m) return m;
    if (Date.now() > deadline)
      throw new Error(`never printed ${pattern}:\n${stack?.stdout()}\n${stack?.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const kcat = (args: string[]) => run('kcat', args, { timeout: 30_000 });

it('STRATA_AUTH=on: a super user with a printed SASL password, ACLs on HTTP and Kafka, everyone else refused', {
  timeout: 120_000,
}, async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-auth-on-'));
  stack = spawnStack(dataDir, { STRATA_AUTH: 'on' });
  const url = await waitUntilServing(stack);
  const [, bootstrap] = await printed(/Kafka clients: bootstrap servers (\S+)/);
  const [, password] = await printed(/SASL user admin, password (\S+) /);
  expect(stack.stdout().match(new RegExp(password as string, 'g'))?.length).toBe(2); // the notice and its kcat line

  // HTTP: anonymous is refused and changes nothing; the super user (local header) may.
  const post = (who?: string) =>
    fetch(`${url}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(who ? { 'x-strata-local-principal': who } : {}) },
      body: JSON.stringify({ name: 'secured', partitions: 1 }),
    });
  const refused = await post();
  expect(refused.status).toBe(403);
  expect((await refused.json()).error.code).toBe('TOPIC_AUTHORIZATION_FAILED');
  expect((await post('admin')).status).toBe(201);

  // Kafka: SASL with the printed password works and sees the topic; a wrong one is refused.
  const sasl = (pw: string) => [
    '-b',
    bootstrap as string,
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    'sasl.username=admin',
    '-X',
    `sasl.password=${pw}`,
  ];
  const listed = await kcat([...sasl(password as string), '-L', '-m', '10']);
  expect(listed.stdout).toContain('topic "secured" with 1 partitions');
  await expect(kcat([...sasl('not-the-password'), '-L', '-m', '5'])).rejects.toThrow();
  // Without SASL the gateway closes the connection: kcat cannot even list brokers.
  await expect(kcat(['-b', bootstrap as string, '-L', '-m', '5'])).rejects.toThrow();
});
