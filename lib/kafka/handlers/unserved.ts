/**
 * APIs the gateway knows but does not serve yet, so does not advertise: SASL (issue 11). A client
 * that sends them anyway gets Kafka's error in a well-formed response instead of a closed
 * connection: UNSUPPORTED_SASL_MECHANISM with no mechanisms for SaslHandshake (the listener
 * enables none), ILLEGAL_SASL_STATE for SaslAuthenticate (no handshake came first).
 */
import { type ApiHandler, codeOf, type RequestContext } from '../handler.js';
import type { ApiName, RequestBody, ResponseInput } from '../protocol/schema/index.js';

/** A handler that serves no version (min > max): every request goes to reject(). */
function unserved<N extends ApiName>(
  api: N,
  reject: (ctx: RequestContext, body: RequestBody<N>, code: number) => ResponseInput<N>,
): ApiHandler<N> {
  return {
    api,
    min: 1,
    max: 0,
    reject,
    async handle(ctx, body) {
      return reject(ctx, body, codeOf('UNSUPPORTED_VERSION'));
    },
  };
}

export const saslHandshakeHandler = unserved('SaslHandshake', () => ({
  errorCode: codeOf('UNSUPPORTED_SASL_MECHANISM'),
  mechanisms: [],
}));

export const saslAuthenticateHandler = unserved('SaslAuthenticate', () => ({
  errorCode: codeOf('ILLEGAL_SASL_STATE'),
  errorMessage: 'SASL is not enabled on this listener: no SaslHandshake can succeed',
  authBytes: new Uint8Array(0),
}));
