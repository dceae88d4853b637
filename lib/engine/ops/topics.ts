import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine.js';
import { InvalidPartitionsError, UnknownTopicOrPartitionError } from '../errors.js';
import type { PartitionHead, Topic } from '../types.js';
import { LIMITS, validateTopicConfig, validateTopicName } from '../validation.js';

export interface CreateTopicInput {
  name: string;
  partitions?: number;
  config?: Record<string, unknown>;
}

function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > LIMITS.maxPartitions) {
    throw new InvalidPartitionsError(
      `partitions must be between 1 and ${LIMITS.maxPartitions}, got ${count}`,
    );
  }
}

export async function createTopic(engine: Engine, input: CreateTopicInput): Promise<Topic> {
  const name = validateTopicName(input.name);
  const partitions = input.partitions ?? 1;
  checkPartitionCount(partitions);
  const topic: Topic = {
    name,
    topicId: randomUUID(),
    partitions,
    config: validateTopicConfig(input.config),
    createdAt: engine.now(),
  };
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
export async function deleteTopic(engine: Engine, name: string): Promise<void> {
  const topic = await getTopic(engine, name);
  await engine.metadata.deleteTopic(topic, engine.now());
  engine.topics.invalidate(topic.name);
}

/** Raises the partition count to `count` (the new total, as Kafka's CreatePartitions). */
export async function addPartitions(engine: Engine, name: string, count: number): Promise<Topic> {
  const topic = await getTopic(engine, name);
  checkPartitionCount(count);
  if (count <= topic.partitions) {
    throw new InvalidPartitionsError(
      `topic ${name} has ${topic.partitions} partitions; the new total must be larger, got ${count}`,
    );
  }
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
