import { defineHandler, NONE } from '../handler.js';

/**
 * ApiVersions: what this gateway serves. The ranges come from the handler registry (apis.ts), so
 * what is advertised is exactly what is served. The answer to a version the codec does not know
 * is built by the dispatcher (v0, UNSUPPORTED_VERSION, these same ranges).
 */
export function apiVersionsHandler(
  advertised: () => { apiKey: number; minVersion: number; maxVersion: number }[],
) {
  return defineHandler({
    api: 'ApiVersions',
    min: 0,
    max: 4,
    async handle() {
      return { errorCode: NONE, apiKeys: advertised(), throttleTimeMs: 0 };
    },
  });
}
