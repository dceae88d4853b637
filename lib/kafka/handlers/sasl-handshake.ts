import { codeOf, defineHandler } from '../handler.js';

/**
 * SaslHandshake v0-1: the client names its mechanism. On a SASL listener the connection's
 * authenticator decides (an unknown mechanism is UNSUPPORTED_SASL_MECHANISM with the list offered,
 * then the connection closes, as in Kafka); v0 means the tokens follow raw, without request
 * headers. A listener without SASL answers ILLEGAL_SASL_STATE, as Kafka's request handler does.
 */
export const saslHandshakeHandler = defineHandler({
  api: 'SaslHandshake',
  min: 0,
  max: 1,
  async handle(ctx, body) {
    const sasl = ctx.session.sasl;
    if (!sasl) return { errorCode: codeOf('ILLEGAL_SASL_STATE'), mechanisms: [] };
    const { errorCode, mechanisms } = sasl.handshake(body.mechanism, ctx.apiVersion);
    return { errorCode: errorCode === 'NONE' ? 0 : codeOf(errorCode), mechanisms };
  },
});
