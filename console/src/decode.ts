/**
 * Decoding of record bytes for display: text, JSON (pretty, and lossless: a number is kept as the
 * text it was, so an int64 offset or id above 2^53 is never rounded) and hex. Plus JSON-path
 * columns, search and export (JSON lines, CSV).
 */
import type { Rec } from './api.js';

export type Decoding = 'text' | 'json' | 'hex';

const utf8 = new TextDecoder('utf-8');

export function text(b: Uint8Array | null): string {
  return b === null ? '' : utf8.decode(b);
}

export function hex(b: Uint8Array | null): string {
  if (b === null) return '';
  let out = '';
  for (let i = 0; i < b.length; i++)
    out += `${(b[i] as number).toString(16).padStart(2, '0')}${i % 16 === 15 ? '\n' : ' '}`;
  return out.trimEnd();
}

/** A JSON number, kept as its source text. */
export class Num {
  constructor(readonly raw: string) {}
}
export type JsonValue = null | boolean | string | Num | JsonValue[] | { [k: string]: JsonValue };

const LITERALS: [string, JsonValue][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** A JSON parser that keeps numbers as text (Num). Throws on malformed input. */
export function parseLossless(src: string): JsonValue {
  let i = 0;
  const ws = () => {
    while (i < src.length && ' \t\n\r'.includes(src[i] as string)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at ${i}`);
  };
  const value = (): JsonValue => {
    ws();
    const c = src[i];
    if (c === '{') {
      i++;
      const obj: { [k: string]: JsonValue } = {};
      ws();
      if (src[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (src[i] !== '"') fail();
        const k = str();
        ws();
        if (src[i++] !== ':') fail();
        obj[k] = value();
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === '}') {
          i++;
          return obj;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (src[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === ']') {
          i++;
          return arr;
        } else fail();
      }
    }
    if (c === '"') return str();
    for (const [word, v] of LITERALS) {
      if (src.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 400));
    if (!m) return fail();
    i += m[0].length;
    return new Num(m[0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    if (i >= src.length) fail();
    i++;
    return JSON.parse(src.slice(start, i)) as string;
  };
  const v = value();
  ws();
  if (i !== src.length) fail();
  return v;
}

export function stringify(v: JsonValue, indent = 2, depth = 0): string {
  if (v === null) return 'null';
  if (v instanceof Num) return v.raw;
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  const pad = ' '.repeat(indent * (depth + 1));
  const end = ' '.repeat(indent * depth);
  const nl = indent > 0 ? '\n' : '';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${nl}${v.map((x) => pad + stringify(x, indent, depth + 1)).join(`,${nl}`)}${nl}${end}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  const sep = indent > 0 ? ': ' : ':';
  return `{${nl}${keys.map((k) => `${pad}${JSON.stringify(k)}${sep}${stringify(v[k] as JsonValue, indent, depth + 1)}`).join(`,${nl}`)}${nl}${end}}`;
}

/** The value as the decoding shows it; JSON that does not parse falls back to text. */
export function show(b: Uint8Array | null, decoding: Decoding, indent = 2): string {
  if (b === null) return '';
  if (decoding === 'hex') return hex(b);
  const t = text(b);
  if (decoding === 'json') {
    try {
      return stringify(parseLossless(t), indent);
    } catch {
      return t;
    }
  }
  return t;
}

/** `a.b[0].c` (or `$.a.b`) in a JSON value, as display text; '' when absent or not JSON. */
export function jsonPath(b: Uint8Array | null, path: string): string {
  if (b === null) return '';
  let v: JsonValue;
  try {
    v = parseLossless(text(b));
  } catch {
    return '';
  }
  const steps = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '');
  for (const step of steps) {
    if (v === null || typeof v !== 'object' || v instanceof Num) return '';
    v = Array.isArray(v) ? (v[Number(step)] ?? null) : ((v as Record<string, JsonValue>)[step] ?? null);
  }
  if (v === null) return '';
  return typeof v === 'string' ? v : stringify(v, 0);
}

/** Case-insensitive search over key, value, header names and values. */
export function matches(r: Rec, needle: string): boolean {
  if (needle === '') return true;
  const n = needle.toLowerCase();
  if (text(r.key).toLowerCase().includes(n) || text(r.value).toLowerCase().includes(n)) return true;
  for (const [k, v] of Object.entries(r.headers)) {
    const h = text(v).toLowerCase();
    if (k.toLowerCase().includes(n) || h.includes(n) || `${k}=${h}`.toLowerCase().includes(n)) return true;
  }
  return false;
}

export function headersText(r: Rec): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(r.headers)) out[k] = v === null ? null : text(v);
  return out;
}

/** One JSON object per line; offsets and timestamps stay strings. */
export function toJsonLines(rows: Rec[]): string {
  return rows
    .map((r) =>
      JSON.stringify({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key === null ? null : text(r.key),
        value: r.value === null ? null : text(r.value),
        headers: headersText(r),
      }),
    )
    .join('\n')
    .concat(rows.length > 0 ? '\n' : '');
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const CSV_COLUMNS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'] as const;

/** RFC 4180 CSV with a header row; headers as a JSON object. */
export function toCsv(rows: Rec[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.topic,
        String(r.partition),
        r.offset,
        r.timestamp,
        text(r.key),
        text(r.value),
        JSON.stringify(headersText(r)),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function download(name: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
