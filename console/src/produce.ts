/** Produce: key, value, headers (one `name: value` a line), an optional partition; shows the offsets. */
import { useEffect, useState } from 'preact/hooks';
import { api, enc, type Json } from './api.js';
import { ErrorBox, errText, html, setParams } from './ui.js';

export const REPRODUCE_KEY = 'strata.console.reproduce';

function parseHeaders(src: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of src.split('\n')) {
    if (line.trim() === '') continue;
    const cut = line.indexOf(':');
    if (cut <= 0) throw new Error(`header line "${line}" is not name: value`);
    out[line.slice(0, cut).trim()] = line.slice(cut + 1).trimStart();
  }
  return out;
}

export function Produce({ params }: { params: URLSearchParams }) {
  const topic = params.get('topic') ?? '';
  const [topics, setTopics] = useState<{ name: string; partitions: number }[]>([]);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<{ partition: number; offset: string }[]>();
  const [prefill] = useState(() => {
    const raw = sessionStorage.getItem(REPRODUCE_KEY);
    sessionStorage.removeItem(REPRODUCE_KEY);
    if (!raw) return { key: '', value: '', headers: '' };
    const r = JSON.parse(raw) as { key: string; value: string; headers: Record<string, string | null> };
    return {
      key: r.key,
      value: r.value,
      headers: Object.entries(r.headers)
        .map(([k, v]) => `${k}: ${v ?? ''}`)
        .join('\n'),
    };
  });
  useEffect(() => {
    api('GET', '/v1/topics').then(
      (r: Json) => setTopics(r.topics),
      (err) => setError(errText(err)),
    );
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    try {
      const key = String(data.get('key') ?? '');
      const partition = String(data.get('partition') ?? '');
      const headers = parseHeaders(String(data.get('headers') ?? ''));
      const record = {
        ...(key !== '' ? { key } : {}),
        value: String(data.get('value') ?? ''),
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(partition !== '' ? { partition: Number(partition) } : {}),
      };
      const r: Json = await api('POST', `/v1/topics/${enc(topic)}/records`, { records: [record] });
      setResult(r.offsets);
      setError(undefined);
    } catch (err) {
      setError(errText(err));
    }
  };
  const partitions = topics.find((t) => t.name === topic)?.partitions ?? 0;
  return html`<section>
    <h2>Produce</h2>
    <form class="produce" data-testid="produce" onSubmit=${submit}>
      <label>topic
        <select aria-label="topic" onChange=${(e: Event) => setParams({ topic: (e.target as HTMLSelectElement).value })}>
          <option value="">choose…</option>
          ${topics.map((t) => html`<option key=${t.name} value=${t.name} selected=${t.name === topic}>${t.name}</option>`)}
        </select>
      </label>
      <label>partition
        <select name="partition" aria-label="partition">
          <option value="">by key (murmur2) or round robin</option>
          ${Array.from({ length: partitions }, (_, i) => html`<option value=${i}>${i}</option>`)}
        </select>
      </label>
      <label>key <input name="key" aria-label="key" defaultValue=${prefill.key} /></label>
      <label>value <textarea name="value" aria-label="value" rows="8">${prefill.value}</textarea></label>
      <label>headers, one <code>name: value</code> a line
        <textarea name="headers" aria-label="headers" rows="5" placeholder="trace: abc">${prefill.headers}</textarea></label>
      <button type="submit" disabled=${!topic}>Produce</button>
    </form>
    <${ErrorBox} error=${error} />
    ${
      result
        ? html`<p class="note" data-testid="produced">Produced: ${result.map((o) => `partition ${o.partition}, offset ${o.offset}`).join('; ')}</p>`
        : null
    }
  </section>`;
}
