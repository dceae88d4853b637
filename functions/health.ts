import { type HttpHandler, json } from '../lib/http/api.js';

export function createHealthHandler(): HttpHandler {
  return async () => json(200, { status: 'ok' });
}

export const handler = createHealthHandler();
