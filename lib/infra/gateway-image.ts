/**
 * The Kafka gateway's container image context: one esbuild bundle of `strata gateway`
 * (bin/gateway.ts's runGateway) with every dependency inside, the AWS SDK included, and a
 * Dockerfile that copies it onto the official Node.js 22 image. No node_modules, no npm install in
 * the image, nothing to build but this file. The CDK construct writes the context at synth time
 * and hands it to ecs.ContainerImage.fromAsset (which hashes the directory: the bundle must be,
 * and is, byte-for-byte deterministic for the same sources); test/infra/gateway-bundle.test.ts
 * writes the same context and runs the bundle against the local emulators.
 *
 * No CDK imports here, so that a test can build the context without synthesizing a stack.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BUNDLING } from './bundling.js';

/** The port the gateway listens on inside the task (the NLB's listener port is separate). */
export const GATEWAY_CONTAINER_PORT = 9092;

/** Files of the image context, as the Dockerfile COPYs them. */
export const GATEWAY_BUNDLE = 'gateway.mjs';
export const GATEWAY_SOURCE_MAP = 'gateway.mjs.map';

/**
 * PEM contents that ECS injects from Secrets Manager (environment variables: ECS secrets cannot be
 * files) and the *_FILE settings the gateway's TLS listener reads. The entry writes each PEM to a
 * file under /tmp/strata-tls (mode 0600) and sets the *_FILE variable, unless that is set already.
 */
export const TLS_PEM_ENV = {
  STRATA_KAFKA_TLS_CERT: 'STRATA_KAFKA_TLS_CERT_FILE',
  STRATA_KAFKA_TLS_KEY: 'STRATA_KAFKA_TLS_KEY_FILE',
} as const;

/**
 * The bundle's entry: PEM secrets to files, then `strata gateway` exactly as bin/strata.js runs
 * it. The PEM variables are removed from the environment once written, so that nothing the
 * process spawns or logs later sees the key. The files go under the temporary directory (/tmp in
 * the task: a volume, the root file system being read-only).
 */
const ENTRY = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGateway } from './bin/gateway.ts';

const pems = ${JSON.stringify(TLS_PEM_ENV)};
for (const [pemVar, fileVar] of Object.entries(pems)) {
  const pem = process.env[pemVar];
  if (!pem) continue;
  delete process.env[pemVar];
  if (process.env[fileVar]) continue;
  const dir = join(tmpdir(), 'strata-tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, pemVar.toLowerCase() + '.pem');
  writeFileSync(file, pem, { mode: 0o600 });
  process.env[fileVar] = file;
}
await runGateway(process.argv.slice(2));
`;

/**
 * The official image from ECR Public (Docker Hub's library mirror: no Docker Hub rate limits from
 * AWS build hosts). Slim: Debian without build tools; the bundle needs only `node`.
 */
export const GATEWAY_BASE_IMAGE = 'public.ecr.aws/docker/library/node:22-slim';

export const GATEWAY_DOCKERFILE = `# The Strata Kafka gateway (lib/infra/gateway-image.ts writes this context; do not edit the copy).
FROM ${GATEWAY_BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY ${GATEWAY_BUNDLE} ${GATEWAY_SOURCE_MAP} ./
# The image's unprivileged user; the task's root file system is read-only and /tmp a volume.
USER node
EXPOSE ${GATEWAY_CONTAINER_PORT}
# Source maps: stack traces in the logs name lib/ files and lines, not the minified bundle.
ENTRYPOINT ["node", "--enable-source-maps", "${GATEWAY_BUNDLE}"]
`;

export interface GatewayContextOptions {
  /** The repository root (bin/gateway.ts, node_modules). */
  projectRoot: string;
  /**
   * false: write the Dockerfile and placeholder files only, as NodejsFunction skips esbuild when
   * the CDK CLI does not need the stack's assets (`aws:cdk:bundling-stacks`). Default true.
   */
  bundle?: boolean;
}

/** Writes the image context into `dir` (created if missing): Dockerfile, bundle, source map. */
export function writeGatewayContext(dir: string, options: GatewayContextOptions): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), GATEWAY_DOCKERFILE);
  writeFileSync(join(dir, '.dockerignore'), '*\n!Dockerfile\n!gateway.mjs\n!gateway.mjs.map\n');
  if (options.bundle === false) {
    const skipped = '// bundling skipped (aws:cdk:bundling-stacks): this asset is not deployable\n';
    writeFileSync(join(dir, GATEWAY_BUNDLE), skipped);
    writeFileSync(join(dir, GATEWAY_SOURCE_MAP), '{}\n');
    return;
  }
  for (const file of bundleGateway(options.projectRoot)) {
    writeFileSync(join(dir, file.name), file.contents);
  }
}

/**
 * esbuild, in memory. Deterministic: the output is placed (virtually) at the project root, so
 * the source map's paths are relative to it (`lib/kafka/gateway.ts`), never to a temporary
 * directory; no timestamps, no absolute paths.
 */
export function bundleGateway(projectRoot: string): { name: string; contents: Uint8Array }[] {
  // Loaded only when a gateway is synthesized: esbuild is a devDependency, as for NodejsFunction.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    stdin: { contents: ENTRY, resolveDir: projectRoot, sourcefile: 'gateway-entry.ts', loader: 'ts' },
    absWorkingDir: projectRoot,
    outfile: join(projectRoot, GATEWAY_BUNDLE),
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    minify: true,
    // Function and class names survive minification: error messages and stack traces keep them.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Nothing external: the image has no node_modules (the AWS SDK is bundled too).
    banner: { js: BUNDLING.banner },
    logLevel: 'error',
  });
  const names = new Map([
    [join(projectRoot, GATEWAY_BUNDLE), GATEWAY_BUNDLE],
    [join(projectRoot, GATEWAY_SOURCE_MAP), GATEWAY_SOURCE_MAP],
  ]);
  return result.outputFiles.map((f) => {
    const name = names.get(f.path);
    if (!name) throw new Error(`unexpected esbuild output ${f.path}`);
    return { name, contents: f.contents };
  });
}
