import { randomUUID } from 'node:crypto';
import { topicConfigString } from '../../contract/limits.js';
import type { Engine } from '../engine.js';
import {
  CommitConflictError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidReplicaAssignmentError,
  InvalidReplicationFactorError,
  InvalidRequestError,
  TopicAlreadyExistsError,
  UnknownTopicIdError,
  UnknownTopicOrPartitionError,
} from '../errors.js';
import type { PartitionHead, Topic, TopicConfig } from '../types.js';
import { DEFAULT_TOPIC_CONFIG, LIMITS, validateTopicConfig, validateTopicName } from '../validation.js';

export interface CreateTopicInput {
  name: string;
  /** Absent: `defaultPartitions` of the options, else 1. */
  partitions?: number;
  config?: Record<string, unknown>;
  /**
   * Kafka's CreateTopics: any factor of 1 or more is accepted (tools ask for 3) and the topic is
   * stored once, as every topic is; 0 or a negative factor is INVALID_REPLICATION_FACTOR. Absent
   * means the default.
   */
  replicationFactor?: number;
  /**
   * Kafka's manual assignment: the partition index of each entry (the brokers named are ignored:
   * one virtual broker holds every partition). Given, it fixes the partition count, and neither
   * `partitions` nor `replicationFactor` may be given.
   */
  assignedPartitions?: readonly number[];
}

export interface CreateTopicOptions {
  /** Check everything, including that the name is free, and create nothing (Kafka's validateOnly). */
  validateOnly?: boolean;
  /** Partitions when the input names none (the Kafka gateway's num.partitions). */
  defaultPartitions?: number;
}

function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > LIMITS.maxPartitions) {
    throw new InvalidPartitionsError(
      `partitions must be between 1 and ${LIMITS.maxPartitions}, got ${count}`,
    );
  }
}

/** The topic-level keys of a creation's config: those with a value. */
function setKeys(config: Record<string, unknown> | undefined): (keyof TopicConfig)[] {
  return Object.entries(config ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k as keyof TopicConfig)
    .sort();
}

function partitionsOf(input: CreateTopicInput, options: CreateTopicOptions): number {
  const assigned = input.assignedPartitions;
  if (assigned && assigned.length > 0) {
    if (input.replicationFactor !== undefined) {
      throw new InvalidRequestError(
        'a manual partition assignment was given, but the replication factor was not -1',
      );
    }
    if (input.partitions !== undefined) {
      throw new InvalidRequestError('a manual partition assignment was given, but numPartitions was not -1');
    }
    const seen = new Set<number>();
    for (const p of assigned) {
      if (seen.has(p)) {
        throw new InvalidReplicaAssignmentError(`more than one manual assignment for partition ${p}`);
      }
      seen.add(p);
    }
    for (let i = 0; i < seen.size; i++) {
      if (!seen.has(i)) {
        throw new InvalidReplicaAssignmentError('partitions must be a consecutive 0-based sequence');
      }
    }
    checkPartitionCount(seen.size);
    return seen.size;
  }
  const rf = input.replicationFactor;
  if (rf !== undefined && (!Number.isInteger(rf) || rf < 1)) {
    throw new InvalidReplicationFactorError(
      `replication factor must be larger than 0, or -1 for the default; got ${rf}`,
    );
  }
  const partitions = input.partitions ?? options.defaultPartitions ?? 1;
  checkPartitionCount(partitions);
  return partitions;
}

/**
 * Creates a topic, or with `validateOnly` checks that it could be created (name, partitions,
 * config, and that no topic has the name) and returns what it would be, id included, unstored.
 */
export async function createTopic(
  engine: Engine,
  input: CreateTopicInput,
  options: CreateTopicOptions = {},
): Promise<Topic> {
  const name = validateTopicName(input.name);
  const config = validateTopicConfig(input.config);
  const partitions = partitionsOf(input, options);
  const topic: Topic = {
    name,
    topicId: randomUUID(),
    partitions,
    config,
    configOverrides: setKeys(input.config),
    configVersion: 0,
    createdAt: engine.now(),
  };
  if (options.validateOnly) {
    if (await engine.metadata.findTopic(name))
      throw new TopicAlreadyExistsError(`topic ${name} already exists`);
    return topic;
  }
  // Heads are not written here: a missing head is an empty partition, so creation is one put.
  await engine.metadata.createTopic(topic);
  return topic;
}

