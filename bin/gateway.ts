/**
 * `strata gateway`: the Kafka wire-protocol gateway as a long-lived process, over existing tables
 * and a bucket (made by `cdk deploy`, or by `npm start` locally). It reads the same environment as
 * the functions (lib/engine/config.ts: STRATA_META_TABLE, STRATA_INDEX_TABLE, STRATA_BUCKET,
 * AWS_REGION, and DYNAMODB_ENDPOINT/S3_ENDPOINT for emulators) plus the STRATA_KAFKA_* settings
 * (lib/kafka/config.ts), and uses the default AWS credential chain. This file is the edge: the
 * environment is read here and nowhere below.
 */
import { configFromEnv, createAwsClients, createEngine } from '../lib/engine/index.js';
import { gatewayConfigFromEnv } from '../lib/kafka/config.js';
import { startGateway } from '../lib/kafka/gateway.js';

const USAGE = `Usage: strata gateway

Serves the Kafka protocol over Strata's tables and bucket. Settings come from the environment:
  STRATA_META_TABLE, STRATA_INDEX_TABLE, STRATA_BUCKET, AWS_REGION   where the data is
  DYNAMODB_ENDPOINT, S3_ENDPOINT        emulators instead of AWS (the local stack prints them)
  STRATA_KAFKA_HOST, STRATA_KAFKA_PORT  listen address (default 127.0.0.1:9092)
  STRATA_KAFKA_ADVERTISED               host:port clients are told to connect to
  STRATA_KAFKA_AUTO_CREATE_TOPICS, STRATA_KAFKA_NUM_PARTITIONS, STRATA_KAFKA_MAX_FRAME_BYTES,
  STRATA_KAFKA_IDLE_MS, STRATA_KAFKA_CLUSTER_ID   see docs/kafka.md
  STRATA_KAFKA_SECURITY_PROTOCOL        PLAINTEXT (default), SASL_PLAINTEXT, SSL or SASL_SSL
  STRATA_KAFKA_SASL_MECHANISMS          default PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
  STRATA_KAFKA_SASL_SESSION_LIFETIME_MS re-authentication interval (default 3600000; 0: never)
  STRATA_KAFKA_TLS_CERT_FILE, STRATA_KAFKA_TLS_KEY_FILE   PEM files for SSL and SASL_SSL
`;

/** How long in-flight requests may finish after SIGTERM (ECS waits 30 s before SIGKILL). */
const STOP_GRACE_MS = 10_000;

export async function runGateway(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (argv.length > 0) {
    process.stderr.write(`error: unexpected argument ${argv[0]}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const env = process.env;
  const config = configFromEnv(env);
  const engine = createEngine(config, createAwsClients(config));
  const kafkaConfig = gatewayConfigFromEnv(env);
  const gateway = await startGateway({ engine, config: kafkaConfig });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`${signal}: closing; requests in flight finish first`);
    gateway.close(STOP_GRACE_MS).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('close failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Announced only once a stop is handled: whoever waits for this line may SIGTERM at once.
  console.log(
    `Strata Kafka gateway (${kafkaConfig.securityProtocol}) listening on ${gateway.host}:${gateway.port}, advertised as ${gateway.bootstrap} (tables ${config.metaTable}, ${config.indexTable}; bucket ${config.bucket})`,
  );
}
