/**
 * Running a program as a test's child process and collecting what it printed, and the real
 * `strata` binary (bin/strata.js, from the repo root) against a test server's endpoint.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a finished child process printed, and its exit code (null when a signal ended it). */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `file args` in `cwd` with exactly `env`. With `input` (even ''), stdin is a pipe that gets
 * `input` and is then closed; without it, stdin is ignored.
 */
export function runProgram(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => (stdout += c));
    child.stderr?.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a shell command line in the repo root, with `strata` meaning the real binary on `endpoint`. */
export function strataSh(endpoint: string, command: string): Promise<Run> {
  return runProgram('sh', ['-c', command.replaceAll('strata ', 'node bin/strata.js ')], {
    cwd: root,
    env: { ...process.env, STRATA_ENDPOINT: endpoint },
  });
}

/** `strata <args>` (the real binary, in the repo root) on `endpoint`, with `input` on stdin. */
export function strataRun(endpoint: string, args: string[], input = ''): Promise<Run> {
  return runProgram(process.execPath, ['bin/strata.js', ...args], {
    cwd: root,
    env: { ...process.env, STRATA_ENDPOINT: endpoint },
    input,
  });
}
