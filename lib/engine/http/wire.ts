import type * as z from 'zod/mini';
import type { wireRecord as wireRecordSchema } from '../../contract/schemas.js';
import type { LogRecord } from '../types.js';
import { encodePayload } from '../validation.js';

export type WireRecord = z.infer<typeof wireRecordSchema>;

/** A fetched record as the API shows it: offsets and timestamps as strings, bytes as UTF-8 or base64. */
export function wireRecord(r: LogRecord, encoding: 'utf8' | 'base64'): WireRecord {
  return {
    offset: String(r.offset),
    timestamp: String(r.timestamp),
    key: r.key === null ? null : encodePayload(r.key, encoding),
    value: r.value === null ? null : encodePayload(r.value, encoding),
    headers: Object.fromEntries(
      r.headers.map((h) => [h.key, h.value === null ? null : encodePayload(h.value, encoding)]),
    ),
  };
}
