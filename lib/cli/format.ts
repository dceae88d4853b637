/**
 * The CLI's pure rendering: kcat-style format strings, JSON lines, aligned tables and TSV, and
 * the parsing of produce input lines.
 */
import { utf8Decode } from '../client/bytes.js';

export interface PrintedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, Uint8Array | undefined>;
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? utf8Decode(bytes) : '');

/**
 * Renders `%t` topic, `%p` partition, `%o` offset, `%k` key, `%v` value, `%T` timestamp (epoch
 * ms), `%h` headers (`k=v` joined by `,`), `%K`/`%S` key/value length in bytes (-1 for null),
 * `%%` a percent sign; `\n`, `\t`, `\r` and `\\` are escapes. Null keys and values render empty.
 */
export function renderFormat(format: string, rec: PrintedRecord): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    const next = format[i + 1];
    if (c === '%' && next !== undefined) {
      i++;
      switch (next) {
        case 't':
          out += rec.topic;
          break;
        case 'p':
          out += String(rec.partition);
          break;
        case 'o':
          out += rec.offset;
          break;
        case 'k':
          out += text(rec.key);
          break;
        case 'v':
          out += text(rec.value);
          break;
        case 'T':
          out += rec.timestamp;
          break;
        case 'h':
          out += Object.entries(rec.headers)
            .map(([k, v]) => `${k}=${text(v)}`)
            .join(',');
          break;
        case 'K':
          out += String(rec.key ? rec.key.length : -1);
          break;
        case 'S':
          out += String(rec.value ? rec.value.length : -1);
          break;
        case '%':
          out += '%';
          break;
        default:
          out += `%${next}`;
      }
    } else if (c === '\\' && next !== undefined) {
      i++;
      switch (next) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        default:
          out += `\\${next}`;
      }
    } else out += c;
  }
  return out;
}

/** One JSON object per record: offsets and timestamps as strings (as in the HTTP API), text as UTF-8. */
export function renderJson(rec: PrintedRecord): string {
  return JSON.stringify(recordToJson(rec));
}

/** The object renderJson prints. */
export function recordToJson(rec: PrintedRecord): Record<string, unknown> {
  const headers: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(rec.headers)) headers[k] = v ? utf8Decode(v) : null;
  return {
    topic: rec.topic,
    partition: rec.partition,
    offset: rec.offset,
    timestamp: rec.timestamp,
    key: rec.key ? utf8Decode(rec.key) : null,
    value: rec.value ? utf8Decode(rec.value) : null,
    headers,
  };
}

/**
 * How a command prints its rows: `table` (a terminal: header and aligned columns), `tsv` (a
 * pipe: cells only), `lines` (one line of text per row: a sentence, or a record in the user's
 * format), `json` (one JSON object per row).
 */
export type RowStyle = 'table' | 'tsv' | 'lines' | 'json';

/** Rows and how each style shows one; a style a command never uses needs no entry. */
export interface Rows<T> {
  readonly rows: readonly T[];
  /** The table's header. */
  readonly columns?: readonly string[];
  /** A row's cells, for `table` and `tsv`. */
  readonly cells?: (row: T) => (string | number)[];
  /** A row as one line (without its newline), for `lines`. */
  readonly line?: (row: T) => string;
  /** The object `json` prints for a row; the row itself by default. */
  readonly json?: (row: T) => unknown;
  /** What a `table` without rows prints instead of a bare header. */
  readonly empty?: string;
}

/** The one row printer of every CLI command. */
export function renderRows<T>(style: RowStyle, set: Rows<T>): string {
  const cells = (row: T) => {
    if (!set.cells) throw new Error(`rows without cells cannot be printed as ${style}`);
    return set.cells(row);
  };
  switch (style) {
    case 'table':
      if (set.rows.length === 0 && set.empty !== undefined) return `${set.empty}\n`;
      return renderTable([...(set.columns ?? [])], set.rows.map(cells));
    case 'tsv':
      return renderTsv(set.rows.map(cells));
    case 'lines': {
      const line = set.line;
      if (!line) throw new Error('rows without a line cannot be printed as lines');
      return set.rows.map((r) => `${line(r)}\n`).join('');
    }
    case 'json':
      return set.rows.map((r) => `${JSON.stringify(set.json ? set.json(r) : r)}\n`).join('');
  }
}

/** Columns padded to their widest cell, two spaces apart (the last column unpadded). */
export function renderTable(header: string[], rows: (string | number)[][]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Tab-separated rows, no header: for `cut`, `awk` and `while read`. */
export function renderTsv(rows: (string | number)[][]): string {
  return rows.map((r) => `${r.map(String).join('\t')}\n`).join('');
}

export interface ProduceLine {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  partition?: number;
  timestamp?: string | number;
}

/**
 * One stdin line as a record. Plain: the whole line is the value, or with a key separator the
 * text before its first occurrence is the key (no separator in the line: null key). JSON: an
 * object with `key`, `value`, `headers`, `partition`, `timestamp`; a non-string value is sent as
 * its JSON text. Returns undefined for a line to skip (blank).
 */
export function parseProduceLine(
  line: string,
  opts: { keySeparator?: string; json?: boolean; headers?: Record<string, string>; partition?: number },
): ProduceLine | undefined {
  const base = opts.headers ?? {};
  if (line.trim() === '') return undefined;
  if (opts.json) {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new InputError(`not a JSON object: ${(err as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new InputError('not a JSON object');
    const o = obj as Record<string, unknown>;
    const asText = (v: unknown): string | null =>
      v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
    const headers: Record<string, string> = { ...base };
    if (o.headers !== undefined && o.headers !== null) {
      if (typeof o.headers !== 'object' || Array.isArray(o.headers))
        throw new InputError('"headers" must be an object');
      for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) headers[k] = asText(v) ?? '';
    }
    let partition = opts.partition;
    if (o.partition !== undefined && o.partition !== null) {
      if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) {
        throw new InputError('"partition" must be a non-negative integer');
      }
      partition = o.partition;
    }
    const rec: ProduceLine = { key: asText(o.key), value: asText(o.value), headers };
    if (partition !== undefined) rec.partition = partition;
    if (typeof o.timestamp === 'number' || typeof o.timestamp === 'string') rec.timestamp = o.timestamp;
    return rec;
  }
  let key: string | null = null;
  let value = line;
  if (opts.keySeparator) {
    const i = line.indexOf(opts.keySeparator);
    if (i >= 0) {
      key = line.slice(0, i);
      value = line.slice(i + opts.keySeparator.length);
    }
  }
  const rec: ProduceLine = { key, value, headers: { ...base } };
  if (opts.partition !== undefined) rec.partition = opts.partition;
  return rec;
}

/** Bad input on stdin (exit 1, with the line number). */
export class InputError extends Error {}
