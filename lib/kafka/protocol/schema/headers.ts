import { field as f } from './types.js';

/**
 * Request header v1 (classic) and v2 (flexible: adds a tagged-field section). The client id stays
 * a classic int16-length string even in v2. Header v0 (no client id) serves only ControlledShutdown
 * v0, which we do not speak.
 */
export const RequestHeader = [
  f('apiKey', 'int16'),
  f('apiVersion', 'int16'),
  f('correlationId', 'int32'),
  f('clientId', 'string', '1+', { nullable: '1+', flexible: 'none' }),
] as const;

/** Response header v0, and v1 (flexible: adds a tagged-field section). ApiVersions always answers with v0. */
export const ResponseHeader = [f('correlationId', 'int32')] as const;
