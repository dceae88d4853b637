/**
 * docs/api.md against the contract (lib/contract): the routes, each route's request fields (body
 * and query, nested ones by path, with "(required)" where the schema requires them), the response
 * fields, the success status, the topic config table, the error table, and every "`<status> <CODE>`"
 * the page quotes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../lib/contract/endpoints.js';
import { ERROR_CODES, ERRORS, isErrorCode } from '../../lib/contract/errors.js';
import { TOPIC_CONFIG_DEFAULTS, topicConfigString } from '../../lib/contract/limits.js';
import { ROUTES, type RouteKey } from '../../lib/contract/routes.js';
import { topicConfigRequest } from '../../lib/contract/schemas.js';
import { ROUTE_RULES } from '../../lib/engine/http/authorization.js';

const DOC = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

interface Section {
  heading: string;
  body: string;
}

/** Splits the page at `##` and `###` headings (a `####` stays inside its section). */
function sections(doc: string): Section[] {
  const out: Section[] = [];
  let current: Section | undefined;
  for (const line of doc.split('\n')) {
    if (/^#{2,3} /.test(line)) {
      current = { heading: line, body: '' };
      out.push(current);
    } else if (current) current.body += `${line}\n`;
  }
  return out;
}

/** `### \`METHOD /path?query\`` -> `METHOD /path`. */
function routeOf(heading: string): string | undefined {
  const m = /^### `(GET|POST|DELETE|PUT|PATCH) ([^`?\s]+)(\?[^`]*)?`/.exec(heading);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

const routeSections = new Map<string, string>();
for (const s of sections(DOC)) {
  const route = routeOf(s.heading);
  if (route) {
    expect(routeSections.has(route), `${route} is documented twice`).toBe(false);
    routeSections.set(route, s.heading + s.body);
  }
}

/** The rows of the tables in `text` whose first header cell is `header`: cells, trimmed. */
function tableRows(text: string, header: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim());
    if (!inTable) {
      inTable = cells[0] === header;
      continue;
    }
    if (cells.every((c) => /^-*$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}

/** The documented fields of a table: path -> required. */
function documentedFields(text: string, header: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const [first = ''] of tableRows(text, header)) {
    const required = first.includes('(required)');
    for (const m of first.matchAll(/`([^`]+)`/g)) out.set(m[1] as string, required);
  }
  return out;
}

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
}

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Unwraps optional and nullable; reports whether the value may be absent. */
function unwrap(def: Def): { def: Def; optional: boolean } {
  let optional = false;
  let d = def;
  while ((d.type === 'optional' || d.type === 'nullable') && d.innerType) {
    if (d.type === 'optional') optional = true;
    d = d.innerType._zod.def;
  }
  return { def: d, optional };
}

/** Every field path of an object schema (`records[].key`), with whether it is required at its level. */
function schemaFields(schema: unknown): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const walk = (def: Def, prefix: string) => {
    for (const [name, child] of Object.entries(def.shape ?? {})) {
      const { def: inner, optional } = unwrap(child._zod.def);
      const path = prefix + name;
      out.set(path, !optional);
      if (inner.type === 'object') walk(inner, `${path}.`);
      if (inner.type === 'array' && inner.element) {
        const element = unwrap(inner.element._zod.def).def;
        if (element.type === 'object') walk(element, `${path}[].`);
      }
    }
  };
  const top = unwrap(defOf(schema)).def;
  expect(top.type).toBe('object');
  walk(top, '');
  return out;
}

const routeKeys = ROUTES.map((r) => `${r.method} ${r.path}` as RouteKey);

describe('docs/api.md routes', () => {
  it('documents every route of lib/contract/routes.ts, and no other', () => {
    expect([...routeSections.keys()].sort()).toEqual([...routeKeys].sort());
  });

  it('has an endpoint contract for every route', () => {
    expect(Object.keys(ENDPOINTS).sort()).toEqual([...routeKeys].sort());
  });
});

describe.each(routeKeys)('docs/api.md %s', (key) => {
  const endpoint: { body?: unknown; query?: unknown; response?: unknown; status: number } = ENDPOINTS[key];
  const section = routeSections.get(key) ?? '';

  if (endpoint.body !== undefined)
    it('lists exactly the body fields, with the required ones marked', () => {
      const documented = documentedFields(section, 'field');
      expect(documented.size, 'the section needs a "| field |" table').toBeGreaterThan(0);
      expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(schemaFields(endpoint.body)));
    });

  if (endpoint.query !== undefined)
    it('lists exactly the query parameters, with the required ones marked', () => {
      const documented = documentedFields(section, 'query');
      expect(documented.size, 'the section needs a "| query |" table').toBeGreaterThan(0);
      expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(schemaFields(endpoint.query)));
    });

  if (endpoint.body === undefined && endpoint.query === undefined)
    it('lists no request fields', () => {
      expect(documentedFields(section, 'field').size + documentedFields(section, 'query').size).toBe(0);
    });

  if (endpoint.response !== undefined)
    it('shows every top-level response field', () => {
      for (const field of schemaFields(endpoint.response).keys()) {
        if (field.includes('.') || field.includes('[')) continue;
        expect(section, `response field ${field}`).toMatch(new RegExp(`"${field}"|\`${field}\``));
      }
    });

  it('gives the success status', () => {
    if (endpoint.status !== 200) expect(section).toContain(`\`${endpoint.status}`);
    else expect(section).not.toMatch(/→ `20[14]/);
  });
});

describe('docs/api.md topic configs', () => {
  it('lists exactly the topic configs, with their defaults', () => {
    const rows = tableRows(DOC, 'config');
    const documented = Object.fromEntries(
      rows.map(([name = '', def = '']) => [name.replaceAll('`', ''), /`([^`]+)`/.exec(def)?.[1]]),
    );
    const keys = Object.keys(defOf(topicConfigRequest).shape ?? {});
    expect(Object.keys(documented).sort()).toEqual(keys.sort());
    for (const [name, value] of Object.entries(TOPIC_CONFIG_DEFAULTS)) {
      expect(documented[name], name).toBe(topicConfigString(name, value));
    }
  });
});

