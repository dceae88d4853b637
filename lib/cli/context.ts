/**
 * What every CLI command is given: the process's streams (through CliIO), a client for the
 * endpoint, the one row printer, and the mapping of failures to exit codes.
 */
import { type Command, CommanderError } from 'commander';
import { StrataClientError } from '../client/errors.js';
import type { RequestSigner } from '../client/http.js';
import { type LogCreator, type LogLevel, logLevel } from '../client/logger.js';
import { Strata } from '../client/strata.js';
import { UsageError } from './args.js';
import { InputError, type RowStyle, type Rows, renderRows } from './format.js';

export const DEFAULT_ENDPOINT = 'http://localhost:4510';

export interface CliOutput {
  write(chunk: string): boolean;
  isTTY?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream;
  /** STRATA_ENDPOINT, read by bin/strata.ts. */
  defaultEndpoint?: string;
  /** Aborted on Ctrl-C: following commands stop cleanly. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** The signer for an endpoint (SigV4 for a deployed API; bin/strata.ts), or undefined to send unsigned. */
  requestSigner?: (endpoint: string) => RequestSigner | undefined;
}

interface GlobalOptions {
  endpoint: string;
  debug?: boolean;
}

export class Context {
  exitCode = 0;
  constructor(readonly io: CliIO) {}

  /** Human output (tables, sentences) on a terminal; machine output (TSV, JSON lines) otherwise. */
  get human(): boolean {
    return this.io.stdout.isTTY === true;
  }

  /** The style of a listing: JSON lines with --json, else a table on a terminal, TSV in a pipe. */
  listing(json: boolean | undefined): RowStyle {
    return json ? 'json' : this.human ? 'table' : 'tsv';
  }

  /** Prints rows: every command's rows go through here. */
  print<T>(style: RowStyle, rows: Rows<T>): Promise<void> {
    return this.out(renderRows(style, rows));
  }

  /** A sentence for a person at a terminal; scripts get nothing (the exit code says it worked). */
  async say(sentence: string): Promise<void> {
    if (this.human) await this.out(`${sentence}\n`);
  }

  /** Writes to stdout, waiting when the pipe is full. */
  async out(text: string): Promise<void> {
    if (text === '') return;
    if (!this.io.stdout.write(text) && this.io.stdout.once) {
      await new Promise<void>((resolve) => this.io.stdout.once?.('drain', resolve));
    }
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** A subcommand whose help and errors go to this run's streams, and which never exits the process. */
  command(parent: Command, name: string): Command {
    return parent
      .command(name)
      .configureOutput({ writeOut: (s) => this.io.stdout.write(s), writeErr: (s) => this.io.stderr.write(s) })
      .exitOverride();
  }

  /** A client for the endpoint the command line names (--endpoint, --debug are global options). */
  strata(cmd: Command): Strata {
    const opts = cmd.optsWithGlobals() as GlobalOptions;
    const stderr = this.io.stderr;
    const logCreator: LogCreator = () => (entry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry.log;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      stderr.write(`${entry.label.toLowerCase()}: ${message}${extra}\n`);
    };
    const requestSigner = this.io.requestSigner?.(opts.endpoint);
    return new Strata({
      endpoint: opts.endpoint,
      ...(requestSigner ? { requestSigner } : {}),
      clientId: 'strata-cli',
      logLevel: (opts.debug ? logLevel.DEBUG : logLevel.ERROR) as LogLevel,
      logCreator,
      ...(this.io.fetch ? { fetch: this.io.fetch } : {}),
    });
  }

  /** Prints a failure as `error: CODE: message` and returns its exit code (1, or 2 for usage). */
  fail(err: unknown): number {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return 0;
      return 2;
    }
    if (err instanceof UsageError) {
      this.err(`error: USAGE: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StrataClientError) {
      this.err(`error: ${err.code}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof InputError) {
      this.err(`error: INVALID_INPUT: ${err.message}\n`);
      return 1;
    }
    this.err(`error: UNKNOWN: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

/** Registers one noun's commands on the program. */
export type CommandGroup = (program: Command, ctx: Context) => void;
