/** Shared pieces of the screens: the template tag, the hash router, polling, the sparkline. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

export { html };

export interface Route {
  screen: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [screen = '', query = ''] = raw.split('?');
  return { screen: screen || 'topics', params: new URLSearchParams(query) };
}

function hashOf(screen: string, params: URLSearchParams): string {
  const q = params.toString();
  return `#/${screen}${q ? `?${q}` : ''}`;
}

/** Goes to a screen (a history entry); the refresh interval travels along. */
export function navigate(screen: string, params: Record<string, string> = {}): void {
  const p = new URLSearchParams(params);
  const refresh = currentRoute().params.get('refresh');
  if (refresh && !p.has('refresh')) p.set('refresh', refresh);
  location.hash = hashOf(screen, p);
}

/** Changes view state in place (no history entry): every view setting lives in the URL. */
export function setParams(changes: Record<string, string | undefined>): void {
  const { screen, params } = currentRoute();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') params.delete(k);
    else params.set(k, v);
  }
  history.replaceState(null, '', hashOf(screen, params));
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Calls `fn` now and every `seconds` (0: only now and when `deps` change). */
export function usePoll(fn: () => void, seconds: number, deps: unknown[]): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    saved.current();
    if (!seconds) return;
    const t = setInterval(() => saved.current(), seconds * 1000);
    return () => clearInterval(t);
  }, [seconds, ...deps]);
}

/** A small trend line (uPlot), no axes: `values` over `times` (seconds). */
export function Spark({ times, values, label }: { times: number[]; values: number[]; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    plot.current = new uPlot(
      {
        width: 120,
        height: 28,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: 'currentColor', width: 1.5, fill: 'rgba(80,140,255,0.15)' }],
      },
      [[], []],
      ref.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => {
    plot.current?.setData([times, values]);
  }, [times, values]);
  const last = values.at(-1);
  return html`<span class="spark" title=${label}
    ><span ref=${ref}></span><span class="spark-val">${last === undefined ? '–' : label.replace('{}', fmt(last))}</span></span
  >`;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
  return n.toLocaleString('en', { maximumFractionDigits: 1 });
}

export function ago(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = s / 60;
  if (m < 120) return `${m.toFixed(1)} min`;
  return `${(m / 60).toFixed(1)} h`;
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? html`<div class="error" role="alert">${error}</div>` : null;
}

/** Offsets are int64 strings: compare and subtract them as BigInt, never as JS numbers. */
export const big = (s: string | null | undefined): bigint => BigInt(s ?? '0');

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
