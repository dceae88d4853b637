/** The fault injectors live in lib/testing/faults.ts so that the fault checker (checker/) can use them outside vitest. */
export * from '../../lib/testing/faults.js';
