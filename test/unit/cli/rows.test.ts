/**
 * The CLI's one row printer (lib/cli/format.ts renderRows), and the human output of the commands
 * that print through it: what a terminal shows, what a pipe gets.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderRows } from '../../../lib/cli/format.js';
import { runCli } from '../../../lib/cli/main.js';
import { FakeLog } from '../client/fake-log.js';

const topics = [
  { name: 'orders', partitions: 12 },
  { name: 'a', partitions: 1 },
];
const listing = {
  rows: topics,
  columns: ['NAME', 'PARTITIONS'],
  cells: (t: (typeof topics)[number]) => [t.name, t.partitions],
  line: (t: (typeof topics)[number]) => `${t.name} has ${t.partitions}`,
  empty: 'no topics',
};

describe('renderRows', () => {
  it('table: a header and columns padded to the widest cell', () => {
    expect(renderRows('table', listing)).toBe('NAME    PARTITIONS\norders  12\na       1\n');
  });

  it('table without rows: the empty sentence, or the bare header when there is none', () => {
    expect(renderRows('table', { ...listing, rows: [] })).toBe('no topics\n');
    const { empty: _none, ...noEmpty } = listing;
    expect(renderRows('table', { ...noEmpty, rows: [] })).toBe('NAME  PARTITIONS\n');
  });

  it('tsv: the cells only, no header, nothing for no rows', () => {
    expect(renderRows('tsv', listing)).toBe('orders\t12\na\t1\n');
    expect(renderRows('tsv', { ...listing, rows: [] })).toBe('');
  });

  it('lines: one line per row', () => {
    expect(renderRows('lines', listing)).toBe('orders has 12\na has 1\n');
  });

  it('json: one object per row, the row itself unless a json mapping is given', () => {
    expect(renderRows('json', listing)).toBe(
      '{"name":"orders","partitions":12}\n{"name":"a","partitions":1}\n',
    );
    expect(renderRows('json', { ...listing, json: (t) => ({ topic: t.name }) })).toBe(
      '{"topic":"orders"}\n{"topic":"a"}\n',
    );
  });
});

function terminal(log: FakeLog, stdin?: string) {
  const out: string[] = [];
  return {
    out,
    io: {
      stdout: { write: (s: string) => out.push(s) > 0, isTTY: true },
      stderr: { write: () => true },
      stdin: Readable.from(stdin === undefined ? [] : [stdin]),
      fetch: log.fetch,
    },
  };
}

describe('human output', () => {
  it('topic describe: a sentence, then the partition table', async () => {
    const log = new FakeLog();
    log.createTopic('t', 2);
    await runCli(['produce', 't', '-p', '1'], terminal(log, 'a\nb\n').io);
    const t = terminal(log);
    expect(await runCli(['topic', 'describe', 't'], t.io)).toBe(0);
    expect(t.out.join('')).toBe(
      'topic t: 2 partitions\n' +
        'PARTITION  EARLIEST-OFFSET  LATEST-OFFSET  RECORDS\n' +
        '0          0                0              0\n' +
        '1          0                2              2\n',
    );
  });

  it('produce: a summary sentence and one line per partition; -v one line per record', async () => {
    const log = new FakeLog();
    log.createTopic('t', 2);
    const t = terminal(
      log,
      '{"value":"a","partition":1}\n{"value":"b","partition":0}\n{"value":"c","partition":1}\n',
    );
    expect(await runCli(['produce', 't', '--json'], t.io)).toBe(0);
    expect(t.out.join('')).toBe(
      'produced 3 records to t\n  partition 0: offset 0 (1)\n  partition 1: offsets 0-1 (2)\n',
    );
    const v = terminal(log, '{"value":"d","partition":0}\n');
    expect(await runCli(['produce', 't', '--json', '-v'], v.io)).toBe(0);
    expect(v.out.join('')).toBe('partition 0 offset 1\n');
  });

  it('topic list without topics says so', async () => {
    const t = terminal(new FakeLog());
    expect(await runCli(['topic', 'list'], t.io)).toBe(0);
    expect(t.out.join('')).toBe('no topics\n');
  });
});
