/**
 * The contract and the client ship to browsers: bundled for `platform: 'browser'`, neither may pull
 * in a Node built-in (`node:*` or a bare `fs`, `crypto`, ...), the AWS SDK, or the engine.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Records every import that would not work in a browser (the engine shows in the metafile). */
function forbiddenImports(found: string[]): Plugin {
  return {
    name: 'forbidden-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const spec = args.path;
        const fromRepo = args.importer.replaceAll('\\', '/');
        if (
          NODE_BUILTINS.has(spec) ||
          spec.startsWith('node:') ||
          spec.startsWith('@aws-sdk/') ||
          spec.startsWith('@aws-lambda-powertools/')
        ) {
          found.push(`${spec} (from ${fromRepo.replace(/.*\/(lib\/)/, '$1')})`);
          return { path: spec, external: true };
        }
        return undefined;
      });
    },
  };
}

async function bundle(entry: string) {
  const found: string[] = [];
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`../../${entry}`, import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [forbiddenImports(found)],
  });
  const inputs = Object.keys(result.metafile.inputs);
  return { found, inputs };
}

describe('browser bundles', () => {
  it.each(['lib/contract/index.ts', 'lib/client/index.ts'])(
    '%s has no Node, AWS or engine imports',
    async (entry) => {
      const { found, inputs } = await bundle(entry);
      expect(found).toEqual([]);
      expect(inputs.filter((i) => i.includes('lib/engine/'))).toEqual([]);
      expect(inputs.length).toBeGreaterThan(1);
    },
  );

  it('lib/contract imports nothing from the repository but itself', async () => {
    const { inputs } = await bundle('lib/contract/index.ts');
    const outside = inputs.filter((i) => !i.includes('node_modules/') && !i.includes('lib/contract/'));
    expect(outside).toEqual([]);
  });

  it('the client does not carry zod at run time (its wire types are types only)', async () => {
    const { inputs } = await bundle('lib/client/index.ts');
    expect(inputs.filter((i) => i.includes('node_modules/zod'))).toEqual([]);
  });
});
