import { codeOf, defineHandler, kafkaErrorCode, kafkaErrorMessage, NONE } from '../handler.js';

/**
 * SaslAuthenticate v0-2: one token of the exchange the handshake chose. The last one answers
 * (v1+) the session lifetime, after which the client must re-authenticate. A failure answers
 * SASL_AUTHENTICATION_FAILED with Kafka's message, and the connection closes after the answer.
 * A listener without SASL answers ILLEGAL_SASL_STATE.
 */
export const saslAuthenticateHandler = defineHandler({
  api: 'SaslAuthenticate',
  min: 0,
  max: 2,
  async handle(ctx, body) {
    const sasl = ctx.session.sasl;
    if (!sasl) {
      return {
        errorCode: codeOf('ILLEGAL_SASL_STATE'),
        errorMessage: 'SASL is not enabled on this listener',
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0n,
      };
    }
    try {
      const { token, sessionLifetimeMs } = await sasl.authenticate(body.authBytes);
      return {
        errorCode: NONE,
        errorMessage: null,
        authBytes: token,
        sessionLifetimeMs: BigInt(sessionLifetimeMs),
      };
    } catch (err) {
      const errorCode = kafkaErrorCode(err);
      // A storage fault during authentication is ours, not the client's: let the connection log it.
      if (errorCode === codeOf('UNKNOWN_SERVER_ERROR')) throw err;
      return {
        errorCode,
        errorMessage: kafkaErrorMessage(err),
        authBytes: new Uint8Array(0),
        sessionLifetimeMs: 0n,
      };
    }
  },
});
