import {
  authorizationError,
  createTopic,
  type Engine,
  getTopic,
  InvalidTopicError,
  listTopics,
  type Topic,
  TopicAlreadyExistsError,
  topicForProduce,
  UnknownTopicOrPartitionError,
} from '../engine/index.js';
import type { GatewayConfig } from './config.js';

/**
 * Finds a topic by name for a request, creating it first when auto-creation is on and the request
 * allows it (Metadata's allowAutoTopicCreation; Produce always does, as in Kafka). Throws the
 * engine's UNKNOWN_TOPIC_OR_PARTITION or INVALID_TOPIC_EXCEPTION otherwise. `mayCreate` is the
 * caller's authorization of the creation (CREATE on the cluster or the topic), asked only when a
 * topic would be created; refused, it is TOPIC_AUTHORIZATION_FAILED.
 */
export async function topicByName(
  engine: Engine,
  config: GatewayConfig,
  name: string,
  autoCreate: boolean,
  mayCreate: () => Promise<boolean> = async () => true,
): Promise<Topic> {
  try {
    return await getTopic(engine, name);
  } catch (err) {
    if (!(err instanceof UnknownTopicOrPartitionError) || !autoCreate || !config.autoCreateTopics) throw err;
  }
  if (!(await mayCreate())) throw authorizationError('TOPIC', 'CREATE', name);
  try {
    return await createTopic(engine, { name, partitions: config.defaultPartitions });
  } catch (err) {
    // Another client (or gateway) created it first.
    if (err instanceof TopicAlreadyExistsError) return getTopic(engine, name);
    throw err;
  }
}

/** All topics by id, for the APIs that name topics by UUID (Fetch v13+, Metadata v10+). */
export async function topicsById(engine: Engine): Promise<Map<string, Topic>> {
  return new Map((await listTopics(engine)).map((t) => [t.topicId, t]));
}

export function isInvalidTopic(err: unknown): boolean {
  return err instanceof InvalidTopicError;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const idCaches = new WeakMap<Engine, { at: number; byId: Map<string, Topic> }>();

/**
 * A topic by its UUID (Fetch v13+, Metadata v10+ with ids), from a per-process map refreshed by
 * listing the topics when an id is missing or the map is older than the topic cache's lifetime.
 */
export async function topicById(engine: Engine, topicId: string): Promise<Topic | undefined> {
  const now = engine.now();
  const cached = idCaches.get(engine);
  const fresh = cached && now - cached.at < engine.config.topicCacheMs ? cached : undefined;
  const hit = fresh?.byId.get(topicId);
  if (hit) return hit;
  const byId = await topicsById(engine);
  idCaches.set(engine, { at: now, byId });
  return byId.get(topicId);
}

/**
 * A topic by name for a data request (Produce, Fetch, ListOffsets), from the engine's topic cache
 * as HTTP produce uses it; a partition past the cached count looks again first, since it may just
 * have been added. Throws UNKNOWN_TOPIC_OR_PARTITION for an unknown name.
 */
export async function cachedTopic(
  engine: Engine,
  name: string,
  partitions: readonly number[],
): Promise<Topic> {
  const now = engine.now();
  const topic = await topicForProduce(engine, name, now);
  if (partitions.every((p) => p < topic.partitions)) return topic;
  return topicForProduce(engine, name, now, true);
}
