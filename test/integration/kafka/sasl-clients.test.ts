/**
 * Real clients over SASL and TLS: kcat and confluent-kafka (librdkafka) produce and consume with
 * SCRAM-SHA-512 over TLS (SASL_SSL, a throwaway CA made here with the openssl CLI), kafka-python
 * authenticates with PLAIN (SASL_PLAINTEXT, raw tokens after SaslHandshake v0), kcat with a wrong
 * password is refused, and `strata gateway` reads the same settings from its environment.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../../lib/engine/index.js';
import type { KafkaGateway } from '../../../lib/kafka/gateway.js';
import { startTestGateway, useTestGateway } from '../../support/gateway.js';
import { killStrataAfterAll, startGatewayProcess } from '../../support/gateway-process.js';
import {
  createTopicHttp,
  KCAT,
  kcatJsonLines,
  killChildrenAfterAll,
  PYTHON,
  PYTHON_DIR,
  runOk,
  runProcess,
} from '../../support/kafka-clients.js';

/** A CA and a server certificate for 127.0.0.1 and localhost, valid a day, in a fresh temp dir. */
function makeCertificates(): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
  const at = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=strata-test-ca',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    at('server.key'),
    '-out',
    at('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('server.pem'),
    '-days',
    '1',
    '-extfile',
    at('ext.cnf'),
  );
  return { dir, ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key') };
}

const certs = makeCertificates();
const ctx = useTestGateway({
  securityProtocol: 'SASL_SSL',
  tls: { cert: readFileSync(certs.cert, 'utf8'), key: readFileSync(certs.key, 'utf8') },
});
killChildrenAfterAll();
killStrataAfterAll();

const USER = 'alice';
const PASSWORD = 'alice-secret';
beforeAll(async () => {
  await upsertUser(ctx.engine, { name: USER, password: PASSWORD });
});

const scramSsl = (password = PASSWORD) => [
  '-X',
  'security.protocol=SASL_SSL',
  '-X',
  'sasl.mechanisms=SCRAM-SHA-512',
  '-X',
  `sasl.username=${USER}`,
  '-X',
  `sasl.password=${password}`,
  '-X',
  `ssl.ca.location=${certs.ca}`,
];

/**
 * kcat with SCRAM-SHA-512 over TLS: a fresh one-partition `topic`, `input`'s lines produced to it,
 * then its first `count` records consumed from offset 0.
 */
async function kcatRoundTrip(bootstrap: string, topic: string, input: string, count: number) {
  await createTopicHttp(ctx.http, topic, 1);
  await runOk(KCAT, ['-b', bootstrap, ...scramSsl(), '-P', '-t', topic, '-p', '0'], { input });
  const out = await runOk(KCAT, [
    '-b',
    bootstrap,
    ...scramSsl(),
    '-C',
    '-t',
    topic,
    '-p',
    '0',
    '-o',
    '0',
    '-c',
    String(count),
    '-e',
    '-J',
  ]);
  return kcatJsonLines(out);
}

/** sasl_clients.py with one client: what it produced (offsets) and read back (values). */
async function python(
  client: 'confluent' | 'kafka-python',
  bootstrap: string,
  config: object,
  topic: string,
  values: string[],
) {
  const out = await runOk(PYTHON, [`${PYTHON_DIR}sasl_clients.py`], {
    input: JSON.stringify({ client, bootstrap, config, topic, values }),
    timeoutMs: 60_000,
  });
  const text = out.toString().trim();
  return JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as { offsets: number[]; values: string[] };
}

