/**
 * A classic group as the admin APIs see it: its state after expiry and completion (a view, not
 * written), and, when its protocol type is "consumer", the topics each member subscribes to and the
 * partitions it was assigned, read from the opaque ConsumerProtocol bytes (v0-v3 share the fields
 * read here: a version, then the topics or the assigned partitions).
 */
import type { Engine } from '../engine.js';
import type { ClassicGroupState } from '../storage/classic-group-store.js';
import { viewClassicState } from './classic.js';
import type { TopicAssignment } from './reconcile.js';

export async function classicGroupView(
  engine: Engine,
  groupId: string,
): Promise<ClassicGroupState | undefined> {
  const stored = await engine.classicGroups.get(groupId);
  return stored ? viewClassicState(stored.state, engine.now()) : undefined;
}

class ByteReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const n = this.int16();
    if (n < 0) return '';
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** The topics of a ConsumerProtocolSubscription (base64); undefined if the bytes are not one. */
export function subscribedTopics(base64: string): string[] | undefined {
  try {
    const r = new ByteReader(Buffer.from(base64, 'base64'));
    r.int16();
    const n = r.int32();
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return undefined;
  }
}

/** The partitions of a ConsumerProtocolAssignment (base64); [] if the bytes are not one. */
export function assignedPartitions(base64: string | undefined): TopicAssignment[] {
  if (!base64) return [];
  try {
    const r = new ByteReader(Buffer.from(base64, 'base64'));
    r.int16();
    const n = r.int32();
    const out: TopicAssignment[] = [];
    for (let i = 0; i < n; i++) {
      const topic = r.string();
      const count = r.int32();
      const partitions: number[] = [];
      for (let j = 0; j < count; j++) partitions.push(r.int32());
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return [];
  }
}
