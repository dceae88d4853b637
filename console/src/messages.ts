/**
 * The message browser: partitions, a start (earliest, latest, offset, timestamp, last N), order,
 * limit, decoding, search over key/value/headers, find by key (murmur2 picks the partition), JSON
 * path and size columns, per-row copy/download/re-produce, export, and the live tail.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { partitionForKey } from '../../lib/contract/partitioner.js';
import { api, enc, fetchPage, followTail, type Json, type Rec } from './api.js';
import {
  type Decoding,
  download,
  headersText,
  jsonPath,
  matches,
  show,
  text,
  toCsv,
  toJsonLines,
} from './decode.js';
import { big, ErrorBox, errText, html, navigate, setParams } from './ui.js';

const PAGE = 10_000;
const utf8 = new TextEncoder();

interface Progress {
  scanned: bigint;
  total: bigint;
  note: string;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sortRows(rows: Rec[], newest: boolean): Rec[] {
  const cmp = (a: Rec, b: Rec) => {
    const t = big(a.timestamp) - big(b.timestamp);
    if (t !== 0n) return t < 0n ? -1 : 1;
    if (a.partition !== b.partition) return a.partition - b.partition;
    const o = big(a.offset) - big(b.offset);
    return o < 0n ? -1 : o > 0n ? 1 : 0;
  };
  const sorted = [...rows].sort(cmp);
  return newest ? sorted.reverse() : sorted;
}

export function Messages({ params, readOnly }: { params: URLSearchParams; readOnly: boolean }) {
  const topic = params.get('topic') ?? '';
  const from = params.get('from') ?? 'last';
  const at = params.get('at') ?? '';
  const newest = (params.get('order') ?? 'newest') === 'newest';
  const limit = Math.max(1, Math.min(10_000, Number(params.get('limit') ?? 100) || 100));
  const decoding = (params.get('decode') ?? 'text') as Decoding;
  const q = params.get('q') ?? '';
  const key = params.get('key') ?? '';
  const cols = (params.get('cols') ?? '').split(',').filter(Boolean);
  const live = params.get('live') === '1';
  const pParam = params.get('p') ?? '';

  const [topics, setTopics] = useState<string[]>([]);
  const [partitionCount, setPartitionCount] = useState(0);
  const [rows, setRows] = useState<Rec[]>([]);
  const [progress, setProgress] = useState<Progress>();
  const [error, setError] = useState<string>();
  const [tailState, setTailState] = useState('');
  const [open, setOpen] = useState<string>();
  const nextOffsets = useRef(new Map<number, string>());

  useEffect(() => {
    api('GET', '/v1/topics').then(
      (r: Json) => setTopics((r.topics as { name: string }[]).map((t) => t.name).sort()),
      (err) => setError(errText(err)),
    );
  }, []);

  const selected = (count: number) =>
    pParam === ''
      ? Array.from({ length: count }, (_, i) => i)
      : pParam
          .split(',')
          .map(Number)
          .filter((p) => Number.isInteger(p) && p >= 0 && p < count);

  // Load whenever the query changes; a newer query aborts the older one.
  useEffect(() => {
    if (!topic) return;
    const abort = new AbortController();
    const signal = abort.signal;
    setRows([]);
    setError(undefined);
    setOpen(undefined);
    (async () => {
      const d: Json = await api('GET', `/v1/topics/${enc(topic)}`, undefined, signal);
      const parts = d.partitions as { partition: number; earliestOffset: string; latestOffset: string }[];
      setPartitionCount(parts.length);
      nextOffsets.current = new Map(parts.map((p) => [p.partition, p.latestOffset]));
      if (key !== '') {
        // Find by key: the key's bytes pick its one partition, as the producer's partitioner did.
        const partition = partitionForKey(utf8.encode(key), parts.length);
        const p = parts[partition] as (typeof parts)[number];
        const want = utf8.encode(key);
        const found: Rec[] = [];
        const total = big(p.latestOffset) - big(p.earliestOffset);
        let offset = p.earliestOffset;
        setProgress({ scanned: 0n, total, note: `key ${key} → partition ${partition}` });
        while (big(offset) < big(p.latestOffset) && found.length < limit) {
          const page = await fetchPage(topic, partition, offset, PAGE, signal);
          for (const r of page.records) if (sameBytes(r.key, want) && matches(r, q)) found.push(r);
          offset = page.nextOffset;
          setProgress({
            scanned: big(offset) - big(p.earliestOffset),
            total,
            note: `key ${key} → partition ${partition}`,
          });
          setRows(sortRows(found, newest).slice(0, limit));
          if (page.records.length === 0) break;
        }
        setProgress({
          scanned: total,
          total,
          note: `key ${key} → partition ${partition}: ${found.length} found`,
        });
        return;
      }
      const chosen = selected(parts.length).map((i) => parts[i] as (typeof parts)[number]);
      const starts = await Promise.all(
        chosen.map(async (p) => {
          const earliest = big(p.earliestOffset);
          const latest = big(p.latestOffset);
          let start = latest;
          if (from === 'earliest') start = earliest;
          else if (from === 'offset') start = at === '' ? earliest : big(at);
          else if (from === 'last') start = latest - BigInt(at === '' ? limit : Number(at) || limit);
          else if (from === 'timestamp') {
            const ts = /^\d+$/.test(at) ? at : String(Date.parse(at) || 0);
            const r: Json = await api(
              'GET',
              `/v1/topics/${enc(topic)}/partitions/${p.partition}/offsets?at=${ts}`,
              undefined,
              signal,
            );
            start = big(r.offset);
          }
          if (start < earliest) start = earliest;
          if (start > latest) start = latest;
          return { p, start, latest };
        }),
      );
      const total = starts.reduce((s, x) => s + (x.latest - x.start), 0n);
      let scanned = 0n;
      const found: Rec[] = [];
      setProgress({ scanned, total, note: '' });
      await Promise.all(
        starts.map(async ({ p, start, latest }) => {
          let offset = start;
          let mine = 0;
          while (offset < latest && mine < limit) {
            const page = await fetchPage(
              topic,
              p.partition,
              String(offset),
              Math.min(PAGE, q ? PAGE : limit - mine),
              signal,
            );
            for (const r of page.records) {
              if (mine >= limit) break;
              if (matches(r, q)) {
                found.push(r);
                mine++;
              }
            }
            scanned += big(page.nextOffset) - offset;
            offset = big(page.nextOffset);
            setProgress({ scanned, total, note: '' });
            if (page.records.length === 0) break;
          }
        }),
      );
      setRows(sortRows(found, newest).slice(0, limit));
      setProgress({ scanned: total, total, note: '' });
    })().catch((err) => {
      if (!signal.aborted) setError(errText(err));
    });
    return () => abort.abort();
  }, [topic, pParam, from, at, limit, q, key, newest]);

  // The live tail: one stream per selected partition, from each partition's end when loading began.
  useEffect(() => {
    if (!topic || !live || partitionCount === 0) return;
    const abort = new AbortController();
    const parts = key !== '' ? [partitionForKey(utf8.encode(key), partitionCount)] : selected(partitionCount);
    const want = key !== '' ? utf8.encode(key) : undefined;
    for (const p of parts) {
      void followTail(
        topic,
        p,
        nextOffsets.current.get(p) ?? 'latest',
        (r) => {
          if (!matches(r, q) || (want && !sameBytes(r.key, want))) return;
          setRows((old) => {
            if (old.some((x) => x.partition === r.partition && x.offset === r.offset)) return old;
            const next = newest ? [r, ...old] : [...old, r];
            return next.length > 10_000 ? (newest ? next.slice(0, 10_000) : next.slice(-10_000)) : next;
          });
        },
        abort.signal,
        setTailState,
      );
    }
    return () => {
      abort.abort();
      setTailState('');
    };
  }, [topic, live, partitionCount, pParam, key, q, newest]);

  const exportName = `${topic || 'records'}-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}`;
  const query = params.toString();
  // Memoized: the form re-renders only when the URL changes, not while records stream in (a
  // re-render would put the URL's values back over what the user is typing).
  const form = useMemo(
    () =>
      html`<${QueryForm} params=${params} topics=${topics} partitionCount=${partitionCount} chosen=${selected(partitionCount)} />`,
    [query, topics, partitionCount],
  );

  return html`<section class="messages">
    <h2>Messages</h2>
    ${form}
    <div class="toolbar">
      <label>decode
        <select aria-label="decode" value=${decoding} onChange=${(e: Event) => setParams({ decode: (e.target as HTMLSelectElement).value })}>
          <option value="text">text</option><option value="json">JSON</option><option value="hex">hex</option>
        </select>
      </label>
      <label class="chip"><input type="checkbox" aria-label="live tail" checked=${live} onChange=${(
        e: Event,
      ) => setParams({ live: (e.target as HTMLInputElement).checked ? '1' : '' })} />live tail</label>
      <span class="muted" data-testid="tail-state">${tailState}</span>
      <span class="grow"></span>
      <span data-testid="row-count">${rows.length} rows</span>
      <button onClick=${() => download(`${exportName}.jsonl`, toJsonLines(rows), 'application/x-ndjson')}>Export JSON lines</button>
      <button onClick=${() => download(`${exportName}.csv`, toCsv(rows), 'text/csv')}>Export CSV</button>
    </div>
    ${
      progress
        ? html`<div class="progress" data-testid="progress">
            <progress max="100" value=${progress.total === 0n ? 100 : Number((progress.scanned * 100n) / progress.total)}></progress>
            <span>${progress.note ? `${progress.note}: ` : ''}scanned ${progress.scanned.toLocaleString('en')} of ${progress.total.toLocaleString('en')}</span>
          </div>`
        : null
    }
    <${ErrorBox} error=${error} />
    ${!topic ? html`<p class="muted">Choose a topic.</p>` : null}
    ${topic && from === 'latest' && !live && rows.length === 0 ? html`<p class="muted">Start at latest shows new records: turn on the live tail.</p>` : null}
    <table class="grid records" data-testid="records">
      <thead>
        <tr>
          <th>partition</th><th>offset</th><th>timestamp</th><th>key</th><th>value</th><th>size</th>
          ${cols.map((c) => html`<th key=${c}>${c}</th>`)}
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) => {
          const id = `${r.partition}:${r.offset}`;
          const value = show(r.value, decoding);
          // The row shows JSON on one line; the opened row, pretty.
          const preview = decoding === 'json' ? show(r.value, 'json', 0) : value;
          return html`<tr key=${id} data-offset=${r.offset} data-partition=${r.partition} class="record" onClick=${() => setOpen(open === id ? undefined : id)}>
              <td>${r.partition}</td><td>${r.offset}</td><td title=${r.timestamp}>${new Date(Number(r.timestamp)).toISOString()}</td>
              <td class="key">${r.key === null ? html`<i class="muted">null</i>` : show(r.key, decoding === 'hex' ? 'hex' : 'text')}</td>
              <td class="value">${preview.length > 160 ? `${preview.slice(0, 160)}…` : preview}</td>
              <td>${r.value === null ? 0 : r.value.length} B</td>
              ${cols.map((c) => html`<td key=${c}>${jsonPath(r.value, c)}</td>`)}
              <td class="actions" onClick=${(e: Event) => e.stopPropagation()}>
                <button title="copy as JSON" onClick=${() => void navigator.clipboard?.writeText(toJsonLines([r])).catch(() => {})}>copy</button>
                <button title="download as JSON" onClick=${() => download(`${r.topic}-${r.partition}-${r.offset}.json`, toJsonLines([r]), 'application/json')}>download</button>
                ${
                  readOnly
                    ? null
                    : html`<button title="produce again" onClick=${() => {
                        sessionStorage.setItem(
                          'strata.console.reproduce',
                          JSON.stringify({
                            key: r.key === null ? '' : text(r.key),
                            value: text(r.value),
                            headers: headersText(r),
                          }),
                        );
                        navigate('produce', { topic: r.topic });
                      }}>re-produce</button>`
                }
              </td>
            </tr>
            ${
              open === id
                ? html`<tr class="detail"><td colspan=${7 + cols.length}>
                    <pre class="value-full">${value}</pre>
                    <div class="headers">${Object.entries(headersText(r)).map(([k, v]) => html`<span class="chip">${k}=${v ?? 'null'}</span>`)}</div>
                  </td></tr>`
                : null
            }`;
        })}
      </tbody>
    </table>
  </section>`;
}

function QueryForm({
  params,
  topics,
  partitionCount,
  chosen,
}: {
  params: URLSearchParams;
  topics: string[];
  partitionCount: number;
  chosen: number[];
}) {
  const topic = params.get('topic') ?? '';
  const from = params.get('from') ?? 'last';
  const order = params.get('order') ?? 'newest';
  const picked = new Set(chosen);
  const onQuery = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const get = (k: string) => String(data.get(k) ?? '');
    setParams({
      from: get('from'),
      at: get('at'),
      order: get('order'),
      limit: get('limit'),
      q: get('q'),
      key: get('key'),
      cols: get('cols'),
    });
  };
  const toggle = (i: number, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(i);
    else next.delete(i);
    setParams({ p: next.size === partitionCount ? '' : [...next].sort((a, b) => a - b).join(',') || 'none' });
  };
  return html`<form class="query" data-testid="query" onSubmit=${onQuery}>
    <label>topic
      <select aria-label="topic" onChange=${(e: Event) => setParams({ topic: (e.target as HTMLSelectElement).value, p: '', key: '' })}>
        <option value="">choose…</option>
        ${topics.map((t) => html`<option key=${t} value=${t} selected=${t === topic}>${t}</option>`)}
      </select>
    </label>
    <span class="parts" aria-label="partitions">
      ${Array.from(
        { length: partitionCount },
        (_, i) =>
          html`<label key=${`${topic}-${i}`} class="chip"><input type="checkbox" aria-label=${`partition ${i}`} checked=${picked.has(i)} onChange=${(
            e: Event,
          ) => toggle(i, (e.target as HTMLInputElement).checked)} />${i}</label>`,
      )}
    </span>
    <label>start
      <select name="from" aria-label="start">
        ${[
          ['last', 'last N'],
          ['earliest', 'earliest'],
          ['latest', 'latest'],
          ['offset', 'offset'],
          ['timestamp', 'timestamp'],
        ].map(([v, l]) => html`<option value=${v} selected=${v === from}>${l}</option>`)}
      </select>
    </label>
    <input name="at" aria-label="start value" placeholder="offset, ms or ISO time, N" value=${params.get('at') ?? ''} />
    <label>order
      <select name="order" aria-label="order">
        <option value="newest" selected=${order === 'newest'}>newest first</option>
        <option value="oldest" selected=${order === 'oldest'}>oldest first</option>
      </select>
    </label>
    <label>limit <input name="limit" aria-label="limit" type="number" min="1" max="10000" value=${params.get('limit') ?? '100'} /></label>
    <input name="q" aria-label="search" placeholder="search key, value, headers" value=${params.get('q') ?? ''} />
    <input name="key" aria-label="find by key" placeholder="find by key" value=${params.get('key') ?? ''} />
    <input name="cols" aria-label="JSON path columns" placeholder="JSON paths: a.b, c[0]" value=${params.get('cols') ?? ''} />
    <button type="submit">Load</button>
  </form>`;
}
