// A child process that dies with its owner, whatever kills the owner (SIGKILL included).
//
//   node child-guard.mjs <command> [args...]
//
// Node cannot ask Linux for a parent-death signal (prctl), and a SIGKILLed owner runs no cleanup, so
// the owner gives this guard the write end of its stdin pipe instead: the kernel closes that pipe
// when the owner dies, however it dies, and end-of-file here means "stop the command".
// Plain JavaScript on purpose: it runs under bare `node`, without tsx, in a few milliseconds.
//
// Protocol on stdin: the first byte starts the command (the owner records our pid before that, so no
// command ever runs unrecorded); end-of-file stops it, SIGTERM first, SIGKILL after STOP_GRACE_MS.
// The command gets no stdin, and our stdout and stderr. We exit as it exits (same code or signal).

import { spawn } from 'node:child_process';

/** Time between SIGTERM and SIGKILL: DynamoDB Local flushes and exits well within it. */
const STOP_GRACE_MS = 5000;

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: child-guard.mjs <command> [args...]\n');
  process.exit(2);
}

/** @type {import('node:child_process').ChildProcess | undefined} */
let child;
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  if (child === undefined) process.exit(0);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => child?.kill('SIGKILL'), STOP_GRACE_MS).unref();
}

function start() {
  if (child !== undefined || stopping) return;
  child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.once('error', (err) => {
    // The owner reads this from our stderr; 127 is the shell's "command not found".
    process.stderr.write(`child-guard: cannot run ${command}: ${err.message}\n`);
    process.exit(127);
  });
  child.once('exit', (code, signal) => {
    if (signal !== null) {
      // Die of the same signal, so the owner sees what the command saw.
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

process.stdin.on('data', start);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
