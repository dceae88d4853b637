import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SegmentCache } from './segment-cache.js';

/** Every segment object lives under this prefix. */
export const SEGMENT_PREFIX = 'segments/';

/** Prefix fan-out: S3 scales request rate per prefix, so keys start with a random hex pair. */
const PREFIX_FANOUT = 256;

/**
 * A fresh, never-reused key for one segment object. The key is unique by construction (a UUID),
 * because s3rver ignores If-None-Match: uniqueness, not a conditional PUT, keeps segments immutable.
 */
export function newSegmentKey(now: number): string {
  const id = randomUUID();
  const shard = (Number.parseInt(id.slice(0, 4), 16) % PREFIX_FANOUT).toString(16).padStart(2, '0');
  return `${SEGMENT_PREFIX}${shard}/${now}-${id}.seg`;
}

/** Immutable segment objects in S3: one PUT per produce request, ranged GETs on fetch. */
export class SegmentStore {
  readonly cache: SegmentCache;

  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    cacheBytes: number,
  ) {
    this.cache = new SegmentCache(cacheBytes);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        // Create-only where the store supports it (S3, MinIO); key uniqueness covers the rest.
        IfNoneMatch: '*',
      }),
    );
  }

  /** Reads [offset, offset + length) of an object, from the cache when it is warm. */
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const cacheKey = `${key}@${offset}+${length}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const res = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Range: `bytes=${offset}-${offset + length - 1}`,
      }),
    );
    const bytes = await res.Body?.transformToByteArray();
    if (!bytes || bytes.byteLength !== length) {
      throw new Error(`short read of ${key} at ${offset}: wanted ${length}, got ${bytes?.byteLength ?? 0}`);
    }
    this.cache.set(cacheKey, bytes);
    return bytes;
  }

  async getObject(key: string): Promise<Uint8Array> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const bytes = await res.Body?.transformToByteArray();
    if (!bytes) throw new Error(`empty body for ${key}`);
    return bytes;
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** The keys of segment objects last modified before `olderThan` (epoch ms), one LIST page at a time. */
  async *keysOlderThan(olderThan: number): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: SEGMENT_PREFIX, ContinuationToken: token }),
      );
      yield (page.Contents ?? [])
        .filter((o) => o.Key && o.LastModified && o.LastModified.getTime() < olderThan)
        .map((o) => o.Key as string);
      token = page.NextContinuationToken;
    } while (token);
  }
}
