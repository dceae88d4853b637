/**
 * `npm start`: the whole of Strata on this machine. The environment is read here and nowhere else.
 *   STRATA_DATA_DIR   data of DynamoDB Local and s3rver, kept across restarts (default ./.strata);
 *                     one stack at a time (<dir>/strata.lock)
 *   STRATA_PORT       HTTP API port (default 4510)
 *   STRATA_HOST       interface to listen on (default 127.0.0.1)
 *   S3_ENDPOINT, DYNAMODB_ENDPOINT   use these servers (e.g. local/docker-compose.yml) instead
 *   STRATA_S3_ACCESS_KEY_ID, STRATA_S3_SECRET_ACCESS_KEY   keys for S3_ENDPOINT (MinIO)
 *   STRATA_KAFKA_PORT the Kafka protocol's port (default 9092; 0 = a free one); the other
 *                     STRATA_KAFKA_* settings are in lib/kafka/config.ts and docs/kafka.md
 *   STRATA_MAINTENANCE_INTERVAL_MS   retention, compaction and storage GC every N ms (default 60000; 0 = off)
 *   STRATA_READ_ONLY=true   the HTTP API serves only GET routes (every other: 403); the console
 *                     shows no mutating control (docs/console.md)
 *   STRATA_AUTH=on    ACLs are enforced (off by default). The super users are STRATA_SUPER_USERS, or
 *                     User:admin when it is unset (printed at start); HTTP requests say who they
 *                     are with the header x-strata-local-principal (docs/api.md "Principals"); the
 *                     Kafka port asks for SASL (SASL_PLAINTEXT), and the super user gets a fresh
 *                     SASL password at each start, printed once
 *   STRATA_META_TABLE, STRATA_INDEX_TABLE, STRATA_BUCKET, ...   see lib/engine/config.ts
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { partitionForKey } from '../lib/contract/partitioner.js';
import { configFromEnv } from '../lib/engine/config.js';
import { parsePrincipal, upsertUser } from '../lib/engine/index.js';
import { gatewayConfigFromEnv } from '../lib/kafka/config.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { type LocalStack, startLocalStack } from './stack.js';

/** The super user of a local stack with STRATA_AUTH=on and no STRATA_SUPER_USERS. */
const LOCAL_SUPER_USER = 'User:admin';

/**
 * Printed once at start when authorization is on: who may do everything, and how to be them over
 * HTTP and over Kafka (the super user's SASL password, made at this start).
 */
function authNotice(
  url: string,
  superUsers: readonly string[],
  kafka: { bootstrap: string; securityProtocol: string; password?: string },
): string {
  const admin = superUsers[0] ?? LOCAL_SUPER_USER;
  const name = admin.replace(/^User:/, '');
  const sasl = kafka.password
    ? [
        `  Kafka (${kafka.securityProtocol}): SASL user ${name}, password ${kafka.password} (new at every start). E.g.`,
        `  kcat -b ${kafka.bootstrap} -X security.protocol=${kafka.securityProtocol} -X sasl.mechanisms=SCRAM-SHA-512 \\`,
        `       -X sasl.username=${name} -X sasl.password=${kafka.password} -L`,
        `  More users: strata user create <name> --password-stdin (docs/security.md)`,
      ]
    : [`  Kafka (${kafka.securityProtocol}): connections are User:anonymous (no SASL on this listener)`];
  return [
    `Authorization is on (STRATA_AUTH=on): a request no ACL allows is refused. Super users: ${superUsers.join(', ')}`,
    `  HTTP: act as a principal with the local-only header x-strata-local-principal (a JWT subject,`,
    `  or an IAM ARN when it starts with arn:); without it a request is User:anonymous. E.g.`,
    `  curl -H 'x-strata-local-principal: ${name}' ${url}/v1/acls`,
    ...sasl,
    '',
  ].join('\n');
}

/** Signals closer than this to the first are echoes of the same Ctrl-C. */
const REPEATED_SIGNAL_GRACE_MS = 1000;

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`STRATA_PORT must be a port number, got ${raw}`);
  }
  return port;
}

function parseInterval(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0)
    throw new Error(`STRATA_MAINTENANCE_INTERVAL_MS must be ms >= 0, got ${raw}`);
  return ms;
}

