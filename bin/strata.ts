/**
 * The `strata` CLI's process edge: reads STRATA_ENDPOINT, wires stdio and Ctrl-C, exits with the
 * code lib/cli/main.ts returns. Run through bin/strata.js: from source with tsx in a checkout, as
 * dist/bin/strata.js (emitted by `npm run build`) in the installed package.
 */
import { runCli } from '../lib/cli/index.js';
import { signerForEndpoint } from '../lib/client/sigv4.js';

const interrupted = new AbortController();
let interrupts = 0;
const onSignal = () => {
  interrupts++;
  // The first Ctrl-C stops following and leaves cleanly; a second one does not wait.
  if (interrupts > 1) process.exit(130);
  interrupted.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// `strata consume ... | head`: a closed pipe is the reader saying "enough", not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  defaultEndpoint: process.env.STRATA_ENDPOINT,
  // A deployed API (not localhost) gets SigV4 with the default AWS credential chain.
  requestSigner: (endpoint) => signerForEndpoint(endpoint, process.env),
  signal: interrupted.signal,
});
process.exitCode = code;
// Let stdout drain, then leave even if a keep-alive socket lingers.
process.stdout.write('', () => process.exit(code));
