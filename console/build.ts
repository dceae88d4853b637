/** Placeholder until the console lands (issue 13): the real build replaces this file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Builds the console's static files (index.html, JS, CSS) into outDir, synchronously. */
export function buildConsole(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'index.html'),
    '<!doctype html><title>Strata</title><p>Strata console placeholder</p>\n',
  );
}
