/**
 * An in-memory stand-in for the log's HTTP API, served through an injected `fetch`, for the
 * client's unit tests: topics, produce (dense offsets per partition) and fetch. It records every
 * request, can hold produce responses back, and can fail the next requests with given statuses.
 */

import {
  BATCH_FETCH_HEADERS,
  BATCH_HEADER_BYTES,
  decodeRecords,
  encodeUncompressedBatch,
  RECORD_BATCH_CONTENT_TYPE,
  readBatchHeader,
  splitBatches,
} from '../../../lib/contract/record-batch.js';
import { patchBaseOffsets } from '../../../lib/engine/codec/record-batch.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  /** Resolves the produce when `holdProduces` is on. */
  release?: () => void;
}

interface StoredRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  timestamp: string;
}

export class FakeLog {
  readonly requests: RecordedRequest[] = [];
  readonly topics = new Map<string, StoredRecord[][]>();
  /** Responses to give to the next matching requests instead of serving them. */
  readonly failures: { match: RegExp; status: number; body: unknown }[] = [];
  holdProduces = false;
  /** Serve the next N produce requests, then answer 503 as if the response was lost. */
  loseProduceResponses = 0;
  private nextProducerId = 1000;
  /** Idempotent batches seen: producer/partition/base sequence -> the offsets given. */
  private readonly sequenced = new Map<string, string[]>();
  inFlight = 0;
  maxInFlight = 0;
  /** Set when two produce requests in flight at once touched the same partition. */
  partitionOverlap = false;
  private readonly busy = new Set<string>();

  createTopic(name: string, partitions: number): void {
    this.topics.set(
      name,
      Array.from({ length: partitions }, () => []),
    );
  }

  produceRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/records$/.test(r.path));
  }

  failNext(match: RegExp, status: number, code: string, retriable?: boolean): void {
    this.failures.push({
      match,
      status,
      body: {
        error: { code, message: `injected ${code}`, ...(retriable === undefined ? {} : { retriable }) },
      },
    });
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const req: RecordedRequest = { method, path: url.pathname + url.search, body, headers };
    this.requests.push(req);
    const failure = this.failures.findIndex((f) => f.match.test(`${method} ${url.pathname}`));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return json(f?.status ?? 500, f?.body);
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'healthz') return json(200, { status: 'ok' });
    if (parts[1] === 'producers' && method === 'POST') {
      return json(200, { producerId: String(this.nextProducerId++), producerEpoch: 0 });
    }
    if (parts[0] !== 'v1' || parts[1] !== 'topics')
      return json(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    const topicName = parts[2];
    if (topicName === undefined) {
      if (method === 'GET') {
        return json(200, { topics: [...this.topics].map(([name, p]) => ({ name, partitions: p.length })) });
      }
      const b = body as { name: string; partitions: number };
      if (this.topics.has(b.name))
        return json(409, { error: { code: 'TOPIC_ALREADY_EXISTS', message: 'exists' } });
      this.createTopic(b.name, b.partitions);
      return json(201, { name: b.name, partitions: b.partitions });
    }
    const topic = this.topics.get(topicName);
    if (!topic)
      return json(404, {
        error: { code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'unknown topic', retriable: false },
      });
    if (parts.length === 3 && method === 'GET') {
      return json(200, {
        name: topicName,
        config: {},
        partitions: topic.map((records, partition) => ({
          partition,
          earliestOffset: '0',
          latestOffset: String(records.length),
        })),
      });
    }
    if (parts[3] === 'records' && method === 'POST') {
      const b = body as {
        records: (StoredRecord & { partition?: number })[];
        encoding?: string;
        producer?: { producerId: string; sequences: { partition: number; baseSequence: number }[] };
      };
      // Like the server: a retried idempotent batch gets its original offsets, nothing is appended.
      const seqKeys = b.producer?.sequences.map(
        (s) => `${b.producer?.producerId}/${s.partition}/${s.baseSequence}`,
      );
      if (seqKeys && seqKeys.every((k) => this.sequenced.has(k))) {
        const byPartition = new Map(
          seqKeys.map((k, i) => [b.producer?.sequences[i]?.partition, [...(this.sequenced.get(k) ?? [])]]),
        );
        return json(200, {
          offsets: b.records.map((r) => ({
            partition: r.partition ?? 0,
            offset: byPartition.get(r.partition)?.shift(),
          })),
        });
      }
      const touched = new Set(b.records.map((r) => r.partition));
      if (touched.size > 49)
        return json(400, { error: { code: 'INVALID_REQUEST', message: 'over 49 partitions' } });
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const keys = [...touched].map((p) => `${topicName}/${p}`);
      for (const k of keys) {
        if (this.busy.has(k)) this.partitionOverlap = true;
        this.busy.add(k);
      }
      try {
        if (this.holdProduces) await new Promise<void>((resolve) => (req.release = resolve));
        else await new Promise((resolve) => setTimeout(resolve, 1));
      } finally {
        this.inFlight--;
        for (const k of keys) this.busy.delete(k);
      }
      const text = (v: string | null | undefined) =>
        v === null || v === undefined
          ? null
          : b.encoding === 'base64'
            ? Buffer.from(v, 'base64').toString()
            : v;
      const offsets = b.records.map((r) => {
        const p = r.partition ?? 0;
        const log = topic[p];
        if (!log) throw new Error(`no partition ${p}`);
        const headers: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = text(v);
        log.push({ key: text(r.key), value: text(r.value), headers, timestamp: String(Date.now()) });
        return { partition: p, offset: String(log.length - 1) };
      });
      b.producer?.sequences.forEach((seq, i) => {
        this.sequenced.set(
          seqKeys?.[i] as string,
          offsets.filter((o) => o.partition === seq.partition).map((o) => o.offset),
        );
      });
      if (this.loseProduceResponses > 0) {
        this.loseProduceResponses--;
        return json(503, {
          error: { code: 'KAFKA_STORAGE_ERROR', message: 'response lost', retriable: true },
        });
      }
      return json(200, { offsets });
    }
    if (parts[3] === 'partitions' && parts[5] === 'batches' && method === 'POST') {
      // The binary produce, without idempotence: each batch's records appended as text.
      const log = topic[Number(parts[4])];
      if (!log) return json(404, { error: { code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'no partition' } });
      const base = log.length;
      const batches = splitBatches(init?.body as Uint8Array).map((batch) => {
        const h = readBatchHeader(batch);
        const from = log.length;
        for (const r of decodeRecords(
          batch.subarray(BATCH_HEADER_BYTES),
          h.recordCount,
          0,
          h.baseTimestamp,
        )) {
          const headers: Record<string, string | null> = {};
          for (const header of r.headers) headers[header.key] = asText(header.value);
          log.push({ key: asText(r.key), value: asText(r.value), headers, timestamp: String(r.timestamp) });
        }
        return { baseOffset: String(from), lastOffset: String(log.length - 1), recordCount: h.recordCount };
      });
      return json(200, {
        partition: Number(parts[4]),
        baseOffset: String(base),
        lastOffset: String(log.length - 1),
        recordCount: log.length - base,
        batches,
      });
    }
    if (parts[3] === 'partitions' && parts[5] === 'batches' && method === 'GET') {
      // The binary fetch: one batch of up to 100 records from the offset.
      const log = topic[Number(parts[4])] ?? [];
      const offset = Number(url.searchParams.get('offset') ?? '0');
      const records = log.slice(offset, offset + 100);
      const bytes =
        records.length === 0
          ? new Uint8Array(0)
          : encodeUncompressedBatch(
              records.map((r) => ({
                key: asBytes(r.key),
                value: asBytes(r.value),
                headers: Object.entries(r.headers).map(([key, v]) => ({ key, value: asBytes(v) })),
                timestamp: Number(r.timestamp),
              })),
            );
      if (bytes.length > 0) patchBaseOffsets(bytes, offset);
      return new Response(bytes as BodyInit, {
        status: 200,
        headers: {
          'content-type': RECORD_BATCH_CONTENT_TYPE,
          [BATCH_FETCH_HEADERS.highWatermark]: String(log.length),
          [BATCH_FETCH_HEADERS.logStartOffset]: '0',
          [BATCH_FETCH_HEADERS.nextOffset]: String(offset + records.length),
        },
      });
    }
    if (parts[3] === 'partitions' && parts[5] === 'records' && method === 'GET') {
      const log = topic[Number(parts[4])] ?? [];
      const offset = Number(url.searchParams.get('offset') ?? '0');
      const b64 = url.searchParams.get('encoding') === 'base64';
      const enc = (v: string | null) => (v === null || !b64 ? v : Buffer.from(v).toString('base64'));
      const records = log.slice(offset, offset + 100).map((r, i) => ({
        offset: String(offset + i),
        timestamp: r.timestamp,
        key: enc(r.key),
        value: enc(r.value),
        headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, enc(v)])),
      }));
      return json(200, {
        records,
        nextOffset: String(offset + records.length),
        highWatermark: String(log.length),
        logStartOffset: '0',
      });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` } });
  };
}

const asText = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());
const asBytes = (t: string | null) => (t === null ? null : new TextEncoder().encode(t));

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
