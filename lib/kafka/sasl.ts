/**
 * SASL on one connection of a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
 * SaslServerAuthenticator does it: ApiVersions and SaslHandshake first, then the mechanism's
 * exchange (in SaslAuthenticate requests after a v1 handshake, or as raw size-prefixed tokens with
 * no request header after a v0 one, which kafka-python 2.0.2 sends), then requests as the
 * authenticated user until the session lifetime passes. Anything else before authenticating, a
 * request after the session expired, and a failed authentication (once its answer is written)
 * close the connection: Kafka's behaviour, which clients are built for (docs/kafka.md, "SASL and TLS").
 */
import type { Engine } from '../engine/index.js';
import {
  type ClientFirst,
  IllegalSaslStateError,
  isScramMechanism,
  parseClientFirst,
  SaslAuthenticationFailedError,
  ScramError,
  type ScramMechanism,
  type ServerFirst,
  scramCredential,
  serverFirst,
  UnsupportedSaslMechanismError,
  user,
  verifyClientFinal,
  verifyUserPassword,
} from '../engine/index.js';
import type { GatewayConfig, SaslMechanism } from './config.js';
import { AnswerThenClose } from './connection.js';
import { CloseConnection } from './dispatch.js';
import type { ConnectionSession } from './handler.js';
import { APIS } from './protocol/schema/index.js';

type State =
  /** Nothing yet, or authenticated (then `authenticatedAs` is set): a handshake may come. */
  | { step: 'idle' }
  /** A handshake chose the mechanism; its first token comes next. */
  | { step: 'mechanism'; mechanism: SaslMechanism; raw: boolean }
  /** SCRAM: the server-first message was sent; the client-final comes next. */
  | {
      step: 'scram-final';
      mechanism: ScramMechanism;
      raw: boolean;
      first: ClientFirst;
      server: ServerFirst;
      /** The salt sent, so that keys changed mid-exchange fail instead of mixing two credentials. */
      salt: Uint8Array;
    };

/** Kafka's own wording, which says nothing of which part was wrong. */
const INVALID = (m: string) =>
  `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`;

export class SaslAuthenticator {
  private state: State = { step: 'idle' };
  /** The user of the last successful authentication; a re-authentication must be the same user. */
  private authenticatedAs: string | undefined;
  /** Epoch ms after which requests close the connection (Infinity: never). */
  private expiresAt = Number.POSITIVE_INFINITY;
  /** The answer just given ends the connection (a failed or refused authentication). */
  private failed = false;
  /** SASL steps, and everything before the first authentication, run one at a time in order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: Engine,
    private readonly config: GatewayConfig,
    private readonly session: ConnectionSession,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Answers one frame of the connection: a raw token when one is due, a SASL request, or (once
   * authenticated and not expired) any request through `dispatch`. Throws CloseConnection or
   * AnswerThenClose when Kafka would close the connection.
   */
  serve(frame: Uint8Array, dispatch: (frame: Uint8Array) => Promise<Uint8Array | null>) {
    const run = async (): Promise<Uint8Array | null> => {
      if (this.state.step !== 'idle' && this.state.raw) return this.rawToken(frame);
      if (key === APIS.SaslHandshake.key || key === APIS.SaslAuthenticate.key) {
        const response = await dispatch(frame);
        if (this.failed)
          throw new AnswerThenClose('SASL authentication failed', response ?? new Uint8Array());
        return response;
      }
      if (this.authenticated()) return dispatch(frame);
      if (key === APIS.ApiVersions.key && this.state.step === 'idle' && this.authenticatedAs === undefined)
        return dispatch(frame);
      if (this.authenticatedAs !== undefined && this.state.step === 'idle')
        throw new CloseConnection('the SASL session expired; the client must re-authenticate');
      throw new CloseConnection(`request (API key ${key}) before SASL authentication completed`);
    };
    const key = frame.length >= 2 ? ((frame[0] as number) << 8) | (frame[1] as number) : -1;
    const sasl =
      this.authenticatedAs === undefined ||
      this.state.step !== 'idle' ||
      key === APIS.SaslHandshake.key ||
      key === APIS.SaslAuthenticate.key;
    const work = this.tail.then(run);
    if (sasl) this.tail = work.catch(() => {});
    return work;
  }

  /** Is the connection authenticated now (and its session not expired)? */
  authenticated(): boolean {
    return this.authenticatedAs !== undefined && this.now() < this.expiresAt;
  }

  /** SaslHandshake: the mechanism the client wants. Returns the code and what the listener offers. */
  handshake(
    mechanism: string,
    version: number,
  ): { errorCode: 'NONE' | 'UNSUPPORTED_SASL_MECHANISM' | 'ILLEGAL_SASL_STATE'; mechanisms: string[] } {
    const offered = [...this.config.saslMechanisms];
    if (this.state.step !== 'idle' || (this.authenticatedAs !== undefined && version < 1)) {
      // A second handshake mid-exchange; or a re-authentication the v0 way, which has no SaslAuthenticate.
      this.failed = true;
      return { errorCode: 'ILLEGAL_SASL_STATE', mechanisms: offered };
    }
    if (!(offered as string[]).includes(mechanism)) {
      this.failed = true;
      return { errorCode: 'UNSUPPORTED_SASL_MECHANISM', mechanisms: offered };
    }
    this.state = { step: 'mechanism', mechanism: mechanism as SaslMechanism, raw: version === 0 };
    return { errorCode: 'NONE', mechanisms: offered };
  }

