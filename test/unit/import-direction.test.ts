import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED,
  checkImportGraph,
  type ImportEdge,
  type Layer,
  layerOf,
  readImportGraph,
} from '../support/import-graph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One file per layer, to build synthetic graphs with. */
const SAMPLE: Record<Layer, string> = {
  edge: 'functions/produce.ts',
  ops: 'lib/engine/ops/produce.ts',
  groups: 'lib/engine/groups/coordinator.ts',
  storage: 'lib/engine/storage/metadata-store.ts',
  pure: 'lib/engine/codec/record-batch.ts',
  contract: 'lib/contract/routes.ts',
  client: 'lib/client/producer.ts',
  cli: 'lib/cli/main.ts',
  infra: 'lib/infra/strata-cluster.ts',
  testing: 'lib/testing/faults.ts',
  console: 'console/src/main.ts',
  consoleBuild: 'console/build.ts',
};
const LAYERS = Object.keys(SAMPLE) as Layer[];

describe('import direction', () => {
  it('every shipped file belongs to a layer, and every import points the allowed way', () => {
    const graph = readImportGraph(root);
    expect(graph.files.length).toBeGreaterThan(50);
    const { unplaced, violations } = checkImportGraph(graph);
    expect(unplaced).toEqual([]);
    expect(violations.map((v) => `${v.edge.from} -> ${v.edge.to}: ${v.reason}`)).toEqual([]);
  });

  it('ops and groups never import each other, and the engine never imports the client, CLI or infra', () => {
    for (const [a, b] of [
      ['ops', 'groups'],
      ['groups', 'ops'],
    ] as const)
      expect(ALLOWED[a]).not.toContain(b);
    for (const engine of ['edge', 'ops', 'groups', 'storage', 'pure'] as const)
      for (const side of ['client', 'cli', 'infra'] as const) expect(ALLOWED[engine]).not.toContain(side);
    for (const side of ['client', 'cli', 'infra'] as const)
      for (const engine of ['edge', 'ops', 'groups', 'storage', 'pure'] as const)
        expect(ALLOWED[side]).not.toContain(engine);
  });

  it('flags an import against the direction, and accepts one along it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LAYERS), fc.constantFrom(...LAYERS), (from, to) => {
        const edge: ImportEdge = { from: SAMPLE[from], to: SAMPLE[to], relative: true };
        const { violations } = checkImportGraph({ files: [edge.from, edge.to], edges: [edge] });
        expect(violations.length === 0).toBe(ALLOWED[from].includes(to));
      }),
    );
  });

  it('keeps the AWS SDK out of operations and Node built-ins out of the browser-safe client', () => {
    const bad: ImportEdge[] = [
      { from: SAMPLE.ops, to: '@aws-sdk/lib-dynamodb', relative: false },
      { from: SAMPLE.groups, to: '@aws-sdk/client-dynamodb', relative: false },
      { from: SAMPLE.client, to: 'node:crypto', relative: false },
      { from: SAMPLE.contract, to: 'node:buffer', relative: false },
    ];
    const { violations } = checkImportGraph({ files: [], edges: bad });
    expect(violations.map((v) => v.edge)).toEqual(bad);
    const fine: ImportEdge[] = [
      { from: SAMPLE.storage, to: '@aws-sdk/lib-dynamodb', relative: false },
      { from: SAMPLE.contract, to: 'zod/mini', relative: false },
    ];
    expect(checkImportGraph({ files: [], edges: fine }).violations).toEqual([]);
  });

  it('places the entry points of each side', () => {
    expect(layerOf('bin/strata.ts')).toBe('cli');
    expect(layerOf('bin/app.ts')).toBe('infra');
    expect(layerOf('index.ts')).toBe('client');
    expect(layerOf('lib/engine/engine.ts')).toBe('storage');
    expect(layerOf('lib/nowhere/x.ts')).toBeUndefined();
  });
});
