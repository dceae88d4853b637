/**
 * The import graph of the shipped code, and the one-way rule it must follow (docs/architecture.md,
 * "Layers"). test/unit/import-direction.test.ts checks the repository against it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export type Layer =
  | 'edge'
  | 'ops'
  | 'groups'
  | 'storage'
  | 'pure'
  | 'contract'
  | 'client'
  | 'cli'
  | 'infra'
  | 'testing'
  | 'console'
  | 'consoleBuild';

/** Where each file belongs, first match wins. Paths are relative to the repository root. */
const PLACES: readonly [RegExp, Layer][] = [
  [/^bin\/strata\.ts$/, 'cli'],
  [/^bin\/gateway\.ts$/, 'edge'],
  [/^bin\/app\.ts$/, 'infra'],
  [/^(functions|local)\//, 'edge'],
  [/^lib\/engine\/http\//, 'edge'],
  [/^lib\/kafka\/protocol\//, 'pure'],
  [/^lib\/kafka\//, 'edge'],
  [/^lib\/engine\/ops\//, 'ops'],
  [/^lib\/engine\/groups\//, 'groups'],
  [/^lib\/engine\/storage\//, 'storage'],
  [/^lib\/engine\/engine\.ts$/, 'storage'],
  [/^lib\/engine\/index\.ts$/, 'edge'],
  [/^lib\/engine\/codec\//, 'pure'],
  [/^lib\/engine\/[^/]+\.ts$/, 'pure'],
  [/^lib\/contract\//, 'contract'],
  [/^(index\.ts$|lib\/client\/)/, 'client'],
  [/^lib\/cli\//, 'cli'],
  [/^lib\/infra\//, 'infra'],
  [/^lib\/testing\//, 'testing'],
  [/^console\/build\.ts$/, 'consoleBuild'],
  [/^console\//, 'console'],
];

/**
 * What each layer may import from the repository. Data flows one way: edge -> operations ->
 * storage -> codec and pure modules. Operations (ops) and the group coordinator (groups) sit side
 * by side and never import each other; the edge composes them. The client, the CLI and the CDK
 * construct stand beside the engine and share only the wire contract with it.
 */
export const ALLOWED: Record<Layer, readonly Layer[]> = {
  edge: ['edge', 'ops', 'groups', 'storage', 'pure', 'contract', 'consoleBuild'],
  ops: ['ops', 'storage', 'pure', 'contract'],
  groups: ['groups', 'storage', 'pure', 'contract'],
  storage: ['storage', 'pure', 'contract'],
  pure: ['pure', 'contract'],
  contract: ['contract'],
  client: ['client', 'contract'],
  cli: ['cli', 'client', 'contract'],
  infra: ['infra', 'contract', 'consoleBuild'],
  testing: ['testing'],
  // The web console runs in browsers and talks to the public HTTP API like any client: it shares
  // the wire contract's browser-safe modules, never the engine. Its build script (esbuild) is
  // called by the local stack and the CDK construct.
  console: ['console', 'contract'],
  consoleBuild: ['consoleBuild'],
};

/**
 * Packages a layer must not import: the AWS SDK stays in storage and at the edge, and the contract
 * and the client run in browsers (the client's optional SigV4 signer loads the SDK's credential
 * chain lazily, from its own entry point).
 */
const FORBIDDEN_PACKAGES: Partial<Record<Layer, RegExp>> = {
  ops: /^@aws-sdk\//,
  groups: /^@aws-sdk\//,
  pure: /^@aws-sdk\//,
  contract: /^(?!zod(\/|$))/,
  client: /^node:/,
  console: /^(?!(preact|htm|uplot)(\/|$))/,
  consoleBuild: /^(?!(esbuild(\/|$)|node:))/,
};

export interface ImportEdge {
  from: string;
  /** A repository path for a relative import, else the package specifier. */
  to: string;
  relative: boolean;
}

export function layerOf(path: string): Layer | undefined {
  return PLACES.find(([re]) => re.test(path))?.[1];
}

const ROOTS = ['index.ts', 'bin', 'functions', 'local', 'lib', 'console'];

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs)) walk(join(abs, name));
    } else if (/\.ts$/.test(abs) && !/\.d\.ts$/.test(abs)) {
      out.push(relative(root, abs));
    }
  };
  for (const r of ROOTS) {
    try {
      walk(join(root, r));
    } catch {
      // a root that does not exist (yet) has nothing to check
    }
  }
  return out.sort();
}

/** Every import, export-from and dynamic import of the shipped code under `root`. */
export function readImportGraph(root: string): { files: string[]; edges: ImportEdge[] } {
  const files = sourceFiles(root);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), fileName)).replace(/\.js$/, '.ts');
        edges.push({ from: file, to: target, relative: true });
      } else {
        edges.push({ from: file, to: fileName, relative: false });
      }
    }
  }
  return { files, edges };
}

export interface Violation {
  edge: ImportEdge;
  reason: string;
}

/** The files no layer claims, and the imports that point against the allowed direction. */
export function checkImportGraph(graph: { files: string[]; edges: ImportEdge[] }): {
  unplaced: string[];
  violations: Violation[];
} {
  const unplaced = graph.files.filter((f) => layerOf(f) === undefined);
  const violations: Violation[] = [];
  for (const edge of graph.edges) {
    const from = layerOf(edge.from);
    if (!from) continue;
    if (edge.relative) {
      const to = layerOf(edge.to);
      if (!to) violations.push({ edge, reason: `${edge.to} is outside every layer` });
      else if (!ALLOWED[from].includes(to)) violations.push({ edge, reason: `${from} may not import ${to}` });
    } else if (FORBIDDEN_PACKAGES[from]?.test(edge.to)) {
      violations.push({ edge, reason: `${from} may not import the package ${edge.to}` });
    }
  }
  return { unplaced, violations };
}
