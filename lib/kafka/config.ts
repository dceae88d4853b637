import { readFileSync } from 'node:fs';

/**
 * The gateway's settings, read once at the edge (local/main.ts, bin/gateway.ts) and passed in.
 * Names follow Kafka's broker settings where one exists (docs/kafka.md, "Settings").
 */
export interface GatewayConfig {
  /** Interface and port to listen on; port 0 picks a free one. */
  host: string;
  port: number;
  /** host:port that Metadata tells clients to connect to; defaults to the listen address. */
  advertised?: { host: string; port: number };
  /** Shown in Metadata and DescribeCluster. */
  clusterId: string;
  /** socket.request.max.bytes: a larger frame closes the connection. */
  maxFrameBytes: number;
  /** connections.max.idle.ms: a connection with nothing in flight is closed after this long. */
  idleMs: number;
  /** auto.create.topics.enable (off, as on MSK). */
  autoCreateTopics: boolean;
  /** num.partitions: partitions of an auto-created topic, and of CreateTopics with -1. */
  defaultPartitions: number;
  /** group.initial.rebalance.delay.ms: a new classic group waits this long for more members to join. */
  initialRebalanceDelayMs: number;
  /** Requests of one connection processed at once; the socket is not read past this. */
  maxInFlightPerConnection: number;
  /** Bytes of responses queued on one connection before its socket stops being read. */
  maxQueuedBytesPerConnection: number;
  /**
   * The listener's security.protocol, as Kafka names them: SASL_* listeners authenticate every
   * connection first (docs/kafka.md, "SASL and TLS"), *SSL listeners speak TLS.
   */
  securityProtocol: SecurityProtocol;
  /** sasl.enabled.mechanisms: what SaslHandshake offers on a SASL listener. */
  saslMechanisms: readonly SaslMechanism[];
  /**
   * connections.max.reauth.ms: how long an authentication holds (SaslAuthenticate v1+ tells the
   * client); after it the connection must re-authenticate, or its next request closes it. 0: forever.
   */
  saslSessionLifetimeMs: number;
  /** The server certificate chain and its key (PEM), for SSL and SASL_SSL listeners. */
  tls?: { cert: string; key: string };
  /**
   * Produce batching across requests (docs/kafka.md, "Flushes"): how long the first request of a
   * flush waits for others, in ms, and the bytes at which a flush closes early. Every request of
   * a flush shares one S3 object and as few commits as fit.
   */
  produceLingerMs: number;
  produceFlushBytes: number;
}

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
export const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';

/** The virtual broker every partition lives on. */
export const BROKER_ID = 0;

export const DEFAULT_GATEWAY_CONFIG = {
  host: '127.0.0.1',
  port: 9092,
  clusterId: 'strata-local',
  maxFrameBytes: 100 * 1024 * 1024,
  idleMs: 10 * 60 * 1000,
  autoCreateTopics: false,
  defaultPartitions: 1,
  initialRebalanceDelayMs: 3000,
  maxInFlightPerConnection: 16,
  maxQueuedBytesPerConnection: 64 * 1024 * 1024,
  securityProtocol: 'PLAINTEXT',
  saslMechanisms: SASL_MECHANISMS,
  saslSessionLifetimeMs: 60 * 60 * 1000,
  produceLingerMs: 10,
  produceFlushBytes: 8 * 1024 * 1024,
} as const satisfies GatewayConfig;

/**
 * STRATA_KAFKA_PORT, STRATA_KAFKA_HOST, STRATA_KAFKA_ADVERTISED (host:port),
 * STRATA_KAFKA_CLUSTER_ID, STRATA_KAFKA_MAX_FRAME_BYTES, STRATA_KAFKA_IDLE_MS,
 * STRATA_KAFKA_AUTO_CREATE_TOPICS (true|false), STRATA_KAFKA_NUM_PARTITIONS,
 * STRATA_KAFKA_INITIAL_REBALANCE_DELAY_MS; the listener's security:
 * STRATA_KAFKA_SECURITY_PROTOCOL (PLAINTEXT|SASL_PLAINTEXT|SSL|SASL_SSL),
 * STRATA_KAFKA_SASL_MECHANISMS (comma-separated), STRATA_KAFKA_SASL_SESSION_LIFETIME_MS,
 * STRATA_KAFKA_TLS_CERT_FILE and STRATA_KAFKA_TLS_KEY_FILE (PEM files, read here with `readText`);
 * produce batching: STRATA_KAFKA_LINGER_MS and STRATA_KAFKA_FLUSH_BYTES.
 */
