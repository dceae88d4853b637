import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type ByteRange, type CoalesceLimits, coalesceRanges, splitRead } from './byte-ranges.js';
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

/** How `readRanges` plans and runs its GETs. */
export interface ReadRangesOptions extends CoalesceLimits {
  /** GETs in flight at once. */
  concurrency: number;
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
    const cacheKey = rangeCacheKey(key, offset, length);
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const bytes = await this.fetchRange(key, offset, length);
    this.cache.set(cacheKey, bytes);
    return bytes;
  }

  /**
   * Reads many ranges, each from the cache when it is warm; the others with as few ranged GETs as
   * `options` allow (ranges of one object that are adjacent or nearly are read together, then
   * split). Each range is cached on its own, under the key `getRange` uses, so a later read of any
   * of them is warm whichever way it asks. A failed GET fails only the ranges it was to read.
   */
  async readRanges(
    ranges: readonly ByteRange[],
    options: ReadRangesOptions,
  ): Promise<PromiseSettledResult<Uint8Array>[]> {
    const out: PromiseSettledResult<Uint8Array>[] = new Array(ranges.length);
    const missing: number[] = [];
    ranges.forEach((r, i) => {
      if (r.length === 0) {
        out[i] = { status: 'fulfilled', value: new Uint8Array(0) };
        return;
      }
      const cached = this.cache.get(rangeCacheKey(r.key, r.offset, r.length));
      if (cached) out[i] = { status: 'fulfilled', value: cached };
      else missing.push(i);
    });
    const wanted = missing.map((i) => ranges[i] as ByteRange);
    const reads = coalesceRanges(wanted, options);
    let next = 0;
    const worker = async () => {
      while (next < reads.length) {
        const read = reads[next++] as (typeof reads)[number];
        try {
          const bytes = await this.fetchRange(read.key, read.offset, read.length);
          // Split only once the whole read arrived intact (fetchRange checks its length).
          for (const [part, slice] of splitRead(read, wanted, bytes)) {
            const r = wanted[part] as ByteRange;
            this.cache.set(rangeCacheKey(r.key, r.offset, r.length), slice);
            out[missing[part] as number] = { status: 'fulfilled', value: slice };
          }
        } catch (err) {
          for (const part of read.parts) out[missing[part] as number] = { status: 'rejected', reason: err };
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(Math.max(1, options.concurrency), reads.length) }, worker),
    );
    return out;
  }

  /** One ranged GET, checked for length; not cached. */
  private async fetchRange(key: string, offset: number, length: number): Promise<Uint8Array> {
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

/** The segment cache's key for one range: the same however the range was read. */
function rangeCacheKey(key: string, offset: number, length: number): string {
  return `${key}@${offset}+${length}`;
}
