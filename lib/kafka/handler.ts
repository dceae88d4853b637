import { ERRORS, type ServerErrorCode } from '../contract/errors.js';
import {
  type Authorizer,
  type Engine,
  type Principal,
  type ProduceFlusher,
  StrataError,
} from '../engine/index.js';
import type { GatewayConfig } from './config.js';
import type { ApiName, RequestBody, ResponseInput } from './protocol/schema/index.js';
import type { SaslAuthenticator } from './sasl.js';

/** What a handler knows about the request beyond its body. */
export interface RequestContext {
  engine: Engine;
  /** Produce batches of every connection into shared flushes (one S3 object, few commits). */
  flusher: ProduceFlusher;
  config: GatewayConfig;
  /** The virtual broker as clients must see it: node 0 at the advertised address. */
  broker: { nodeId: number; host: string; port: number };
  apiVersion: number;
  clientId: string | null;
  /** The peer's address, for DescribeGroups, ACL host matching and logs. */
  clientHost: string;
  /** The connection's state: who it authenticated as (SASL), `User:anonymous` before or without. */
  session: ConnectionSession;
  /** What this connection's principal may do (ACLs; everything when authorization is off). */
  authz: Authorizer;
  /**
   * Produce calls this once its batches hold their place in a flush: the connection may then
   * start its next Produce (their order is kept by the flush). Calling it is optional: the next
   * one starts anyway once this request is answered.
   */
  admitted(): void;
}

/** Per connection, shared by its requests. */
export interface ConnectionSession {
  principal: Principal;
  /** The connection's SASL exchange, on a SASL listener only (SaslHandshake and SaslAuthenticate drive it). */
  sasl?: SaslAuthenticator;
}

/** Returned by a handler when Kafka sends no response at all (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/**
 * One API of the gateway: the versions it serves and how it answers. A handler answers every
 * per-topic or per-partition failure inside its response with Kafka's code; what it throws is
 * a fault of the request as a whole, and the connection answers it by closing (docs/kafka.md).
 */
export interface ApiHandler<N extends ApiName> {
  api: N;
  /** The versions served. */
  min: number;
  max: number;
  /**
   * Advertised from here when lower than `min`, and answered with UNSUPPORTED_VERSION when used:
   * librdkafka turns compression off unless Produce is advertised from v0.
   */
  advertisedMin?: number;
  handle(ctx: RequestContext, body: RequestBody<N>): Promise<ResponseInput<N> | NoResponse>;
  /** The response when the version is advertised but not served: every error code set to `code`. */
  reject?(ctx: RequestContext, body: RequestBody<N>, code: number): ResponseInput<N>;
}

/** A handler whose request and response types are checked against its API. */
export function defineHandler<N extends ApiName>(handler: ApiHandler<N>): ApiHandler<N> {
  return handler;
}

/** Kafka's numeric code for a failure: a StrataError's own, else UNKNOWN_SERVER_ERROR. */
export function kafkaErrorCode(err: unknown): number {
  return err instanceof StrataError ? err.kafkaCode : ERRORS.UNKNOWN_SERVER_ERROR.kafkaCode;
}

/** A message for the response's errorMessage fields; internal faults say no more than their code. */
export function kafkaErrorMessage(err: unknown): string | null {
  return err instanceof StrataError ? err.message : null;
}

/** Kafka's numeric code for an error name of the table. */
export function codeOf(name: ServerErrorCode): number {
  return ERRORS[name].kafkaCode;
}

export const NONE = 0;

/** A handler of some API, as the registry and the dispatcher hold it. */
export interface AnyHandler {
  api: ApiName;
  min: number;
  max: number;
  advertisedMin?: number;
  handle(ctx: RequestContext, body: unknown): Promise<unknown>;
  reject?(ctx: RequestContext, body: unknown, code: number): unknown;
}

export function anyHandler<N extends ApiName>(handler: ApiHandler<N>): AnyHandler {
  return handler as unknown as AnyHandler;
}
