import {
  KafkaProtocolError,
  MalformedFrameError,
  type PartialRequestHeader,
  UnknownApiKeyError,
  UnsupportedApiVersionError,
} from './errors.js';
import { RequestHeader, ResponseHeader } from './schema/headers.js';
import {
  API_BY_KEY,
  APIS,
  type ApiKey,
  type ApiName,
  type ApiNameOf,
  type RequestBody,
  type RequestInput,
  type ResponseBody,
  type ResponseInput,
} from './schema/index.js';
import { type ApiSchema, inVersions, type UnknownTag } from './schema/types.js';
import { readStruct, writeStruct } from './struct.js';
import { Reader, Writer } from './wire.js';

/**
 * The Kafka protocol codec. A frame is what follows the int32 size on the wire; decoders take a
 * frame, encoders return the whole message (size included) ready to write to a socket.
 * Decoded bytes and records fields are views into the frame, not copies.
 */

export interface RequestHeaderValue {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  unknownTags?: UnknownTag[];
}

/** A decoded request, discriminated by `api` so a switch narrows `body`. */
export type DecodedRequest = {
  [N in ApiName]: { api: N; header: RequestHeaderValue; body: RequestBody<N> };
}[ApiName];

export function isFlexible(schema: ApiSchema, version: number): boolean {
  return inVersions(schema.flexible, version);
}

/** ApiVersions answers with header v0 whatever its version (KIP-511), so clients can read it before they know. */
export function responseHeaderVersion(apiKey: number, version: number): 0 | 1 {
  const schema = API_BY_KEY.get(apiKey);
  if (!schema || apiKey === APIS.ApiVersions.key) return 0;
  return isFlexible(schema, version) ? 1 : 0;
}

export function requestHeaderVersion(apiKey: number, version: number): 1 | 2 {
  const schema = API_BY_KEY.get(apiKey);
  return schema && isFlexible(schema, version) ? 2 : 1;
}

/**
 * Decodes one request frame. Throws only KafkaProtocolError: UnknownApiKeyError,
 * UnsupportedApiVersionError (both carry what was read of the header, so the gateway can answer),
 * MalformedFrameError or its TruncatedFrameError.
 */
export function decodeRequest(frame: Uint8Array): DecodedRequest {
  let partial: PartialRequestHeader | undefined;
  try {
    const r = new Reader(frame);
    partial = { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
    const schema = API_BY_KEY.get(partial.apiKey);
    const known = schema && inVersions(schema.versions, partial.apiVersion);
    if (!known) {
      // The client id sits where it does in every header version we know; read it if it is there.
      partial.clientId = readClientIdIfAny(r);
      if (!schema) throw new UnknownApiKeyError(partial);
      throw new UnsupportedApiVersionError(partial);
    }
    const flexible = isFlexible(schema, partial.apiVersion);
    r.pos = 0;
    const header = readStruct(r, RequestHeader, flexible ? 2 : 1, flexible) as unknown as RequestHeaderValue;
    partial = header;
    const body = readStruct(r, schema.request, header.apiVersion, flexible);
    if (r.remaining !== 0) throw new MalformedFrameError(`${r.remaining} bytes after the request body`);
    return { api: schema.name, header, body } as DecodedRequest;
  } catch (err) {
    throw asProtocolError(err, partial);
  }
}

/** Encodes a response: size, header (v0 or v1, ApiVersions always v0), body. Fields left out take their defaults. */
export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: ResponseInput<ApiNameOf<K>>,
): Uint8Array {
  const schema = schemaAt(apiKey, version);
  const w = new Writer(256);
  w.int32(0);
  writeStruct(w, ResponseHeader, 0, responseHeaderVersion(apiKey, version) === 1, { correlationId });
  writeStruct(w, schema.response, version, isFlexible(schema, version), body as Record<string, unknown>);
  w.patchInt32(0, w.length - 4);
  return w.finish();
}

/** Encodes a request (for tests and tools; the gateway only decodes them). */
export function encodeRequest<K extends ApiKey>(
  header: {
    apiKey: K;
    apiVersion: number;
    correlationId: number;
    clientId?: string | null;
    unknownTags?: UnknownTag[];
  },
  body: RequestInput<ApiNameOf<K>>,
): Uint8Array {
  const schema = schemaAt(header.apiKey, header.apiVersion);
  const flexible = isFlexible(schema, header.apiVersion);
  const w = new Writer(256);
  w.int32(0);
  writeStruct(w, RequestHeader, flexible ? 2 : 1, flexible, { clientId: null, ...header });
  writeStruct(w, schema.request, header.apiVersion, flexible, body as Record<string, unknown>);
  w.patchInt32(0, w.length - 4);
  return w.finish();
}

/** Decodes a response frame, given the API and version of the request it answers. */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  version: number,
  frame: Uint8Array,
): { correlationId: number; headerTags?: UnknownTag[]; body: ResponseBody<ApiNameOf<K>> } {
  try {
    const schema = schemaAt(apiKey, version);
    const r = new Reader(frame);
    const header = readStruct(r, ResponseHeader, 0, responseHeaderVersion(apiKey, version) === 1);
    const body = readStruct(r, schema.response, version, isFlexible(schema, version));
    if (r.remaining !== 0) throw new MalformedFrameError(`${r.remaining} bytes after the response body`);
    return {
      correlationId: header.correlationId as number,
      ...(header.unknownTags ? { headerTags: header.unknownTags } : {}),
      body: body as ResponseBody<ApiNameOf<K>>,
    };
  } catch (err) {
    throw asProtocolError(err, undefined);
  }
}

function schemaAt(apiKey: number, version: number): ApiSchema {
  const schema = API_BY_KEY.get(apiKey);
  const header = { apiKey, apiVersion: version, correlationId: -1 };
  if (!schema) throw new UnknownApiKeyError(header);
  if (!inVersions(schema.versions, version)) throw new UnsupportedApiVersionError(header);
  return schema;
}

function readClientIdIfAny(r: Reader): string | null | undefined {
  if (r.remaining < 2) return undefined;
  const length = r.int16();
  if (length < 0 || length > r.remaining) return length === -1 ? null : undefined;
  try {
    return r.utf8(length);
  } catch {
    return undefined;
  }
}

function asProtocolError(err: unknown, header: PartialRequestHeader | undefined): KafkaProtocolError {
  const protocolError =
    err instanceof KafkaProtocolError ? err : new MalformedFrameError('undecodable frame', { cause: err });
  if (header && !protocolError.header) protocolError.header = header;
  return protocolError;
}