  /**
   * SaslAuthenticate: one token of the exchange. Returns the server's token and, when this token
   * completed the authentication, the session lifetime (0 otherwise). A failure marks the
   * connection for closing and is thrown as the error to answer with.
   */
  async authenticate(token: Uint8Array): Promise<{ token: Uint8Array; sessionLifetimeMs: number }> {
    if (this.state.step === 'idle') {
      this.failed = true;
      throw new IllegalSaslStateError('SaslAuthenticate without a SaslHandshake before it');
    }
    try {
      return await this.step(token);
    } catch (err) {
      this.failed = true;
      this.state = { step: 'idle' };
      throw err;
    }
  }

  /** After a v0 handshake: the frame is the token itself, and the answer a size-prefixed token. */
  private async rawToken(frame: Uint8Array): Promise<Uint8Array> {
    try {
      const { token } = await this.authenticate(frame);
      const out = new Uint8Array(4 + token.length);
      new DataView(out.buffer).setInt32(0, token.length);
      out.set(token, 4);
      return out;
    } catch (err) {
      // Raw tokens have no error field: Kafka closes the connection, and so does the gateway.
      throw new CloseConnection(`SASL authentication failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private async step(token: Uint8Array): Promise<{ token: Uint8Array; sessionLifetimeMs: number }> {
    const state = this.state;
    const text = Buffer.from(token).toString('utf8');
    if (state.step === 'mechanism' && state.mechanism === 'PLAIN') {
      // RFC 4616: authzid NUL authcid NUL passwd; an authzid other than the user is refused (as Kafka).
      const parts = text.split('\u0000');
      if (parts.length !== 3) throw new SaslAuthenticationFailedError('Invalid SASL/PLAIN response');
      const [authzid, name, password] = parts as [string, string, string];
      if (name === '' || password === '')
        throw new SaslAuthenticationFailedError('Authentication failed: username or password is empty');
      if (authzid !== '' && authzid !== name)
        throw new SaslAuthenticationFailedError(
          'Authentication failed: Client requested an authorization id that is different from username',
        );
      if (!(await verifyUserPassword(this.engine, name, password)))
        throw new SaslAuthenticationFailedError('Authentication failed: Invalid username or password');
      return this.succeed(name, new Uint8Array());
    }
    if (state.step === 'mechanism' && isScramMechanism(state.mechanism)) {
      const m = state.mechanism;
      let first: ClientFirst;
      try {
        first = parseClientFirst(text);
      } catch (err) {
        throw new SaslAuthenticationFailedError(
          `Invalid ${m} client-first message: ${(err as Error).message}`,
        );
      }
      if (first.extensions.tokenauth === 'true')
        throw new SaslAuthenticationFailedError(`${m}: delegation tokens are not supported`);
      if (first.authzid !== undefined && first.authzid !== first.user)
        throw new SaslAuthenticationFailedError(
          'Authentication failed: Client requested an authorization id that is different from username',
        );
      const credential = await scramCredential(this.engine, first.user, m);
      if (!credential) throw new SaslAuthenticationFailedError(INVALID(m));
      const server = serverFirst(first, credential);
      // Only the salt is kept between the two messages: the keys are read again for the proof, so
      // no secret outlives a request.
      this.state = {
        step: 'scram-final',
        mechanism: m,
        raw: state.raw,
        first,
        server,
        salt: credential.salt,
      };
      return { token: Buffer.from(server.message), sessionLifetimeMs: 0 };
    }
    if (state.step === 'scram-final') {
      const credential = await scramCredential(this.engine, state.first.user, state.mechanism);
      if (!credential || !Buffer.from(credential.salt).equals(Buffer.from(state.salt)))
        throw new SaslAuthenticationFailedError(INVALID(state.mechanism));
      let final: string;
      try {
        final = verifyClientFinal(state.mechanism, state.first, state.server, credential, text);
      } catch (err) {
        if (err instanceof ScramError) throw new SaslAuthenticationFailedError(INVALID(state.mechanism));
        throw err;
      }
      return this.succeed(state.first.user, Buffer.from(final));
    }
    throw new UnsupportedSaslMechanismError(
      `mechanism ${String((state as { mechanism?: string }).mechanism)}`,
    );
  }

  private succeed(name: string, token: Uint8Array): { token: Uint8Array; sessionLifetimeMs: number } {
    if (this.authenticatedAs !== undefined && this.authenticatedAs !== name)
      throw new SaslAuthenticationFailedError(
        `Cannot change principals during re-authentication from User:${this.authenticatedAs} to User:${name}`,
      );
    const lifetime = this.config.saslSessionLifetimeMs;
    this.authenticatedAs = name;
    this.expiresAt = lifetime > 0 ? this.now() + lifetime : Number.POSITIVE_INFINITY;
    this.state = { step: 'idle' };
    this.session.principal = user(name);
    return { token, sessionLifetimeMs: lifetime };
  }
}
