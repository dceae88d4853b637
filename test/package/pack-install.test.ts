/**
 * The package as someone else gets it: `npm pack` (which builds dist/ through `prepack`), then a
 * fresh project in the system's temp directory, far from this repo and its node_modules, installs
 * the tarball and runs a plain-JavaScript program and the installed `strata` binary against the
 * real handlers. Nothing from the repo's dev dependencies (tsx, typescript) is installed there,
 * so the program and the CLI run on the emitted JavaScript alone.
 *
 * The install needs no network: the fresh project gets a lockfile whose entries are the repo
 * lockfile's runtime (non-dev) packages, so `npm ci --prefer-offline` takes exactly the versions,
 * hence the tarballs, that the repo's own `npm ci` left in the npm cache (and no registry metadata,
 * which that cache lacks). A runtime import missing from "dependencies" fails here as it would for
 * a user.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../support/cli.js';
import { createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = 'npm';

const run = (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input = '') =>
  runProgram(file, args, { cwd, env, input });

async function ok(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<string> {
  const r = await run(file, args, cwd, env, input);
  expect(r.code, `${file} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * What a user's shell would hand the program: no VITEST*, NODE_OPTIONS or tsx loader leaking in
 * from the test runner, and a HOME of its own (no AWS profile, no npmrc of the user's).
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

const PROGRAM = `// A plain-JavaScript program using the installed package.
import { Strata, logLevel } from 'strata';
import { createSigV4Signer, signerForEndpoint } from 'strata/sigv4';

const endpoint = process.env.STRATA_ENDPOINT;
const strata = new Strata({ clientId: 'pack-install', endpoint, logLevel: logLevel.WARN });

const admin = strata.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'greetings', numPartitions: 2 }] });
console.log('topics:', (await admin.listTopics()).join(', '));

const producer = strata.producer();
await producer.connect();
const [sent] = await producer.send({
  topic: 'greetings',
  messages: [{ key: 'k1', value: 'hello from plain JavaScript' }],
});
console.log(\`produced: greetings/\${sent.partition} at offset \${sent.baseOffset}\`);

const consumer = strata.consumer({ groupId: 'greeters' });
await consumer.connect();
await consumer.subscribe({ topics: ['greetings'], fromBeginning: true });
const seen = await new Promise((resolve, reject) => {
  consumer
    .run({
      eachMessage: async ({ topic, partition, message }) =>
        resolve({ topic, partition, offset: message.offset, key: message.key, value: message.value }),
    })
    .catch(reject);
});
console.log(
  \`consumed: \${seen.topic}/\${seen.partition}@\${seen.offset} key=\${seen.key} value=\${seen.value}\` +
    \` (a \${Buffer.isBuffer(seen.value) ? 'Buffer' : typeof seen.value})\`,
);
await consumer.disconnect();
await producer.disconnect();
await admin.disconnect();

// strata/sigv4: a local endpoint is not signed; a deployed one is, with the AWS SDK's signer.
console.log('local endpoint signed:', signerForEndpoint(endpoint, {}) !== undefined);
const sign = createSigV4Signer({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  now: () => new Date('2026-01-01T00:00:00Z'),
});
const signed = await sign({ method: 'GET', url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/topics', headers: {} });
console.log('signed:', signed.headers.authorization.split(', ')[0]);
`;

/** The same calls, type-checked against the package's .d.ts files as a TypeScript user sees them. */
const TYPED_PROGRAM = `import { Strata, StrataClientError, type RecordMetadata } from 'strata';
import { signerForEndpoint } from 'strata/sigv4';

const strata = new Strata({ endpoint: 'http://localhost:4510', requestSigner: signerForEndpoint('http://localhost:4510') });
const sent: RecordMetadata[] = await strata.producer().send({ topic: 't', messages: [{ value: 'v' }] });
const offset: string | undefined = sent[0]?.baseOffset;
export { offset, StrataClientError };
`;

