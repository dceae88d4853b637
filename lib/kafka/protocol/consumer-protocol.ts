/**
 * The consumer protocol's embedded blobs (Kafka's ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, versions 0-3, never flexible): an int16 version, then the struct.
 * They travel as opaque bytes inside JoinGroup, SyncGroup and DescribeGroups; the gateway writes
 * them to describe a group's members as Kafka's tools expect to read them.
 */
import { array, type Field, field as f, type Input, type Struct } from './schema/types.js';
import { readStruct, writeStruct } from './struct.js';
import { Reader, Writer } from './wire.js';

const topicPartition = [f('topic', 'string'), f('partitions', array('int32'))] as const;

export const ConsumerProtocolSubscription = [
  f('topics', array('string')),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
  f('ownedPartitions', array(topicPartition), '1+'),
  f('generationId', 'int32', '2+', { default: -1 }),
  f('rackId', 'string', '3+', { nullable: '3+', default: null }),
] as const;

export const ConsumerProtocolAssignment = [
  f('assignedPartitions', array(topicPartition)),
  f('userData', 'bytes', '0+', { nullable: '0+', default: null }),
] as const;

export type Subscription = Struct<typeof ConsumerProtocolSubscription>;
export type Assignment = Struct<typeof ConsumerProtocolAssignment>;

const MAX_VERSION = 3;

function encode(fields: readonly Field[], version: number, value: Record<string, unknown>): Uint8Array {
  const w = new Writer(64);
  w.int16(version);
  writeStruct(w, fields, version, false, value);
  return w.finish();
}

/** Reads a blob of any version up to 3; a newer one is read as version 3 (later fields are appended). */
function decode(
  fields: readonly Field[],
  bytes: Uint8Array,
): { version: number; value: Record<string, unknown> } {
  const r = new Reader(bytes);
  const version = r.int16();
  return { version, value: readStruct(r, fields, Math.min(Math.max(version, 0), MAX_VERSION), false) };
}

export function encodeSubscription(
  value: Input<typeof ConsumerProtocolSubscription>,
  version = 0,
): Uint8Array {
  return encode(ConsumerProtocolSubscription, version, value);
}

export function encodeAssignment(value: Input<typeof ConsumerProtocolAssignment>, version = 0): Uint8Array {
  return encode(ConsumerProtocolAssignment, version, value);
}

export function decodeSubscription(bytes: Uint8Array): { version: number; value: Subscription } {
  const { version, value } = decode(ConsumerProtocolSubscription, bytes);
  return { version, value: value as Subscription };
}

export function decodeAssignment(bytes: Uint8Array): { version: number; value: Assignment } {
  const { version, value } = decode(ConsumerProtocolAssignment, bytes);
  return { version, value: value as Assignment };
}