function quickStart(url: string, kafka: string): string {
  // Keyed records go where Kafka's murmur2 partitioner sends them: fetch from that partition.
  const partition = partitionForKey(Buffer.from('k1'), 3);
  return [
    `Strata is serving the HTTP API on ${url}`,
    '',
    'Quick start:',
    `  curl -X POST ${url}/v1/topics -H 'content-type: application/json' \\`,
    `    -d '{"name":"orders","partitions":3}'`,
    `  curl -X POST ${url}/v1/topics/orders/records -H 'content-type: application/json' \\`,
    `    -d '{"records":[{"key":"k1","value":"hello"}]}'`,
    `  curl '${url}/v1/topics/orders/partitions/${partition}/records?offset=0'`,
    '',
    `(Key k1 lands on partition ${partition}, as in Kafka.)`,
    '',
    `Kafka clients: bootstrap servers ${kafka}`,
    `  kcat -b ${kafka} -L`,
    `  echo 'k1:hello from kcat' | kcat -b ${kafka} -P -t orders -K:`,
    `  kcat -b ${kafka} -C -t orders -o beginning -e -f '%p:%o %k %s\\n'`,
    '',
    'Ctrl-C stops.',
  ].join('\n');
}

async function main(): Promise<void> {
  const env = process.env;
  const config = configFromEnv(env);
  // Authorization on with no super user would lock everyone out of the ACL routes: bootstrap one.
  if (config.authEnabled && config.superUsers.length === 0) config.superUsers = [LOCAL_SUPER_USER];
  const { s3Endpoint, dynamodbEndpoint, ...names } = config;
  const dataDir = env.STRATA_DATA_DIR || './.strata';
  const host = env.STRATA_HOST || '127.0.0.1';
  // With authorization on, the Kafka port asks for SASL too (unless STRATA_KAFKA_SECURITY_PROTOCOL says).
  const kafka = gatewayConfigFromEnv(env, {
    host,
    ...(config.authEnabled ? { securityProtocol: 'SASL_PLAINTEXT' as const } : {}),
  });

  let stack: LocalStack | undefined;
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // One Ctrl-C can arrive more than once: the terminal signals the whole process group and
      // tsx (npm start) relays it again. Only a later one is the user insisting.
      if (Date.now() - firstSignalAt < REPEATED_SIGNAL_GRACE_MS) return;
      console.error(`${signal} again: exiting without a clean stop`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    console.error(`${signal}: stopping; in-flight requests finish first (Ctrl-C again forces exit)`);
    // Before the stack is up there is nothing to drain: starting finishes, then stops below.
    stack?.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('stop failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  stack = await startLocalStack({
    dataDir,
    port: parsePort(env.STRATA_PORT, 4510),
    host,
    kafka,
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
    ...(s3Endpoint && env.STRATA_S3_ACCESS_KEY_ID && env.STRATA_S3_SECRET_ACCESS_KEY
      ? {
          s3Credentials: {
            accessKeyId: env.STRATA_S3_ACCESS_KEY_ID,
            secretAccessKey: env.STRATA_S3_SECRET_ACCESS_KEY,
          },
        }
      : {}),
    config: names,
    localPrincipals: config.authEnabled,
    // Built at every start (esbuild, well under a second) into the git-ignored data dir.
    console: { dir: join(dataDir, 'console') },
    maintenanceIntervalMs: parseInterval(env.STRATA_MAINTENANCE_INTERVAL_MS, 60_000),
  });
  if (firstSignalAt !== undefined) {
    await stack.stop();
    process.exit(0);
  }
  console.log(`DynamoDB: ${stack.endpoints.dynamodb}   S3: ${stack.endpoints.s3}   data: ${dataDir}`);
  console.log(quickStart(stack.url, stack.kafka?.bootstrap ?? `${kafka.host}:${kafka.port}`));
  console.log(`Web console: ${stack.consoleUrl}${config.readOnly ? ' (read-only: STRATA_READ_ONLY)' : ''}`);
  if (config.authEnabled) {
    // The super user gets a SASL password of its own for this run, so the whole model can be tried.
    const superUser = parsePrincipal(config.superUsers[0] ?? LOCAL_SUPER_USER);
    const password =
      kafka.securityProtocol.startsWith('SASL') && superUser
        ? randomBytes(12).toString('base64url')
        : undefined;
    if (password && superUser) await upsertUser(stack.engine, { name: superUser.name, password });
    console.log(
      authNotice(stack.url, config.superUsers, {
        bootstrap: stack.kafka?.bootstrap ?? `${kafka.host}:${kafka.port}`,
        securityProtocol: kafka.securityProtocol,
        ...(password ? { password } : {}),
      }),
    );
  }
}

main().catch((err: unknown) => {
  if (err instanceof DataDirInUseError) {
    // Not a fault to debug: one sentence says what to do.
    console.error(`local stack not started: ${err.message}`);
  } else {
    console.error('local stack failed to start:', err);
  }
  process.exit(1);
});
