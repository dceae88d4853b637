/** Topics: the list with offsets and a write-rate sparkline; one topic's partitions and configs. */
import { useState } from 'preact/hooks';
import { TOPIC_CONFIG_DEFAULTS, topicConfigString } from '../../lib/contract/limits.js';
import { api, enc, type Json } from './api.js';
import { big, ErrorBox, errText, fmt, html, navigate, Spark, setParams, usePoll } from './ui.js';

interface Described {
  name: string;
  config: Record<string, string>;
  partitions: { partition: number; earliestOffset: string; latestOffset: string }[];
}

/** Samples of each topic's summed high watermarks, for the write rate (records/s). */
const history = new Map<string, { at: number; total: bigint }[]>();
const MAX_SAMPLES = 40;

function sample(d: Described): void {
  const total = d.partitions.reduce((s, p) => s + big(p.latestOffset), 0n);
  const list = history.get(d.name) ?? [];
  list.push({ at: Date.now() / 1000, total });
  if (list.length > MAX_SAMPLES) list.shift();
  history.set(d.name, list);
}

function rates(name: string): { times: number[]; values: number[] } {
  const list = history.get(name) ?? [];
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1] as { at: number; total: bigint };
    const b = list[i] as { at: number; total: bigint };
    const dt = b.at - a.at;
    if (dt <= 0) continue;
    times.push(b.at);
    values.push(Number(b.total - a.total) / dt);
  }
  return { times, values };
}

const records = (d: Described) =>
  d.partitions.reduce((s, p) => s + big(p.latestOffset) - big(p.earliestOffset), 0n);

