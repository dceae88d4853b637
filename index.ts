/**
 * The package's main entry point: the Strata client (docs/client.md). `npm run build` emits it as
 * dist/index.js and dist/index.d.ts, which package.json's "exports" name.
 */
export * from './lib/client/index.js';
