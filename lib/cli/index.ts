/** The `strata` CLI as a library: bin/strata.ts wires process stdio and signals to runCli. */
export { type CliIO, type CliOutput, DEFAULT_ENDPOINT, runCli } from './main.js';
