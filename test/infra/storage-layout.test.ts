/**
 * The IAM grants scope each function's table access by partition key (dynamodb:LeadingKeys) with
 * the constants of lib/contract/storage-layout.ts; the engine builds its keys from the same
 * constants. This pins that every kind of meta item the engine writes falls under one of them,
 * and that the access table names nothing else, so that a new item kind cannot be granted by
 * accident or missed.
 */
import { describe, expect, it } from 'vitest';
import { META_PK, META_PK_PREFIX, SEGMENT_PREFIX } from '../../lib/contract/storage-layout.js';
import { metaKeys } from '../../lib/engine/storage/keys.js';
import {
  SEGMENT_PREFIX as ENGINE_SEGMENT_PREFIX,
  newSegmentKey,
} from '../../lib/engine/storage/segment-store.js';
import { FUNCTION_ACCESS } from '../../lib/infra/access.js';

const patterns = [...Object.values(META_PK), ...Object.values(META_PK_PREFIX).map((p) => `${p}*`)];
const matches = (pattern: string, pk: string) =>
  pattern.endsWith('*') ? pk.startsWith(pattern.slice(0, -1)) : pk === pattern;

/** The partition key of every kind of meta item, from the engine's own key builders. */
function everyMetaPk(): { kind: string; pk: string }[] {
  const out: { kind: string; pk: string }[] = [];
  for (const [kind, build] of Object.entries(metaKeys)) {
    if (typeof build !== 'function') continue;
    const key = (build as (...args: unknown[]) => string | { pk: string })('id-1', 'id-2', 3);
    out.push({ kind, pk: typeof key === 'string' ? key : key.pk });
  }
  return out;
}

describe('storage layout', () => {
  it('every meta item kind the engine keys falls under exactly one layout pattern', () => {
    const kinds = everyMetaPk();
    expect(kinds.length).toBeGreaterThan(10);
    for (const { kind, pk } of kinds) {
      expect(
        patterns.filter((p) => matches(p, pk)),
        `${kind}: ${pk}`,
      ).toHaveLength(1);
    }
  });

  it('the fixed partition keys are the ones the engine queries', () => {
    expect(metaKeys.topicsPk).toBe(META_PK.topics);
    expect(metaKeys.orphansPk).toBe(META_PK.orphans);
    expect(metaKeys.deletedTopicsPk).toBe(META_PK.deletedTopics);
    expect(metaKeys.groupsPk).toBe(META_PK.groups);
    expect(metaKeys.gcCandidatesPk).toBe(META_PK.gcCandidates);
  });

  it('the access table grants layout patterns only', () => {
    for (const [fn, access] of Object.entries(FUNCTION_ACCESS)) {
      for (const key of access.meta?.leadingKeys ?? []) expect(patterns, `${fn}: ${key}`).toContain(key);
    }
  });

  it('segment objects live under the prefix the S3 grants name', () => {
    expect(ENGINE_SEGMENT_PREFIX).toBe(SEGMENT_PREFIX);
    expect(newSegmentKey(Date.now()).startsWith(SEGMENT_PREFIX)).toBe(true);
  });
});