export async function getTopic(engine: Engine, name: string): Promise<Topic> {
  return engine.metadata.getTopic(validateTopicName(name));
}

export async function listTopics(engine: Engine): Promise<Topic[]> {
  return engine.metadata.listTopics();
}

export interface TopicDescription {
  topic: Topic;
  heads: PartitionHead[];
}

export async function describeTopic(engine: Engine, name: string): Promise<TopicDescription> {
  const topic = await getTopic(engine, name);
  return { topic, heads: await engine.metadata.getHeads(topic) };
}

/** Deleting removes the topic item; heads and index hang off its id and become unreachable at once. */
export async function deleteTopic(engine: Engine, name: string): Promise<Topic> {
  const topic = await getTopic(engine, name);
  await engine.metadata.deleteTopic(topic, engine.now());
  engine.topics.invalidate(topic.name);
  return topic;
}

/** Deletes the topic with this id (Kafka's DeleteTopics v6); UNKNOWN_TOPIC_ID when none has it. */
export async function deleteTopicById(engine: Engine, topicId: string): Promise<Topic> {
  const topic = (await listTopics(engine)).find((t) => t.topicId === topicId);
  if (!topic) throw new UnknownTopicIdError(`no topic has id ${topicId}`);
  try {
    await engine.metadata.deleteTopic(topic, engine.now());
  } catch (err) {
    if (err instanceof UnknownTopicOrPartitionError) {
      throw new UnknownTopicIdError(`no topic has id ${topicId}`, { cause: err });
    }
    throw err;
  }
  engine.topics.invalidate(topic.name);
  return topic;
}

export interface AddPartitionsOptions {
  /** Check and change nothing (Kafka's validateOnly). */
  validateOnly?: boolean;
  /** How many manual assignments came with the request (Kafka's CreatePartitions): one per new partition. */
  assignments?: number;
}

/** Raises the partition count to `count` (the new total, as Kafka's CreatePartitions). */
export async function addPartitions(
  engine: Engine,
  name: string,
  count: number,
  options: AddPartitionsOptions = {},
): Promise<Topic> {
  const topic = await getTopic(engine, name);
  checkPartitionCount(count);
  if (count <= topic.partitions) {
    throw new InvalidPartitionsError(
      `topic ${name} has ${topic.partitions} partitions; the new total must be larger, got ${count}`,
    );
  }
  const added = count - topic.partitions;
  if (options.assignments !== undefined && options.assignments !== added) {
    throw new InvalidReplicaAssignmentError(
      `adding ${added} partition(s), but ${options.assignments} assignment(s) were given`,
    );
  }
  if (options.validateOnly) return { ...topic, partitions: count };
  await engine.metadata.setPartitionCount(topic, count);
  engine.topics.invalidate(topic.name);
  return { ...topic, partitions: count };
}

export function checkPartition(topic: Topic, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) {
    throw new UnknownTopicOrPartitionError(
      `topic ${topic.name} has partitions 0-${topic.partitions - 1}; there is no partition ${partition}`,
    );
  }
}

// --- Topic configs ---------------------------------------------------------------------------

/** One config of a topic as Kafka's DescribeConfigs shows it. */
export interface TopicConfigEntry {
  name: keyof TopicConfig;
  /** Kafka's form: a string. */
  value: string;
  /** Set for this topic (Kafka's DYNAMIC_TOPIC_CONFIG), or the default. */
  overridden: boolean;
}

/** The keys set for the topic; for a topic stored before overrides were recorded, those unlike the default. */
export function topicConfigOverrides(topic: Topic): readonly (keyof TopicConfig)[] {
  if (topic.configOverrides) return topic.configOverrides;
  const defaults = DEFAULT_TOPIC_CONFIG as unknown as Record<string, unknown>;
  return (Object.keys(topic.config) as (keyof TopicConfig)[]).filter((k) => topic.config[k] !== defaults[k]);
}

