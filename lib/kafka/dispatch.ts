import type { Engine } from '../engine/index.js';
import { ANONYMOUS, authorizerFor } from '../engine/index.js';
import { advertisedRanges } from './apis.js';
import type { GatewayConfig } from './config.js';
import {
  type AnyHandler,
  type ConnectionSession,
  codeOf,
  NO_RESPONSE,
  type RequestContext,
} from './handler.js';
import { decodeRequest, encodeResponse } from './protocol/codec.js';
import { KafkaProtocolError, UnsupportedApiVersionError } from './protocol/errors.js';
import { APIS, type ApiKey, type ResponseInput } from './protocol/schema/index.js';

export interface DispatchDeps {
  engine: Engine;
  flusher: RequestContext['flusher'];
  config: GatewayConfig;
  broker: RequestContext['broker'];
  handlers: ReadonlyMap<number, AnyHandler>;
}

/**
 * A request the connection must not answer: the frame was malformed, named an unknown API, or a
 * version that has no response shape. Kafka closes the connection on these; so does the gateway.
 */
export class CloseConnection extends Error {}

/** A handler's unexpected failure, named after the request that met it; the cause is the error. */
export class HandlerFailure extends Error {
  constructor(request: string, cause: unknown) {
    super(
      `${request} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'HandlerFailure';
  }
}

/**
 * Answers one request frame: the encoded response, or null when Kafka sends none (acks=0).
 * Throws CloseConnection when the request cannot be answered, and lets a handler's unexpected
 * failure through (the connection logs it and closes).
 */
export async function dispatch(
  deps: DispatchDeps,
  frame: Uint8Array,
  clientHost: string,
  session: ConnectionSession = { principal: ANONYMOUS },
  admitted: () => void = () => {},
): Promise<Uint8Array | null> {
  let request: ReturnType<typeof decodeRequest>;
  try {
    request = decodeRequest(frame);
  } catch (err) {
    if (err instanceof UnsupportedApiVersionError && err.header?.apiKey === APIS.ApiVersions.key) {
      // KIP-511: a version we do not know gets a v0 answer with our ranges, so the client retries lower.
      return encodeResponse(APIS.ApiVersions.key, 0, err.header.correlationId, {
        errorCode: codeOf('UNSUPPORTED_VERSION'),
        apiKeys: advertisedRanges(deps.handlers.values()),
      });
    }
    if (err instanceof KafkaProtocolError) throw new CloseConnection(err.message, { cause: err });
    throw err;
  }
  const { header } = request;
  const handler = deps.handlers.get(header.apiKey);
  const ctx: RequestContext = {
    engine: deps.engine,
    flusher: deps.flusher,
    config: deps.config,
    broker: deps.broker,
    apiVersion: header.apiVersion,
    clientId: header.clientId,
    clientHost,
    session,
    authz: authorizerFor(deps.engine, session.principal, clientHost),
    admitted,
  };
  const key = header.apiKey as ApiKey;
  if (!handler || header.apiVersion < handler.min || header.apiVersion > handler.max) {
    // Advertised-but-refused versions (Produce v0-2) and APIs not served yet answer with Kafka's code.
    if (handler?.reject) {
      return encodeResponse(
        key,
        header.apiVersion,
        header.correlationId,
        handler.reject(ctx, request.body, codeOf('UNSUPPORTED_VERSION')) as ResponseInput<never>,
      );
    }
    throw new CloseConnection(`${request.api} v${header.apiVersion} is not served`);
  }
  let response: unknown;
  try {
    response = await handler.handle(ctx, request.body);
  } catch (err) {
    // A deliberate close stays what it is; anything else is a fault the connection logs and
    // closes on, so say which request it was.
    if (err instanceof CloseConnection) throw err;
    throw new HandlerFailure(`${request.api} v${header.apiVersion}`, err);
  }
  if (response === NO_RESPONSE) return null;
  return encodeResponse(key, header.apiVersion, header.correlationId, response as ResponseInput<never>);
}
