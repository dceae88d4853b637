/** The package's main entry point: the Strata client (docs/client.md). */
export * from './lib/client/index.js';
