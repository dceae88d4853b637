#!/usr/bin/env node
// Launcher for the `strata` CLI (package.json "bin"): registers tsx's loader and runs the
// TypeScript entry point in this same process, so signals, stdio and exit codes are the CLI's own.
import { register } from 'tsx/esm/api';

register();
await import('./strata.ts');
