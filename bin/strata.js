#!/usr/bin/env node
// Launcher for the `strata` CLI (package.json "bin"). In a checkout, where bin/strata.ts sits beside
// this file, it registers tsx's loader and runs the TypeScript source, so a fresh clone needs no
// build and never runs a stale one. The packed package ships no .ts sources: there it runs the
// JavaScript that `npm run build` emitted into dist/, without tsx. Either way the CLI runs in this
// same process, so signals, stdio and exit codes are its own.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./strata.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./strata.ts');
} else {
  await import('../dist/bin/strata.js');
}