describe('SASL_SSL with SCRAM-SHA-512', () => {
  it('kcat produces and consumes', async () => {
    const topic = 'sasl-kcat';
    const records = await kcatRoundTrip(ctx.bootstrap, topic, 'one\ntwo\nthree\n', 3);
    expect(records.map((r) => [r.offset, r.payload])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [2, 'three'],
    ]);
  });

  it('confluent-kafka produces and consumes', async () => {
    const topic = 'sasl-confluent';
    await createTopicHttp(ctx.http, topic, 1);
    const res = await python(
      'confluent',
      ctx.bootstrap,
      {
        'security.protocol': 'SASL_SSL',
        'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': USER,
        'sasl.password': PASSWORD,
        'ssl.ca.location': certs.ca,
      },
      topic,
      ['a', 'b', 'c', 'd'],
    );
    expect(res).toEqual({ offsets: [0, 1, 2, 3], values: ['a', 'b', 'c', 'd'] });
  });

  it('kcat with a wrong password is refused with the authentication error', async () => {
    const r = await runProcess(KCAT, ['-b', ctx.bootstrap, ...scramSsl('wrong'), '-L', '-m', '5']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SASL authentication error: Authentication failed/);
  });

  it('kcat without TLS to the TLS listener gets no metadata', async () => {
    const r = await runProcess(KCAT, [
      '-b',
      ctx.bootstrap,
      '-X',
      'security.protocol=SASL_PLAINTEXT',
      '-X',
      'sasl.mechanisms=PLAIN',
      '-X',
      `sasl.username=${USER}`,
      '-X',
      `sasl.password=${PASSWORD}`,
      '-L',
      '-m',
      '3',
    ]);
    expect(r.code).not.toBe(0);
  });
});

describe('SASL_PLAINTEXT with PLAIN', () => {
  let plain: KafkaGateway;
  beforeAll(async () => {
    plain = await startTestGateway(ctx.engine, {
      securityProtocol: 'SASL_PLAINTEXT',
      saslMechanisms: ['PLAIN'],
    });
  });
  afterAll(() => plain?.close());

  it('kafka-python (SaslHandshake v0, raw tokens) produces and consumes', async () => {
    const topic = 'sasl-kafka-python';
    await createTopicHttp(ctx.http, topic, 1);
    const res = await python(
      'kafka-python',
      plain.bootstrap,
      {
        security_protocol: 'SASL_PLAINTEXT',
        sasl_mechanism: 'PLAIN',
        sasl_plain_username: USER,
        sasl_plain_password: PASSWORD,
      },
      topic,
      ['x', 'y'],
    );
    expect(res).toEqual({ offsets: [0, 1], values: ['x', 'y'] });
  });

  it('kafka-python with a wrong password fails', async () => {
    const r = await runProcess(PYTHON, [`${PYTHON_DIR}sasl_clients.py`], {
      input: JSON.stringify({
        client: 'kafka-python',
        bootstrap: plain.bootstrap,
        config: {
          security_protocol: 'SASL_PLAINTEXT',
          sasl_mechanism: 'PLAIN',
          sasl_plain_username: USER,
          sasl_plain_password: 'nope',
          api_version_auto_timeout_ms: 5000,
          reconnect_backoff_max_ms: 100,
        },
        topic: 'sasl-kafka-python',
        values: ['z'],
      }),
      timeoutMs: 60_000,
    });
    expect(r.code).not.toBe(0);
    // kafka-python reports a refused bootstrap as no broker at all (the same call succeeds with the right password above).
    expect(r.stderr).toMatch(/NoBrokersAvailable/);
  });
});

describe('strata gateway reads the SASL and TLS settings from its environment', () => {
  it('kcat produces and consumes over SASL_SSL with SCRAM-SHA-512 against the process', async () => {
    const { bootstrap } = await startGatewayProcess(ctx.engine.config, {
      STRATA_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      STRATA_KAFKA_SASL_MECHANISMS: 'SCRAM-SHA-512',
      STRATA_KAFKA_TLS_CERT_FILE: certs.cert,
      STRATA_KAFKA_TLS_KEY_FILE: certs.key,
    });
    const topic = 'sasl-process';
    const records = await kcatRoundTrip(bootstrap, topic, 'p1\np2\n', 2);
    expect(records.map((r) => r.payload)).toEqual(['p1', 'p2']);
  });
});