describe('docs/api.md errors', () => {
  const rows = tableRows(DOC, 'code');
  const yesNo = (b: boolean) => (b ? 'yes' : 'no');

  it('lists every code of the error table once, and no other', () => {
    const codes = rows.map(([code = '']) => code.replaceAll('`', ''));
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives each code its Kafka code, status, retriability and side effects', () => {
    for (const [code = '', kafkaCode, status, retriable, sideEffects] of rows) {
      const name = code.replaceAll('`', '');
      if (!isErrorCode(name)) continue;
      const e = ERRORS[name];
      expect({ kafkaCode, status, retriable, sideEffects }, name).toEqual({
        kafkaCode: String(e.kafkaCode),
        status: e.origin === 'client' ? '— (client)' : String(e.httpStatus),
        retriable: yesNo(e.retriable),
        sideEffects: yesNo(e.retrySideEffects),
      });
    }
  });

  it('quotes every "`<status> <CODE>`" with the status the table gives it', () => {
    const quoted = [...DOC.matchAll(/`(\d{3}) ([A-Z][A-Z_]+)`/g)];
    expect(quoted.length).toBeGreaterThan(20);
    for (const [, status, code = ''] of quoted) {
      expect(isErrorCode(code), `${code} is not in the error table`).toBe(true);
      if (isErrorCode(code)) expect(Number(status), code).toBe(ERRORS[code].httpStatus);
    }
  });
});

describe('docs/api.md authorization', () => {
  it('gives every route what lib/engine/http/authorization.ts requires of it, word for word', () => {
    const documented = Object.fromEntries(
      tableRows(DOC, 'route').map(([route = '', requires = '']) => [route.replaceAll('`', ''), requires]),
    );
    const code = Object.fromEntries(routeKeys.map((k) => [k, ROUTE_RULES[k].requires]));
    expect(documented).toEqual(code);
  });
});
