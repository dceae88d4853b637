/**
 * SigV4 signing of client requests, checked against AWS's own test vector and against the AWS
 * SDK's SignatureV4 signing the same request by hand, then end to end: a request signed through the
 * client's transport is verified by a server that recomputes the signature from what arrived.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { createSigV4Signer, endpointSigning, signerForEndpoint } from '../../lib/client/sigv4.js';
import { Strata } from '../../lib/client/strata.js';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SESSION = { ...EXAMPLE, sessionToken: 'session-token-example' };
const DATE = new Date('2015-08-30T12:36:00Z');

/** The AWS SDK's signer, the reference: signs a request built by hand. */
async function referenceSign(
  request: {
    method: string;
    host: string;
    path: string;
    query?: Record<string, string | string[]>;
    headers: Record<string, string>;
    body?: string | Uint8Array;
  },
  options: { region: string; service: string; credentials: typeof EXAMPLE & { sessionToken?: string } },
) {
  const signer = new SignatureV4({ ...options, sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.host,
      path: request.path,
      query: request.query ?? {},
      headers: { ...request.headers, host: request.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    { signingDate: DATE },
  );
  return signed.headers;
}

describe('SigV4 signer', () => {
  it("matches AWS's published test vector (aws-sig-v4-test-suite get-vanilla)", async () => {
    const sign = createSigV4Signer({
      region: 'us-east-1',
      service: 'service',
      credentials: EXAMPLE,
      now: () => DATE,
    });
    const signed = await sign({ method: 'GET', url: 'https://example.amazonaws.com/', headers: {} });
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('signs a produce request exactly as the AWS SDK signer does (body, query, session token)', async () => {
    const host = 'abc123.execute-api.eu-west-1.amazonaws.com';
    const body = JSON.stringify({ records: [{ key: 'k', value: 'v' }] });
    const headers = {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-strata-client-id': 'cli',
    };
    const sign = createSigV4Signer({ region: 'eu-west-1', credentials: SESSION, now: () => DATE });
    const signed = await sign({
      method: 'POST',
      url: `https://${host}/v1/topics/orders/records?a=1`,
      headers,
      body,
    });
    const reference = await referenceSign(
      { method: 'POST', host, path: '/v1/topics/orders/records', query: { a: '1' }, headers, body },
      { region: 'eu-west-1', service: 'execute-api', credentials: SESSION },
    );
    expect(signed.headers.authorization).toBe(reference.authorization);
    expect(signed.headers.authorization).toContain('/20150830/eu-west-1/execute-api/aws4_request');
    expect(signed.headers['x-amz-security-token']).toBe('session-token-example');
    expect(signed.headers['x-amz-date']).toBe(reference['x-amz-date']);
    expect(signed.body).toBe(body);
    expect(signed.headers.host).toBeUndefined(); // fetch sends the URL's host, the value signed
  });

  it('signs a binary record batch body by its bytes, as the AWS SDK signer does', async () => {
    const host = 'abc123.execute-api.eu-west-1.amazonaws.com';
    const body = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 49, 255, 255, 255, 255, 2, 128, 7]);
    const headers = { accept: 'application/json', 'content-type': 'application/vnd.kafka.record-batch.v2' };
    const sign = createSigV4Signer({ region: 'eu-west-1', credentials: EXAMPLE, now: () => DATE });
    const path = '/v1/topics/orders/partitions/0/batches';
    const signed = await sign({ method: 'POST', url: `https://${host}${path}`, headers, body });
    const options = { region: 'eu-west-1', service: 'execute-api', credentials: EXAMPLE };
    const reference = await referenceSign({ method: 'POST', host, path, headers, body }, options);
    expect(signed.headers.authorization).toBe(reference.authorization);
    const other = await referenceSign({ method: 'POST', host, path, headers, body: body.slice(1) }, options);
    expect(signed.headers.authorization).not.toBe(other.authorization);
    expect(signed.body).toBe(body);
  });

  it('signs percent-encoded paths and repeated query parameters as the SDK does', async () => {
    const host = 'abc123.execute-api.eu-west-1.amazonaws.com';
    const sign = createSigV4Signer({ region: 'eu-west-1', credentials: EXAMPLE, now: () => DATE });
    const signed = await sign({
      method: 'GET',
      url: `https://${host}/v1/groups/my%20group/offsets?topic=b&topic=a&x=%2B1`,
      headers: { accept: 'application/json' },
    });
    const reference = await referenceSign(
      {
        method: 'GET',
        host,
        path: '/v1/groups/my%20group/offsets',
        query: { topic: ['b', 'a'], x: '+1' },
        headers: { accept: 'application/json' },
      },
      { region: 'eu-west-1', service: 'execute-api', credentials: EXAMPLE },
    );
    expect(signed.headers.authorization).toBe(reference.authorization);
  });

  it('the client sends signed requests that a server recomputing the signature accepts', async () => {
    const { server, port, seen } = await verifyingServer();
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const strata = new Strata({
        endpoint,
        requestSigner: createSigV4Signer({ region: 'eu-west-1', credentials: SESSION }),
      });
      const admin = strata.admin();
      await admin.connect();
      expect(await admin.listTopics()).toEqual(['orders']);
      await admin.createTopics({ topics: [{ topic: 'x', numPartitions: 1 }] }).catch(() => {});
      expect(seen.length).toBeGreaterThanOrEqual(2);
      for (const s of seen) expect(s, s.authorization).toMatchObject({ ok: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('the strata CLI signs with the default credential chain (here: the environment)', async () => {
    const { server, port, seen } = await verifyingServer();
    const home = await mkdtemp(join(tmpdir(), 'strata-cli-home-'));
    try {
      const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
      // STRATA_SIGV4=on: sign although the endpoint is local (a deployed API is signed without it).
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [bin, '--endpoint', `http://127.0.0.1:${port}`, 'topic', 'list'],
        {
          env: {
            PATH: process.env.PATH,
            HOME: home,
            STRATA_SIGV4: 'on',
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: SESSION.accessKeyId,
            AWS_SECRET_ACCESS_KEY: SESSION.secretAccessKey,
            AWS_SESSION_TOKEN: SESSION.sessionToken,
          },
        },
      );
      expect(stdout).toContain('orders');
      expect(seen.length).toBeGreaterThan(0);
      for (const s of seen) expect(s, s.authorization).toMatchObject({ ok: true });
      expect(seen[0]?.authorization).toContain('/eu-west-1/execute-api/aws4_request');
    } finally {
      await new Promise((r) => server.close(r));
      await rm(home, { recursive: true, force: true });
    }
  });
});

/** A stand-in for API Gateway's IAM check: records whether each request's signature verifies. */
async function verifyingServer(): Promise<{
  server: Server;
  port: number;
  seen: { ok: boolean; authorization?: string }[];
}> {
  const seen: { ok: boolean; authorization?: string }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push(await verify(req, Buffer.concat(chunks).toString('utf8')));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ topics: [{ name: 'orders', partitions: 3 }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** Recomputes the signature from the request as received (as API Gateway does) and compares. */
async function verify(req: IncomingMessage, body: string): Promise<{ ok: boolean; authorization?: string }> {
  const authorization = req.headers.authorization ?? '';
  const m =
    /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(
      authorization,
    );
  if (!m) return { ok: false, authorization };
  const [, , , region, service, signedHeaders] = m as unknown as string[];
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prior = query[k];
    query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders as string).split(';')) headers[name] = String(req.headers[name]);
  const amzDate = headers['x-amz-date'] as string;
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const signer = new SignatureV4({
    region: region as string,
    service: service as string,
    credentials: SESSION,
    sha256: Sha256,
    applyChecksum: false,
  });
  const { 'x-amz-date': _d, authorization: _a, ...unsigned } = headers;
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: unsigned,
      ...(body === '' ? {} : { body }),
    },
    { signingDate },
  );
  return { ok: expected.headers.authorization === authorization, authorization };
}

describe('which endpoints are signed', () => {
  it('never a local stack', () => {
    expect(endpointSigning('http://localhost:4510')).toBeUndefined();
    expect(endpointSigning('http://127.0.0.1:4510')).toBeUndefined();
    expect(signerForEndpoint('http://localhost:4510', {})).toBeUndefined();
  });

  it('API Gateway and Function URLs: service and region from the host name', () => {
    expect(endpointSigning('https://abc123.execute-api.eu-west-1.amazonaws.com')).toEqual({
      service: 'execute-api',
      region: 'eu-west-1',
    });
    expect(endpointSigning('https://abcdefghij.lambda-url.us-east-2.on.aws/')).toEqual({
      service: 'lambda',
      region: 'us-east-2',
    });
  });

  it('a custom domain: execute-api in AWS_REGION, or a clear error without one', () => {
    expect(endpointSigning('https://strata.example.com', { AWS_REGION: 'ap-south-1' })).toEqual({
      service: 'execute-api',
      region: 'ap-south-1',
    });
    expect(() => endpointSigning('https://strata.example.com', {})).toThrow(/AWS_REGION/);
  });

  it('STRATA_SIGV4 overrides: off never signs, on signs even a local endpoint', () => {
    expect(
      endpointSigning('https://abc123.execute-api.eu-west-1.amazonaws.com', { STRATA_SIGV4: 'off' }),
    ).toBeUndefined();
    expect(endpointSigning('http://localhost:4510', { STRATA_SIGV4: 'on', AWS_REGION: 'eu-west-1' })).toEqual(
      {
        service: 'execute-api',
        region: 'eu-west-1',
      },
    );
  });
});