let server: TestServer;
let work: string;
let app: string;
let tarball: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
  work = await mkdtemp(join(tmpdir(), 'strata-pack-'));
  env = cleanEnv({ STRATA_ENDPOINT: server.url });

  // `npm pack` runs `prepack` (npm run build) in the repo, then writes the tarball to `work`.
  const packed = await ok(npm, ['pack', '--pack-destination', work, '--json'], root, {
    ...process.env,
    npm_config_loglevel: 'error',
  });
  const name = JSON.parse(packed.slice(packed.indexOf('[')))[0].filename as string;
  tarball = join(work, name);

  app = join(work, 'app');
  await mkdir(app);
  const relTarball = `file:${relative(app, tarball)}`;
  const repoLock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8'));
  const self = repoLock.packages[''];
  const pkg = {
    name: 'strata-pack-install',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { strata: relTarball },
  };
  const packages: Record<string, unknown> = {
    '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies },
    'node_modules/strata': {
      version: self.version,
      resolved: relTarball,
      integrity: `sha512-${createHash('sha512')
        .update(await readFile(tarball))
        .digest('base64')}`,
      dependencies: self.dependencies,
      bin: self.bin,
      engines: self.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages as Record<string, { dev?: boolean }>)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  await writeFile(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  await writeFile(
    join(app, 'package-lock.json'),
    JSON.stringify(
      { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ),
  );
  // npm itself keeps the runner's environment (its cache location, any proxy).
  await ok(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app, process.env);
}, 240_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the built JavaScript and declarations, and neither sources nor the engine', async () => {
    const files = await listFiles(join(app, 'node_modules', 'strata'));
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/strata.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/lib/client/sigv4.js',
        'dist/lib/client/sigv4.d.ts',
        'dist/bin/strata.js',
      ]),
    );
    const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources).toEqual([]);
    const engineSide = files.filter((f) =>
      /^(dist\/)?(lib\/(engine|infra|testing)|functions|local|test|bench|checker)\//.test(f),
    );
    expect(engineSide).toEqual([]);
    // The fresh project has none of the repo's dev tools: whatever runs, runs without them.
    const installed = await readdir(join(app, 'node_modules'));
    expect(installed).not.toContain('tsx');
    expect(installed).not.toContain('typescript');
  });

  it('a plain-JS program imports it, creates a topic, produces and consumes a record', async () => {
    await writeFile(join(app, 'program.mjs'), PROGRAM);
    const out = await ok(process.execPath, ['program.mjs'], app, env);
    // Shown in the run's output, for the closing note of the issue.
    console.log(`$ node program.mjs\n${out}`);
    expect(out.split('\n')).toEqual([
      'topics: greetings',
      'produced: greetings/1 at offset 0',
      'consumed: greetings/1@0 key=k1 value=hello from plain JavaScript (a Buffer)',
      'local endpoint signed: false',
      expect.stringMatching(
        /^signed: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260101\/eu-west-1\/execute-api\/aws4_request$/,
      ),
      '',
    ]);
  });

  it('its strata binary runs without tsx', async () => {
    // The topic and record of the program above, as the CLI sees them.
    const bin = join(app, 'node_modules', '.bin', 'strata');
    const topics = await ok(bin, ['topic', 'list'], app, env);
    console.log(`$ strata topic list\n${topics}`);
    expect(topics.split('\n')).toContainEqual('greetings\t2');
    await ok(bin, ['produce', 'greetings', '-K', ':'], app, env, 'k2:hello from the CLI\n');
    const records = await ok(bin, ['consume', 'greetings', '-e', '-f', '%k %v'], app, env);
    console.log(`$ strata consume greetings -e -f '%k %v'\n${records}`);
    expect(records.split('\n').sort()).toEqual([
      '',
      'k1 hello from plain JavaScript',
      'k2 hello from the CLI',
    ]);
    const usage = await run(bin, ['topic', 'nope'], app, env);
    expect(usage.code).toBe(2);
  });

  it('its declarations type-check a TypeScript user of both entry points, on Node and in a browser', async () => {
    await writeFile(join(app, 'typed.ts'), TYPED_PROGRAM);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const common = {
      noEmit: true,
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
    };
    const users = {
      // Node's types from the repo: the fresh project need not happen to carry @types/node.
      node: {
        ...common,
        lib: ['es2023'],
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
      },
      // A browser bundle's program knows the DOM and nothing of Node (no Buffer, no process).
      browser: { ...common, lib: ['es2023', 'dom'], types: [] },
    };
    await Promise.all(
      Object.entries(users).map(async ([user, compilerOptions]) => {
        const config = `tsconfig.${user}.json`;
        await writeFile(join(app, config), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
        await ok(process.execPath, [tsc, '-p', config], app, env);
      }),
    );
  }, 120_000);

  it('its client side, dist/index.js and everything it imports, loads no Node-only module', async () => {
    const dist = join(app, 'node_modules', 'strata', 'dist');
    const main = await bareImports(join(dist, 'index.js'));
    expect(
      [...main.files]
        .map((f) => relative(dist, f))
        .filter((f) => !f.startsWith('lib/client/') && !f.startsWith('lib/contract/') && f !== 'index.js'),
    ).toEqual([]);
    expect([...main.bare].filter((s) => isNodeBuiltin(s) || !s.startsWith('zod'))).toEqual([]);
    // The SigV4 entry point loads the AWS SDK's signer (and, without fixed credentials, its
    // Node.js credential chain) lazily, on the first signed request.
    const sigv4 = await bareImports(join(dist, 'lib', 'client', 'sigv4.js'));
    expect([...sigv4.bare].filter(isNodeBuiltin)).toEqual([]);
  });
});

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else out.push(relative(base, full));
  }
  return out.sort();
}

const builtins = new Set(builtinModules);
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtins.has(specifier.split('/')[0] as string);
}

/** The package specifiers (not relative paths) that `entry` and its relative imports load. */
async function bareImports(entry: string): Promise<{ files: Set<string>; bare: Set<string> }> {
  const files = new Set<string>();
  const bare = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = await readFile(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1] as string);
    for (const s of specifiers) {
      if (s.startsWith('.')) pending.push(join(dirname(file), s));
      else bare.add(s);
    }
  }
  return { files, bare };
}
