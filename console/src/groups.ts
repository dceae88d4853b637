/**
 * Consumer groups: a paginated list; one group's members, per-partition lag in records and in
 * time (now minus the timestamp of the next unread record) with a trend; offset resets with a
 * dry-run preview first.
 */
import { useState } from 'preact/hooks';
import { api, enc, fetchPage, type Json } from './api.js';
import { ago, big, ErrorBox, errText, html, Spark, setParams, usePoll } from './ui.js';

const PAGE_SIZE = 25;

interface Lag {
  topic: string;
  partition: number;
  committedOffset: string | null;
  logEndOffset: string | null;
  lag: string | null;
  memberId: string | null;
  /** ms behind: now minus the timestamp of the record at the committed offset; 0 when caught up. */
  timeLag?: number | null;
}

function protocol(g: { type: string; protocolType: string }): string {
  return g.type === 'classic' ? `classic (${g.protocolType || 'none'})` : 'consumer (KIP-848 / HTTP)';
}

/** Lag samples per group: total records and the largest time lag. */
const trend = new Map<string, { at: number; records: number; ms: number }[]>();

export function Groups({
  params,
  readOnly,
  refresh,
}: {
  params: URLSearchParams;
  readOnly: boolean;
  refresh: number;
}) {
  const selected = params.get('group') ?? '';
  const page = Number(params.get('page') ?? 0) || 0;
  const [groups, setGroups] = useState<Json[]>();
  const [error, setError] = useState<string>();
  usePoll(
    async () => {
      try {
        const r: Json = await api('GET', '/v1/groups');
        setGroups((r.groups as Json[]).sort((a, b) => String(a.groupId).localeCompare(b.groupId)));
        setError(undefined);
      } catch (err) {
        setError(errText(err));
      }
    },
    refresh,
    [],
  );
  const pages = Math.max(1, Math.ceil((groups?.length ?? 0) / PAGE_SIZE));
  const shown = (groups ?? []).slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  return html`<section>
    <h2>Consumer groups</h2>
    <${ErrorBox} error=${error} />
    <table class="grid" data-testid="groups-table">
      <thead><tr><th>group</th><th>state</th><th>protocol</th><th>members</th><th>epoch</th></tr></thead>
      <tbody>
        ${shown.map(
          (
            g,
          ) => html`<tr key=${g.groupId} class=${g.groupId === selected ? 'selected' : ''} data-group=${g.groupId}>
            <td><a href="#" onClick=${(e: Event) => {
              e.preventDefault();
              setParams({ group: g.groupId });
            }}>${g.groupId}</a></td>
            <td>${g.state}</td><td>${protocol(g)}</td><td>${g.members}</td><td>${g.groupEpoch}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${groups && groups.length === 0 ? html`<p class="muted">No consumer groups.</p>` : null}
    <div class="pager">
      <button disabled=${page === 0} onClick=${() => setParams({ page: String(page - 1) })}>‹ prev</button>
      <span>page ${page + 1} of ${pages}</span>
      <button disabled=${page + 1 >= pages} onClick=${() => setParams({ page: String(page + 1) })}>next ›</button>
    </div>
    ${selected ? html`<${GroupDetail} key=${selected} group=${selected} readOnly=${readOnly} refresh=${refresh} />` : null}
  </section>`;
}

/** The time lag of one partition: fetch the one record at the committed offset. */
async function timeLag(l: Lag): Promise<number | null> {
  if (l.lag === null || l.committedOffset === null) return null;
  if (big(l.lag) === 0n) return 0;
  try {
    const p = await fetchPage(l.topic, l.partition, l.committedOffset, 1);
    const r = p.records[0];
    return r ? Math.max(0, Date.now() - Number(r.timestamp)) : null;
  } catch {
    return null;
  }
}

function GroupDetail({ group, readOnly, refresh }: { group: string; readOnly: boolean; refresh: number }) {
  const [g, setG] = useState<Json>();
  const [lags, setLags] = useState<Lag[]>([]);
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  usePoll(
    async () => {
      try {
        const d: Json = await api('GET', `/v1/groups/${enc(group)}`);
        const offsets = d.offsets as Lag[];
        const withTime = await Promise.all(offsets.map(async (l) => ({ ...l, timeLag: await timeLag(l) })));
        const list = trend.get(group) ?? [];
        list.push({
          at: Date.now() / 1000,
          records: withTime.reduce((s, l) => s + Number(l.lag ?? 0), 0),
          ms: Math.max(0, ...withTime.map((l) => l.timeLag ?? 0)),
        });
        if (list.length > 40) list.shift();
        trend.set(group, list);
        setG(d);
        setLags(withTime);
        setError(undefined);
      } catch (err) {
        setError(errText(err));
      }
    },
    refresh,
    [group, tick],
  );
  const samples = trend.get(group) ?? [];
  const times = samples.map((s) => s.at);
  return html`<div class="panel" data-testid="group-detail">
    <h3>${group} <span class="muted">${g ? `${g.state} · ${protocol(g)} · ${g.protocolName || ''}` : ''}</span></h3>
    <${ErrorBox} error=${error} />
    <div class="trend">
      lag <${Spark} times=${times} values=${samples.map((s) => s.records)} label="{} records" />
      time lag <${Spark} times=${times} values=${samples.map((s) => s.ms / 1000)} label="{} s" />
    </div>
    <table class="grid" data-testid="lag-table">
      <thead><tr><th>topic</th><th>partition</th><th>committed</th><th>log end</th><th>lag</th><th>time lag</th><th>owner</th></tr></thead>
      <tbody>
        ${lags.map(
          (l) => html`<tr key=${`${l.topic}/${l.partition}`} data-partition=${l.partition}>
            <td>${l.topic}</td><td>${l.partition}</td><td>${l.committedOffset ?? '-'}</td><td>${l.logEndOffset ?? '-'}</td>
            <td class="lag">${l.lag ?? '-'}</td>
            <td class="time-lag">${l.timeLag === null || l.timeLag === undefined ? '-' : ago(l.timeLag)}</td>
            <td class="muted">${l.memberId ?? ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h4>Members</h4>
    <table class="grid" data-testid="members-table">
      <thead><tr><th>member</th><th>client</th><th>host</th><th>status</th><th>assignment</th></tr></thead>
      <tbody>
        ${((g?.members ?? []) as Json[]).map(
          (m) => html`<tr key=${m.memberId}>
            <td>${m.memberId}</td><td>${m.clientId ?? ''}</td><td>${m.host ?? ''}</td><td>${m.status}</td>
            <td>${(m.assignment as Json[]).map((a) => `${a.topic}: ${a.partitions.join(',')}`).join('; ')}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${readOnly || !g ? null : html`<${Reset} group=${group} state=${g.state} lags=${lags} onDone=${() => setTick((t) => t + 1)} />`}
  </div>`;
}

function Reset({
  group,
  state,
  lags,
  onDone,
}: {
  group: string;
  state: string;
  lags: Lag[];
  onDone: () => void;
}) {
  const topics = [...new Set(lags.map((l) => l.topic))];
  const [preview, setPreview] = useState<{ body: Json; offsets: Json[] }>();
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const request = (form: HTMLFormElement): Json => {
    const data = new FormData(form);
    const topic = String(data.get('topic'));
    const scope = String(data.get('scope'));
    const to = String(data.get('to'));
    const value = String(data.get('value') ?? '').trim();
    const partitions = scope === 'all' ? undefined : [Number(scope)];
    if (to === 'shift') {
      // Shift by N from the committed offset, per partition (the server clamps to the log).
      const n = BigInt(value || '0');
      const offsets = lags
        .filter((l) => l.topic === topic && (partitions === undefined || partitions.includes(l.partition)))
        .filter((l) => l.committedOffset !== null)
        .map((l) => {
          const target = big(l.committedOffset) + n;
          return { partition: l.partition, offset: (target < 0n ? 0n : target).toString() };
        });
      if (offsets.length === 0) throw new Error('no committed offset to shift from');
      return { topic, to: 'offset', offsets };
    }
    const v = to === 'timestamp' && value !== '' && !/^\d+$/.test(value) ? String(Date.parse(value)) : value;
    return { topic, to, ...(v !== '' ? { value: v } : {}), ...(partitions ? { partitions } : {}) };
  };
  const onPreview = async (e: Event) => {
    e.preventDefault();
    try {
      const body = request(e.target as HTMLFormElement);
      const r: Json = await api('POST', `/v1/groups/${enc(group)}/offsets/reset`, { ...body, dryRun: true });
      setPreview({ body, offsets: r.offsets });
      setDone(undefined);
      setError(undefined);
    } catch (err) {
      setError(errText(err));
    }
  };
  const onExecute = async () => {
    if (!preview) return;
    try {
      const r: Json = await api('POST', `/v1/groups/${enc(group)}/offsets/reset`, {
        ...preview.body,
        dryRun: false,
      });
      setDone(`reset ${r.offsets.length} partition(s)`);
      setPreview(undefined);
      setError(undefined);
      onDone();
    } catch (err) {
      setError(errText(err));
    }
  };
  const partitions = [...new Set(lags.map((l) => l.partition))].sort((a, b) => a - b);
  return html`<div class="reset" data-testid="reset">
    <h4>Reset offsets</h4>
    ${state !== 'Empty' ? html`<p class="muted">The group is ${state}: a reset runs only on an empty group (as in Kafka); preview still works.</p>` : null}
    <form class="inline" onSubmit=${onPreview} onInput=${() => setPreview(undefined)}>
      <select name="topic" aria-label="reset topic">${topics.map((t) => html`<option>${t}</option>`)}</select>
      <select name="scope" aria-label="reset partitions">
        <option value="all">all partitions</option>
        ${partitions.map((p) => html`<option value=${p}>partition ${p}</option>`)}
      </select>
      <select name="to" aria-label="reset to">
        <option value="earliest">earliest</option><option value="latest">latest</option>
        <option value="timestamp">timestamp</option><option value="offset">offset</option><option value="shift">shift by</option>
      </select>
      <input name="value" aria-label="reset value" placeholder="offset, ms/ISO time, ±N" />
      <button type="submit">Preview (dry run)</button>
    </form>
    ${
      preview
        ? html`<div data-testid="reset-preview">
            <table class="grid">
              <thead><tr><th>topic</th><th>partition</th><th>before</th><th>after</th></tr></thead>
              <tbody>${preview.offsets.map((o) => html`<tr><td>${o.topic}</td><td>${o.partition}</td><td>${o.before ?? '-'}</td><td>${o.after}</td></tr>`)}</tbody>
            </table>
            <button class="danger" onClick=${onExecute}>Execute reset</button>
          </div>`
        : null
    }
    ${done ? html`<p class="note" data-testid="reset-done">${done}</p>` : null}
    <${ErrorBox} error=${error} />
  </div>`;
}
