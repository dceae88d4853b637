import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { advertisedRanges, createHandlerRegistry } from '../../../lib/kafka/apis.js';
import { AUTHORIZATION, describeRule } from '../../../lib/kafka/authorization.js';
import { APIS } from '../../../lib/kafka/protocol/schema/index.js';

/** The rows of docs/kafka.md's "APIs and versions" table: key, API, advertised, served. */
function documentedApis(): { key: number; name: string; advertised: string; served: string }[] {
  const doc = readFileSync('docs/kafka.md', 'utf8');
  const start = doc.indexOf('## APIs and versions');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line) => {
      const [key, name, advertised, served] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { key: Number(key), name: name ?? '', advertised: advertised ?? '', served: served ?? '' };
    });
}

it('docs/kafka.md lists exactly the APIs and versions the gateway advertises and serves', () => {
  const registry = createHandlerRegistry();
  const names = new Map<number, string>(Object.values(APIS).map((a) => [a.key, a.name]));
  const actual = advertisedRanges(registry.values()).map((r) => {
    const h = registry.get(r.apiKey);
    return {
      key: r.apiKey,
      name: names.get(r.apiKey) ?? '',
      advertised: `${r.minVersion}-${r.maxVersion}`,
      served: `${h?.min}-${h?.max}`,
    };
  });
  const documented = documentedApis().map((d) => ({ ...d, served: d.served.split(' ')[0] ?? '' }));
  expect(documented).toEqual(actual);
});

/** The rows of docs/kafka.md's "Authorization" table: key, API, needs. */
function documentedAuthorization(): { key: number; name: string; needs: string }[] {
  const doc = readFileSync('docs/kafka.md', 'utf8');
  const start = doc.indexOf('## Authorization');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line) => {
      const [key, name, needs] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { key: Number(key), name: name ?? '', needs: needs ?? '' };
    });
}

it("docs/kafka.md's Authorization table is lib/kafka/authorization.ts's, for every API in the registry", () => {
  const registry = createHandlerRegistry();
  const expected = [...registry.values()]
    .map((h) => ({ key: APIS[h.api].key, name: h.api, needs: describeRule(AUTHORIZATION[h.api]) }))
    .sort((a, b) => a.key - b.key);
  expect(documentedAuthorization()).toEqual(expected);
});
