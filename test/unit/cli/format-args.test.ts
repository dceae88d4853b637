import { describe, expect, it } from 'vitest';
import {
  parseDatetime,
  parseDuration,
  parseKeyValue,
  parseOffsetSpec,
  startOffsetFor,
  UsageError,
} from '../../../lib/cli/args.js';
import {
  InputError,
  type PrintedRecord,
  parseProduceLine,
  renderFormat,
  renderJson,
  renderTable,
  renderTsv,
} from '../../../lib/cli/format.js';

const enc = (s: string) => new TextEncoder().encode(s);
const record: PrintedRecord = {
  topic: 'orders',
  partition: 2,
  offset: '17',
  timestamp: '1700000000000',
  key: enc('k1'),
  value: enc('héllo'),
  headers: { src: enc('cli'), trace: enc('t-1') },
};

describe('renderFormat', () => {
  it('substitutes %t %p %o %k %v %T %h', () => {
    expect(renderFormat('%t %p %o %k %v %T %h', record)).toBe(
      'orders 2 17 k1 héllo 1700000000000 src=cli,trace=t-1',
    );
  });

  it('handles lengths, escapes, %% and unknown directives', () => {
    expect(renderFormat('%K/%S\\t%%\\n%x\\q\\\\', record)).toBe('2/6\t%\n%x\\q\\');
  });

  it('renders null keys and values empty (lengths -1)', () => {
    const tomb = { ...record, key: null, value: null, headers: {} };
    expect(renderFormat('[%k][%v][%h] %K %S', tomb)).toBe('[][][] -1 -1');
  });

  it('keeps a trailing lone % or \\', () => {
    expect(renderFormat('%v%', record)).toBe('héllo%');
    expect(renderFormat('%v\\', record)).toBe('héllo\\');
  });
});

describe('renderJson', () => {
  it('gives topic, partition, offset, timestamp, key, value, headers, offsets as strings', () => {
    expect(JSON.parse(renderJson(record))).toEqual({
      topic: 'orders',
      partition: 2,
      offset: '17',
      timestamp: '1700000000000',
      key: 'k1',
      value: 'héllo',
      headers: { src: 'cli', trace: 't-1' },
    });
    expect(JSON.parse(renderJson({ ...record, key: null, value: null, headers: {} }))).toMatchObject({
      key: null,
      value: null,
    });
  });
});

describe('tables', () => {
  it('aligns columns to the widest cell', () => {
    expect(
      renderTable(
        ['NAME', 'PARTITIONS'],
        [
          ['orders', 3],
          ['a-much-longer-name', 12],
        ],
      ),
    ).toBe('NAME                PARTITIONS\norders              3\na-much-longer-name  12\n');
  });

  it('writes TSV without a header', () => {
    expect(
      renderTsv([
        ['a', 1, '-'],
        ['b', 2, '3'],
      ]),
    ).toBe('a\t1\t-\nb\t2\t3\n');
  });
});

describe('parseProduceLine', () => {
  it('splits key and value at the first separator; no separator means a null key', () => {
    expect(parseProduceLine('k:v:w', { keySeparator: ':' })).toEqual({ key: 'k', value: 'v:w', headers: {} });
    expect(parseProduceLine('no-sep', { keySeparator: ':' })).toEqual({
      key: null,
      value: 'no-sep',
      headers: {},
    });
    expect(parseProduceLine('a::b', { keySeparator: '::' })).toEqual({ key: 'a', value: 'b', headers: {} });
    expect(parseProduceLine('whole line', {})).toEqual({ key: null, value: 'whole line', headers: {} });
  });

  it('skips blank lines', () => {
    expect(parseProduceLine('', {})).toBeUndefined();
    expect(parseProduceLine('   ', { json: true })).toBeUndefined();
  });

  it('adds -H headers and -p partition', () => {
    expect(parseProduceLine('v', { headers: { a: '1' }, partition: 4 })).toEqual({
      key: null,
      value: 'v',
      headers: { a: '1' },
      partition: 4,
    });
  });

  it('reads JSON objects; non-string values travel as their JSON text; line headers win', () => {
    expect(
      parseProduceLine(
        '{"key":"k","value":{"total":3},"headers":{"a":"2","n":5},"partition":1,"timestamp":1700000000000}',
        {
          json: true,
          headers: { a: '1', b: 'x' },
        },
      ),
    ).toEqual({
      key: 'k',
      value: '{"total":3}',
      headers: { a: '2', b: 'x', n: '5' },
      partition: 1,
      timestamp: 1700000000000,
    });
    expect(parseProduceLine('{"value":null}', { json: true })).toEqual({
      key: null,
      value: null,
      headers: {},
    });
  });

  it('rejects malformed JSON input', () => {
    expect(() => parseProduceLine('{nope', { json: true })).toThrow(InputError);
    expect(() => parseProduceLine('[1]', { json: true })).toThrow(InputError);
    expect(() => parseProduceLine('{"partition":-1}', { json: true })).toThrow(/partition/);
    expect(() => parseProduceLine('{"headers":[1]}', { json: true })).toThrow(/headers/);
  });
});

describe('offset specs (-o)', () => {
  const bounds = { earliest: 10n, latest: 50n };
  it.each([
    ['beginning', 10n],
    ['end', 50n],
    ['25', 25n],
    ['5', 10n],
    ['99', 50n],
    ['-5', 45n],
    ['-100', 10n],
  ])('%s starts at %s', (spec, want) => {
    expect(startOffsetFor(parseOffsetSpec(spec), bounds)).toBe(want);
  });

  it('@<ms> starts at the offset the server found, or the end when none is that recent', () => {
    const spec = parseOffsetSpec('@1700000000000');
    expect(spec).toEqual({ kind: 'timestamp', timestamp: 1700000000000 });
    expect(startOffsetFor(spec, bounds, 30n)).toBe(30n);
    expect(startOffsetFor(spec, bounds, -1n)).toBe(50n);
  });

  it('rejects anything else', () => {
    for (const bad of ['', 'begin', '1.5', '@', '@x', '--3', 'x'])
      expect(() => parseOffsetSpec(bad)).toThrow(UsageError);
  });
});

describe('durations and datetimes', () => {
  it.each([
    ['PT10M', 600_000],
    ['P1DT2H', 93_600_000],
    ['PT1.5S', 1500],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['2d', 172_800_000],
    ['500ms', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('rejects malformed durations', () => {
    for (const bad of ['', 'P', 'PT', '10', '10x', 'm10', '1h 30m'])
      expect(() => parseDuration(bad)).toThrow(UsageError);
  });

  it('reads epoch ms and ISO 8601', () => {
    expect(parseDatetime('1700000000000')).toBe(1_700_000_000_000);
    expect(parseDatetime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(() => parseDatetime('yesterday')).toThrow(UsageError);
  });

  it('parses k=v with = in the value', () => {
    expect(parseKeyValue('a=b=c', '-H')).toEqual(['a', 'b=c']);
    expect(() => parseKeyValue('=x', '-H')).toThrow(UsageError);
    expect(() => parseKeyValue('novalue', '-H')).toThrow(UsageError);
  });
});
