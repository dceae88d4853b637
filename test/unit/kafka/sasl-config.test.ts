import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from '../../../lib/kafka/config.js';

describe('gatewayConfigFromEnv: the listener security settings', () => {
  const files: Record<string, string> = { '/c.pem': 'CERT', '/k.pem': 'KEY' };
  const read = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`no file ${path}`);
    return text;
  };

  it('defaults: PLAINTEXT, all three mechanisms, a one-hour session, no TLS', () => {
    const c = gatewayConfigFromEnv({});
    expect(c.securityProtocol).toBe('PLAINTEXT');
    expect(c.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect(c.saslSessionLifetimeMs).toBe(3_600_000);
    expect(c.tls).toBeUndefined();
  });

  it('reads the protocol, the mechanisms, the lifetime and the PEM files', () => {
    const c = gatewayConfigFromEnv(
      {
        STRATA_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        STRATA_KAFKA_SASL_MECHANISMS: 'scram-sha-512, PLAIN',
        STRATA_KAFKA_SASL_SESSION_LIFETIME_MS: '0',
        STRATA_KAFKA_TLS_CERT_FILE: '/c.pem',
        STRATA_KAFKA_TLS_KEY_FILE: '/k.pem',
      },
      {},
      read,
    );
    expect(c).toMatchObject({
      securityProtocol: 'SASL_SSL',
      saslMechanisms: ['SCRAM-SHA-512', 'PLAIN'],
      saslSessionLifetimeMs: 0,
      tls: { cert: 'CERT', key: 'KEY' },
    });
  });

  it('refuses an unknown protocol or mechanism, TLS without files, and half a key pair', () => {
    expect(() => gatewayConfigFromEnv({ STRATA_KAFKA_SECURITY_PROTOCOL: 'TLS' })).toThrow(/one of/);
    expect(() => gatewayConfigFromEnv({ STRATA_KAFKA_SASL_MECHANISMS: 'GSSAPI' })).toThrow(/GSSAPI/);
    expect(() => gatewayConfigFromEnv({ STRATA_KAFKA_SECURITY_PROTOCOL: 'SSL' })).toThrow(/TLS_CERT_FILE/);
    expect(() => gatewayConfigFromEnv({ STRATA_KAFKA_TLS_CERT_FILE: '/c.pem' }, {}, read)).toThrow(
      /together/,
    );
  });
});
