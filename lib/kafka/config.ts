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
}

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
} as const satisfies GatewayConfig;

/**
 * STRATA_KAFKA_PORT, STRATA_KAFKA_HOST, STRATA_KAFKA_ADVERTISED (host:port),
 * STRATA_KAFKA_CLUSTER_ID, STRATA_KAFKA_MAX_FRAME_BYTES, STRATA_KAFKA_IDLE_MS,
 * STRATA_KAFKA_AUTO_CREATE_TOPICS (true|false), STRATA_KAFKA_NUM_PARTITIONS,
 * STRATA_KAFKA_INITIAL_REBALANCE_DELAY_MS.
 */
export function gatewayConfigFromEnv(
  env: Record<string, string | undefined>,
  defaults: Partial<GatewayConfig> = {},
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
  };
  if (advertisedRaw) config.advertised = parseHostPort('STRATA_KAFKA_ADVERTISED', advertisedRaw);
  else if (base.advertised) config.advertised = base.advertised;
  return config;
}

function parseHostPort(name: string, raw: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`${name} must be host:port, got ${raw}`);
  return { host: m[1] as string, port };
}