export function gatewayConfigFromEnv(
  env: Record<string, string | undefined>,
  defaults: Partial<GatewayConfig> = {},
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): GatewayConfig {
  const base: GatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, ...defaults };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${name} must be an integer in ${min}-${max}, got ${raw}`);
    }
    return n;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got ${raw}`);
    return raw === 'true';
  };
  const advertisedRaw = env.STRATA_KAFKA_ADVERTISED;
  const config: GatewayConfig = {
    host: env.STRATA_KAFKA_HOST || base.host,
    port: int('STRATA_KAFKA_PORT', base.port, 0, 65535),
    clusterId: env.STRATA_KAFKA_CLUSTER_ID || base.clusterId,
    maxFrameBytes: int('STRATA_KAFKA_MAX_FRAME_BYTES', base.maxFrameBytes, 1024),
    idleMs: int('STRATA_KAFKA_IDLE_MS', base.idleMs, 1),
    autoCreateTopics: bool('STRATA_KAFKA_AUTO_CREATE_TOPICS', base.autoCreateTopics),
    defaultPartitions: int('STRATA_KAFKA_NUM_PARTITIONS', base.defaultPartitions, 1),
    initialRebalanceDelayMs: int('STRATA_KAFKA_INITIAL_REBALANCE_DELAY_MS', base.initialRebalanceDelayMs, 0),
    maxInFlightPerConnection: base.maxInFlightPerConnection,
    maxQueuedBytesPerConnection: base.maxQueuedBytesPerConnection,
    securityProtocol: oneOf('STRATA_KAFKA_SECURITY_PROTOCOL', env, SECURITY_PROTOCOLS, base.securityProtocol),
    saslMechanisms: mechanisms(env.STRATA_KAFKA_SASL_MECHANISMS, base.saslMechanisms),
    saslSessionLifetimeMs: int('STRATA_KAFKA_SASL_SESSION_LIFETIME_MS', base.saslSessionLifetimeMs, 0),
    produceLingerMs: int('STRATA_KAFKA_LINGER_MS', base.produceLingerMs, 0, 60_000),
    produceFlushBytes: int('STRATA_KAFKA_FLUSH_BYTES', base.produceFlushBytes, 1024, 64 * 1024 * 1024),
  };
  const certFile = env.STRATA_KAFKA_TLS_CERT_FILE;
  const keyFile = env.STRATA_KAFKA_TLS_KEY_FILE;
  if (certFile || keyFile) {
    if (!certFile || !keyFile)
      throw new Error('STRATA_KAFKA_TLS_CERT_FILE and STRATA_KAFKA_TLS_KEY_FILE go together');
    config.tls = { cert: readText(certFile), key: readText(keyFile) };
  } else if (base.tls) config.tls = base.tls;
  if (usesTls(config.securityProtocol) && !config.tls)
    throw new Error(
      `STRATA_KAFKA_SECURITY_PROTOCOL ${config.securityProtocol} needs STRATA_KAFKA_TLS_CERT_FILE and STRATA_KAFKA_TLS_KEY_FILE`,
    );
  if (advertisedRaw) config.advertised = parseHostPort('STRATA_KAFKA_ADVERTISED', advertisedRaw);
  else if (base.advertised) config.advertised = base.advertised;
  return config;
}

function oneOf<T extends string>(
  name: string,
  env: Record<string, string | undefined>,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${raw}`);
  return raw as T;
}

function mechanisms(raw: string | undefined, fallback: readonly SaslMechanism[]): readonly SaslMechanism[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((m) => m.trim().toUpperCase());
  for (const m of list) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(m))
      throw new Error(`STRATA_KAFKA_SASL_MECHANISMS: unknown mechanism ${m} (${SASL_MECHANISMS.join(', ')})`);
  }
  return [...new Set(list)] as SaslMechanism[];
}

function parseHostPort(name: string, raw: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`${name} must be host:port, got ${raw}`);
  return { host: m[1] as string, port };
}
