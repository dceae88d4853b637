/**
 * Builds the web console (console/src) into static files: `app.js` (one minified ES module,
 * Preact + htm + uPlot included), `index.html` and `style.css`. Synchronous, so that a CDK
 * construct can call it while it synthesizes (an S3 + CloudFront deployment of `outDir`), and
 * `npm start` at every start. Writes into `outDir` only.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const SRC = join(dirname(fileURLToPath(import.meta.url)), 'src');

/** The files buildConsole writes: the entry page, its script and its styles. */
export const CONSOLE_FILES = ['index.html', 'app.js', 'style.css'] as const;

export function buildConsole(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [join(SRC, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  copyFileSync(join(SRC, 'index.html'), join(outDir, 'index.html'));
  // uPlot's own styles, then the console's.
  const uplotCss = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');
  writeFileSync(join(outDir, 'style.css'), `${uplotCss}\n${readFileSync(join(SRC, 'style.css'), 'utf8')}`);
}
