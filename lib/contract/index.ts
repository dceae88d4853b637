/**
 * What the server and the browser-safe client share: routes, schemas, limits, the error table,
 * the partitioner and the metric names. Pure: no Node or AWS imports, nothing from the rest of
 * the repository (test/unit/contract-browser.test.ts bundles it for the browser).
 */
export * from './endpoints.js';
export * from './errors.js';
export * from './limits.js';
export * from './metrics.js';
export * from './partitioner.js';
export * from './record-batch.js';
export * from './routes.js';
export * from './schemas.js';
