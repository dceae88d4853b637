/**
 * Lean bundles: each Lambda function bundled the way the CDK construct bundles it
 * (lib/infra/bundling.ts), its size, and the time a fresh Node process takes to import it, the
 * part of a cold start the code controls. Run alone with `npx tsx bench/bundles.ts`; `npm run
 * bench` calls measureBundles().
 *
 * The import runs where only @aws-sdk resolves (as in Lambda, whose runtime provides it), so the
 * time includes loading the SDK clients the function imports. Measured on this machine: Lambda's
 * arm64 CPUs at the configured memory differ, so compare functions with each other, not with Lambda.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLING, functionEntry, STRATA_FUNCTIONS } from '../lib/infra/bundling.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface BundleMeasurement {
  function: string;
  /** Bytes of the bundled index.mjs. */
  bytes: number;
  /** Median wall time of `await import(bundle)` in a fresh `node` process, ms. */
  coldImportMs: number;
}

export interface MeasureOptions {
  /** Fresh processes per function; the median is reported. Default 5. */
  runs?: number;
}

export async function measureBundles(options: MeasureOptions = {}): Promise<BundleMeasurement[]> {
  const runs = options.runs ?? 5;
  const dir = await mkdtemp(join(tmpdir(), 'strata-bundles-'));
  try {
    await mkdir(join(dir, 'node_modules'));
    await symlink(join(ROOT, 'node_modules', '@aws-sdk'), join(dir, 'node_modules', '@aws-sdk'), 'dir');
    const results: BundleMeasurement[] = [];
    for (const name of STRATA_FUNCTIONS) {
      const outfile = join(dir, name, 'index.mjs');
      const out = await build({
        entryPoints: [join(ROOT, functionEntry(name))],
        outfile,
        bundle: true,
        platform: BUNDLING.platform,
        format: BUNDLING.format,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourcemap: BUNDLING.sourceMap,
        external: [...BUNDLING.externalModules],
        banner: { js: BUNDLING.banner },
        absWorkingDir: ROOT,
        metafile: true,
        logLevel: 'error',
      });
      const bytes = Object.values(out.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await importOnce(dir, outfile));
      times.sort((a, b) => a - b);
      results.push({
        function: name,
        bytes,
        coldImportMs: round(times[Math.floor(times.length / 2)] as number),
      });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One fresh process: the time from before `import()` to the module (and its imports) being ready. */
async function importOnce(dir: string, file: string): Promise<number> {
  const probe = join(dir, 'probe.mjs');
  await writeFile(
    probe,
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [probe], {
    cwd: dir,
    // As in Lambda: no local endpoints, a region; nothing is sent, importing creates no client.
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' },
  });
  return Number(stdout.trim().split('\n').at(-1));
}

const round = (n: number) => Math.round(n * 10) / 10;

function table(rows: BundleMeasurement[]): string {
  const lines = [
    'function     bundle KiB   cold import ms',
    ...rows.map(
      (r) =>
        `${r.function.padEnd(12)} ${(r.bytes / 1024).toFixed(1).padStart(10)}   ${r.coldImportMs.toFixed(1).padStart(14)}`,
    ),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await measureBundles();
  console.log(table(rows));
}
