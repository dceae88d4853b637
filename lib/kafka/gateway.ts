import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Engine } from '../engine/index.js';
import { ANONYMOUS, type Principal, ProduceFlusher } from '../engine/index.js';
import { createHandlerRegistry } from './apis.js';
import { BROKER_ID, type GatewayConfig, usesSasl, usesTls } from './config.js';
import { AnswerThenClose, serveConnection } from './connection.js';
import { CloseConnection, dispatch } from './dispatch.js';
import type { AnyHandler, ConnectionSession } from './handler.js';
import { SaslAuthenticator } from './sasl.js';

export interface KafkaGateway {
  /** The address it listens on. */
  host: string;
  port: number;
  /** What Metadata tells clients: `host:port`. */
  bootstrap: string;
  /** Client connections open now: a connection closed by either side is gone once its socket is. */
  connectionCount(): number;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
  /** Produce flushes, for tests and metrics. */
  readonly flusher: ProduceFlusher;
}

export interface GatewayOptions {
  engine: Engine;
  config: GatewayConfig;
  /** Where faults go (a handler's unexpected failure); a bad frame from a client is not one. */
  log?: (message: string, err?: unknown) => void;
  /**
   * The handlers per API key (default: every served API). The fault checker wraps one to lose a
   * response after its work was done, as a gateway that dies between commit and answer does.
   */
  handlers?: ReadonlyMap<number, AnyHandler>;
  /**
   * TEST ONLY: the principal a new connection acts as, without SASL, so that authorization tests
   * can run before (and apart from) authentication. Never set outside tests.
   */
  testOnlyPrincipalFor?: (socket: Socket) => Principal;
}

const DEFAULT_CLOSE_GRACE_MS = 5000;

/**
 * The Kafka wire-protocol gateway: a TCP server in front of the same engine the HTTP handlers use.
 * It keeps no state of its own (everything lives in DynamoDB and S3), so any number of gateways
 * can serve the same tables and bucket. Clients see one virtual broker, node 0.
 */
export async function startGateway(opts: GatewayOptions): Promise<KafkaGateway> {
  const { engine, config } = opts;
  const log = opts.log ?? ((message, err) => console.error(`kafka gateway: ${message}`, err ?? ''));
  const handlers = opts.handlers ?? createHandlerRegistry();
  const sockets = new Map<Socket, { inFlight(): number }>();
  const broker = { nodeId: BROKER_ID, host: config.host, port: config.port };
  const flusher = new ProduceFlusher(engine, {
    lingerMs: config.produceLingerMs,
    flushBytes: config.produceFlushBytes,
  });

  const sasl = usesSasl(config.securityProtocol);
  const onConnection = (socket: Socket) => {
    const clientHost = socket.remoteAddress ?? 'unknown';
    const session: ConnectionSession = { principal: opts.testOnlyPrincipalFor?.(socket) ?? ANONYMOUS };
    const run = (frame: Uint8Array, admitted: () => void) =>
      dispatch({ engine, flusher, config, broker, handlers }, frame, clientHost, session, admitted);
    let handle = run;
    if (sasl) {
      // engine.now, so that a test can move the session's clock.
      const authenticator = new SaslAuthenticator(engine, config, session, () => engine.now());
      session.sasl = authenticator;
      handle = (frame, admitted) => authenticator.serve(frame, (f) => run(f, admitted));
    }
    const connection = serveConnection(socket, {
      maxFrameBytes: config.maxFrameBytes,
      idleMs: config.idleMs,
      maxInFlight: config.maxInFlightPerConnection,
      maxQueuedBytes: config.maxQueuedBytesPerConnection,
      handle,
      onClose: (reason, err) => {
        // A client's bad frame or failed authentication is the client's business; anything else is ours.
        if (err && !(err instanceof CloseConnection) && !(err instanceof AnswerThenClose))
          log(`closed a connection from ${clientHost}: ${reason}`, err);
      },
    });
    sockets.set(socket, connection);
    socket.once('close', () => sockets.delete(socket));
  };
  let server: Server;
  if (usesTls(config.securityProtocol)) {
    if (!config.tls) throw new Error(`${config.securityProtocol} needs a TLS certificate and key`);
    server = createTlsServer({ cert: config.tls.cert, key: config.tls.key }, onConnection);
    // A failed TLS handshake (a plaintext client, an untrusted certificate) is the client's business.
    server.on('tlsClientError', () => {});
  } else {
    server = createServer(onConnection);
  }
  server.maxConnections = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  broker.port = config.advertised?.port ?? port;
  broker.host = config.advertised?.host ?? config.host;

  let closing: Promise<void> | undefined;
  return {
    host: config.host,
    port,
    bootstrap: `${broker.host}:${broker.port}`,
    connectionCount: () => sockets.size,
    flusher,
    close(graceMs = DEFAULT_CLOSE_GRACE_MS) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const deadline = Date.now() + graceMs;
        // Idle connections go now; busy ones when their requests are answered, or at the deadline.
        while (sockets.size > 0) {
          for (const [socket, c] of sockets) if (c.inFlight() === 0) socket.destroy();
          if (sockets.size === 0 || Date.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        for (const socket of sockets.keys()) socket.destroy();
        // Requests already in a flush are committed (or failed) before the gateway is gone.
        await flusher.close();
        await stopped;
      })();
      return closing;
    },
  };
}