export function Topics({
  params,
  readOnly,
  refresh,
}: {
  params: URLSearchParams;
  readOnly: boolean;
  refresh: number;
}) {
  const selected = params.get('topic') ?? '';
  const [topics, setTopics] = useState<Described[] | undefined>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);

  usePoll(
    async () => {
      try {
        const list: Json = await api('GET', '/v1/topics');
        const described = await Promise.all(
          (list.topics as { name: string }[]).map(
            (t) => api('GET', `/v1/topics/${enc(t.name)}`) as Promise<Described>,
          ),
        );
        for (const d of described) sample(d);
        setTopics(described.sort((a, b) => a.name.localeCompare(b.name)));
        setError(undefined);
      } catch (err) {
        setError(errText(err));
      }
    },
    refresh,
    [tick],
  );
  const reload = () => setTick((t) => t + 1);
  const detail = topics?.find((t) => t.name === selected);

  return html`<section>
    <h2>Topics</h2>
    <${ErrorBox} error=${error} />
    ${readOnly ? null : html`<${CreateTopic} onDone=${reload} />`}
    <table class="grid" data-testid="topics-table">
      <thead>
        <tr><th>name</th><th>partitions</th><th>records</th><th>write rate</th><th></th></tr>
      </thead>
      <tbody>
        ${(topics ?? []).map(
          (t) => html`<tr key=${t.name} class=${t.name === selected ? 'selected' : ''} data-topic=${t.name}>
            <td><a href="#" onClick=${(e: Event) => {
              e.preventDefault();
              setParams({ topic: t.name });
            }}>${t.name}</a></td>
            <td>${t.partitions.length}</td>
            <td>${records(t).toLocaleString('en')}</td>
            <td><${Spark} ...${rates(t.name)} label="{} rec/s" /></td>
            <td class="actions">
              <button onClick=${() => navigate('messages', { topic: t.name })}>browse</button>
              ${readOnly ? null : html`<button onClick=${() => navigate('produce', { topic: t.name })}>produce</button>`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${topics && topics.length === 0 ? html`<p class="muted">No topics yet.</p>` : null}
    ${detail ? html`<${TopicDetail} topic=${detail} readOnly=${readOnly} onDone=${reload} />` : null}
  </section>`;
}

function CreateTopic({ onDone }: { onDone: () => void }) {
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const config: Record<string, string> = {};
    const retention = String(data.get('retention') ?? '');
    if (retention) config['retention.ms'] = retention;
    const policy = String(data.get('policy') ?? '');
    if (policy) config['cleanup.policy'] = policy;
    try {
      await api('POST', '/v1/topics', {
        name: String(data.get('name')),
        partitions: Number(data.get('partitions') || 1),
        ...(Object.keys(config).length ? { config } : {}),
      });
      form.reset();
      setError(undefined);
      onDone();
    } catch (err) {
      setError(errText(err));
    }
  };
  return html`<form class="inline" data-testid="create-topic" onSubmit=${submit}>
    <input name="name" placeholder="new topic name" required aria-label="topic name" />
    <input name="partitions" type="number" min="1" defaultValue="3" aria-label="partitions" />
    <input name="retention" type="number" placeholder="retention.ms" aria-label="retention.ms" />
    <select name="policy" aria-label="cleanup.policy">
      <option value="">cleanup.policy</option><option>delete</option><option>compact</option><option>compact,delete</option>
    </select>
    <button type="submit">Create topic</button>
    <${ErrorBox} error=${error} />
  </form>`;
}

function TopicDetail({
  topic,
  readOnly,
  onDone,
}: {
  topic: Described;
  readOnly: boolean;
  onDone: () => void;
}) {
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const run = async (what: () => Promise<string>) => {
    try {
      setNote(await what());
      setError(undefined);
      onDone();
    } catch (err) {
      setError(errText(err));
    }
  };
  const name = enc(topic.name);
  const defaults = TOPIC_CONFIG_DEFAULTS as Record<string, string | number>;
  const onAdd = (e: Event) => {
    e.preventDefault();
    const count = Number(new FormData(e.target as HTMLFormElement).get('count'));
    void run(async () => {
      const r: Json = await api('POST', `/v1/topics/${name}/partitions`, { count });
      return `${topic.name} has ${r.partitions} partitions`;
    });
  };
  const onDeleteRecords = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const partition = Number(data.get('partition'));
    const beforeOffset = String(data.get('before'));
    if (!confirm(`Delete the records of ${topic.name}/${partition} before offset ${beforeOffset}?`)) return;
    void run(async () => {
      const r: Json = await api('DELETE', `/v1/topics/${name}/records`, { partition, beforeOffset });
      return `partition ${partition} now starts at ${r.lowWatermark}`;
    });
  };
  const onDelete = () => {
    if (!confirm(`Delete topic ${topic.name} and all its records?`)) return;
    void run(async () => {
      await api('DELETE', `/v1/topics/${name}`);
      setParams({ topic: undefined });
      return `deleted ${topic.name}`;
    });
  };
  return html`<div class="panel" data-testid="topic-detail">
    <h3>${topic.name}</h3>
    <${ErrorBox} error=${error} />
    ${note ? html`<p class="note">${note}</p>` : null}
    <div class="cols">
      <table class="grid">
        <thead><tr><th>partition</th><th>earliest</th><th>latest</th><th>records</th></tr></thead>
        <tbody>
          ${topic.partitions.map(
            (p) => html`<tr key=${p.partition}>
              <td>${p.partition}</td><td>${p.earliestOffset}</td><td>${p.latestOffset}</td>
              <td>${(big(p.latestOffset) - big(p.earliestOffset)).toLocaleString('en')}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      <table class="grid" data-testid="topic-config">
        <thead><tr><th>config</th><th>value</th><th>default</th></tr></thead>
        <tbody>
          ${Object.entries(topic.config).map(([k, v]) => {
            const def = k in defaults ? topicConfigString(k, defaults[k]) : '';
            const changed = k in defaults && def !== v;
            return html`<tr key=${k} class=${changed ? 'changed' : ''}>
              <td>${k}</td><td>${v}</td><td class="muted">${def}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    ${
      readOnly
        ? null
        : html`<div class="mutations">
            <form class="inline" onSubmit=${onAdd}>
              <label>partitions <input name="count" type="number" min=${topic.partitions.length + 1} defaultValue=${topic.partitions.length + 1} /></label>
              <button type="submit">Add partitions</button>
            </form>
            <form class="inline" onSubmit=${onDeleteRecords}>
              <label>partition <input name="partition" type="number" min="0" max=${topic.partitions.length - 1} defaultValue="0" /></label>
              <label>before offset <input name="before" placeholder="offset or -1" required /></label>
              <button type="submit" class="danger">Delete records</button>
            </form>
            <button class="danger" onClick=${onDelete}>Delete topic</button>
          </div>`
    }
    <p class="muted">${fmt(Number(records(topic)))} records. Stored bytes are not reported by the API.</p>
  </div>`;
}
