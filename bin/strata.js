#!/usr/bin/env node
// Launcher for the `strata` CLI (package.json "bin"). In a checkout, where bin/strata.ts sits beside
// this file, it registers tsx's loader and runs the TypeScript source, so a fresh clone needs no
// build and never runs a stale one. The packed package ships no .ts sources: there it runs the
// JavaScript that `npm run build` emitted into dist/, without tsx. Either way the CLI runs in this
// same process, so signals, stdio and exit codes are its own.
//
// `strata gateway` runs the Kafka gateway (bin/gateway.ts), which is the engine itself: it is
// served from a checkout, and the packed package (the client and the CLI only) says so.
import { existsSync } from 'node:fs';

const inCheckout = existsSync(new URL('./strata.ts', import.meta.url));
if (process.argv[2] === 'gateway') {
  if (inCheckout) {
    const { register } = await import('tsx/esm/api');
    register();
    const { runGateway } = await import('./gateway.ts');
    await runGateway(process.argv.slice(3));
  } else {
    process.stderr.write('error: the Kafka gateway runs from a checkout of Strata (see docs/kafka.md)\n');
    process.exitCode = 1;
  }
} else if (inCheckout) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./strata.ts');
} else {
  await import('../dist/bin/strata.js');
}
