import { type HttpHandler, json } from '../lib/engine/http/api.js';
import { observe } from './observability.js';

export function createHealthHandler(): HttpHandler {
  return async () => json(200, { status: 'ok' });
}

export const handler = observe('health', createHealthHandler());
