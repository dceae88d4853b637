/**
 * How each Lambda function is bundled: shared by the CDK construct (NodejsFunction, local esbuild)
 * and bench/bundles.ts (esbuild directly), so that the bench measures what gets deployed.
 * No CDK imports here: the bench loads this without aws-cdk-lib.
 */
export const STRATA_FUNCTIONS = [
  'health',
  'topics',
  'produce',
  'fetch',
  'groups',
  'maintenance',
  'tail',
] as const;
export type StrataFunctionName = (typeof STRATA_FUNCTIONS)[number];

/** The entry module of a function, relative to the repository root. */
export const functionEntry = (name: StrataFunctionName) => `functions/${name}.ts`;

export const BUNDLING = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: false,
  /** Lambda's Node.js runtime provides the AWS SDK v3. */
  externalModules: ['@aws-sdk/*'],
  /** CommonJS dependencies inside an ESM bundle still call require() for Node built-ins. */
  banner:
    "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);",
} as const;
