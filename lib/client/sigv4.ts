/**
 * SigV4 request signing for a deployed Strata (API Gateway with IAM authorization, or the tail's
 * Lambda Function URL), plugged into the client's `requestSigner` hook:
 *
 *   import { signerForEndpoint } from 'strata/sigv4';
 *   const endpoint = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
 *   const strata = new Strata({ endpoint, requestSigner: signerForEndpoint(endpoint) });
 *
 * Kept apart from the client's core: the AWS SDK's signer and credential chain load only from
 * here, and only on the first signed request. Credentials default to the SDK's Node.js provider
 * chain (environment, AWS_PROFILE and shared config, SSO, web identity, container and instance roles).
 */
import type { RequestSigner, SignableRequest } from './http.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; they are fetched again shortly before. */
  expiration?: Date;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface SigV4SignerOptions {
  region: string;
  /** `execute-api` for the HTTP API (default), `lambda` for a Function URL. */
  service?: string;
  /** Fixed keys, or a provider; default: the AWS SDK's Node.js credential provider chain. */
  credentials?: AwsCredentials | CredentialsProvider;
  /** The signing time (tests pin it); default: now. */
  now?: () => Date;
}

/** Refresh temporary credentials this long before they expire. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

/** A `requestSigner` for `new Strata({ endpoint, requestSigner })`. */
export function createSigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const service = options.service ?? 'execute-api';
  let signer:
    | Promise<{
        sign(request: unknown, args: { signingDate: Date }): Promise<{ headers: Record<string, string> }>;
      }>
    | undefined;
  const credentials = cachedCredentials(options.credentials);

  return async (request: SignableRequest): Promise<SignableRequest> => {
    signer ??= (async () => {
      const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
        import('@smithy/signature-v4'),
        import('@aws-crypto/sha256-js'),
      ]);
      return new SignatureV4({
        service,
        region: options.region,
        credentials,
        sha256: Sha256,
        // Non-S3 services: each path segment is URI-encoded twice, as AWS verifies it.
        uriEscapePath: true,
        // API Gateway and Function URLs do not need x-amz-content-sha256; the payload is signed anyway.
        applyChecksum: false,
      });
    })();
    const url = new URL(request.url);
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const prior = query[key];
      query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    headers.host = url.host;
    const signed = await (await signer).sign(
      {
        method: request.method.toUpperCase(),
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      },
      { signingDate: options.now?.() ?? new Date() },
    );
    // fetch sets Host from the URL itself (the very value signed above).
    const { host: _host, ...sent } = signed.headers;
    return { ...request, headers: sent };
  };
}

function cachedCredentials(source: SigV4SignerOptions['credentials']): CredentialsProvider {
  if (source !== undefined && typeof source !== 'function') {
    const fixed = source;
    return async () => fixed;
  }
  let provider: Promise<CredentialsProvider> | undefined;
  let current: Promise<AwsCredentials> | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  return () => {
    if (!current || Date.now() > expiresAt - EXPIRY_MARGIN_MS) {
      provider ??= source
        ? Promise.resolve(source)
        : import('@aws-sdk/credential-providers').then(
            (m) => m.fromNodeProviderChain() as CredentialsProvider,
          );
      current = provider
        .then((p) => p())
        .then((c) => {
          expiresAt = c.expiration ? c.expiration.getTime() : Number.POSITIVE_INFINITY;
          return c;
        });
      // A failed lookup (no profile, expired SSO session) is retried on the next request.
      current.catch(() => {
        current = undefined;
      });
    }
    return current;
  };
}

export interface EndpointSigning {
  region: string;
  service: string;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

/**
 * How requests to `endpoint` are signed, or undefined when they are not: a local stack
 * (localhost, 127.0.0.1) never is. `STRATA_SIGV4=off` turns signing off, `=on` forces it.
 *  - https://<id>.execute-api.<region>.amazonaws.com -> execute-api in <region>
 *  - https://<id>.lambda-url.<region>.on.aws         -> lambda in <region> (the live tail)
 *  - any other host (a custom domain)               -> execute-api in AWS_REGION / AWS_DEFAULT_REGION
 */
export function endpointSigning(
  endpoint: string,
  env: Record<string, string | undefined> = {},
): EndpointSigning | undefined {
  const mode = (env.STRATA_SIGV4 ?? 'auto').toLowerCase();
  if (mode === 'off' || mode === '0' || mode === 'false') return undefined;
  const host = new URL(endpoint).hostname.toLowerCase();
  const local = LOCAL_HOSTS.has(host) || host.endsWith('.localhost');
  if (local && mode !== 'on' && mode !== '1' && mode !== 'true') return undefined;
  const apiGateway = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host);
  if (apiGateway) return { service: 'execute-api', region: apiGateway[1] as string };
  const functionUrl = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(host);
  if (functionUrl) return { service: 'lambda', region: functionUrl[1] as string };
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      `cannot tell the AWS region of ${endpoint} to sign requests: set AWS_REGION (or STRATA_SIGV4=off for an unsigned endpoint)`,
    );
  }
  return { service: 'execute-api', region };
}

/** A signer for `endpoint` with the default credential chain, or undefined for a local stack. */
export function signerForEndpoint(
  endpoint: string,
  env: Record<string, string | undefined> = (
    globalThis as { process?: { env: Record<string, string | undefined> } }
  ).process?.env ?? {},
  credentials?: SigV4SignerOptions['credentials'],
): RequestSigner | undefined {
  const signing = endpointSigning(endpoint, env);
  if (!signing) return undefined;
  return createSigV4Signer({ ...signing, ...(credentials ? { credentials } : {}) });
}