/** Every config a topic has, by name, each marked as set or default. */
export function topicConfigEntries(topic: Topic): TopicConfigEntry[] {
  const overrides = new Set(topicConfigOverrides(topic));
  return (Object.keys(DEFAULT_TOPIC_CONFIG) as (keyof TopicConfig)[]).sort().map((name) => ({
    name,
    value: topicConfigString(name, topic.config[name]),
    overridden: overrides.has(name),
  }));
}

/** Configs whose value is a comma-separated list (Kafka's LIST type): APPEND and SUBTRACT apply. */
const LIST_CONFIGS: ReadonlySet<string> = new Set(['cleanup.policy']);

export type ConfigOperation = 'set' | 'delete' | 'append' | 'subtract';

export interface ConfigChange {
  name: string;
  op: ConfigOperation;
  /** Null only for delete. */
  value: string | null;
}

/**
 * A change of a topic's configs: `replace` sets exactly these keys and returns every other key to
 * its default (Kafka's AlterConfigs); `changes` applies each operation to the current set (Kafka's
 * IncrementalAlterConfigs).
 */
export type TopicConfigAlteration =
  | { replace: readonly { name: string; value: string | null }[] }
  | { changes: readonly ConfigChange[] };

const MAX_ALTER_ATTEMPTS = 8;

/**
 * Alters a topic's configs, validated as at creation (INVALID_CONFIG for an unknown key or a bad
 * value), with a write conditional on the config version read, so concurrent alters never lose
 * each other's changes. With `validateOnly`, returns the result without storing it.
 */
export async function alterTopicConfig(
  engine: Engine,
  name: string,
  alteration: TopicConfigAlteration,
  options: { validateOnly?: boolean } = {},
): Promise<Topic> {
  const entries = 'replace' in alteration ? alteration.replace : alteration.changes;
  const names = entries.map((e) => e.name);
  if (new Set(names).size !== names.length) throw new InvalidRequestError('a config key appears twice');
  const nulls = entries.filter((e) => e.value === null && !('op' in e && e.op === 'delete'));
  if (nulls.length > 0) {
    throw new InvalidRequestError(`null value not supported for ${nulls.map((e) => e.name).join(', ')}`);
  }
  const topicName = validateTopicName(name);
  for (let attempt = 0; attempt < MAX_ALTER_ATTEMPTS; attempt++) {
    const topic = await engine.metadata.getTopic(topicName);
    const next = 'replace' in alteration ? replaced(alteration.replace) : changed(topic, alteration.changes);
    const config = validateTopicConfig(next);
    const overrides = Object.keys(next).sort() as (keyof TopicConfig)[];
    const altered: Topic = { ...topic, config, configOverrides: overrides };
    if (options.validateOnly) return altered;
    if (await engine.metadata.setTopicConfig(topic, config, overrides)) {
      engine.topics.invalidate(topic.name);
      return { ...altered, configVersion: (topic.configVersion ?? 0) + 1 };
    }
  }
  throw new CommitConflictError(`the configs of topic ${name} kept changing under this alter; retry`);
}

function replaced(entries: readonly { name: string; value: string | null }[]): Record<string, unknown> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

function changed(topic: Topic, changes: readonly ConfigChange[]): Record<string, unknown> {
  const known = new Set(Object.keys(DEFAULT_TOPIC_CONFIG));
  const next: Record<string, unknown> = Object.fromEntries(
    topicConfigOverrides(topic).map((k) => [k, String(topic.config[k])]),
  );
  for (const c of changes) {
    if (!known.has(c.name)) throw new InvalidConfigError(`unknown topic config ${c.name}`);
    if (c.op === 'set') next[c.name] = c.value;
    else if (c.op === 'delete') delete next[c.name];
    else {
      if (!LIST_CONFIGS.has(c.name)) {
        throw new InvalidConfigError(`can't ${c.op.toUpperCase()} to ${c.name}: its type is not LIST`);
      }
      const current = String(next[c.name] ?? topic.config[c.name as keyof TopicConfig]);
      const parts = listParts(current);
      const values = listParts(c.value ?? '');
      next[c.name] = (
        c.op === 'append'
          ? [...parts, ...values.filter((v) => !parts.includes(v))]
          : parts.filter((p) => !values.includes(p))
      ).join(',');
    }
  }
  return next;
}

function listParts(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
