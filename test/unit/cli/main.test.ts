import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT, runCli } from '../../../lib/cli/main.js';
import { FakeLog } from '../client/fake-log.js';

function io(log: FakeLog, opts: { stdin?: string; tty?: boolean; endpoint?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (s: string) => out.push(s) > 0, isTTY: opts.tty ?? false },
      stderr: { write: (s: string) => err.push(s) > 0 },
      stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
      ...(opts.endpoint ? { defaultEndpoint: opts.endpoint } : {}),
      fetch: log.fetch,
    },
  };
}

describe('strata CLI', () => {
  it('exits 2 on usage errors: unknown command, missing argument, bad option value', async () => {
    const log = new FakeLog();
    for (const argv of [
      ['topic', 'frobnicate'],
      ['produce'],
      ['consume', 't', '-o', 'sideways'],
      ['topic', 'create', 't', '-p', 'x'],
    ]) {
      const t = io(log);
      expect(await runCli(argv, t.io)).toBe(2);
      expect(t.err.join('')).toMatch(/error/);
    }
    const conflicting = io(log);
    expect(await runCli(['consume', 't', '-g', 'g', '-p', '0'], conflicting.io)).toBe(2);
    expect(conflicting.err.join('')).toBe(
      'error: USAGE: -p cannot be used with -g: the group assigns partitions\n',
    );
    expect(log.requests).toHaveLength(0);
  });

  it('exits 0 for --help', async () => {
    const t = io(new FakeLog());
    expect(await runCli(['--help'], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/Usage: strata/);
  });

  it('exits 1 with "error: CODE: message" on an API error', async () => {
    const log = new FakeLog();
    log.createTopic('orders', 1);
    const t = io(log);
    expect(await runCli(['topic', 'create', 'orders'], t.io)).toBe(1);
    expect(t.err.join('')).toBe('error: TOPIC_ALREADY_EXISTS: exists\n');
    expect(await runCli(['topic', 'create', 'orders', '--if-not-exists'], io(log).io)).toBe(0);
  });

  it('uses the endpoint it is given, else STRATA_ENDPOINT (from bin), else localhost:4510', async () => {
    const log = new FakeLog();
    await runCli(['topic', 'list'], io(log).io);
    await runCli(['topic', 'list'], io(log, { endpoint: 'http://from-env:1' }).io);
    await runCli(
      ['topic', 'list', '--endpoint', 'http://flag:2'],
      io(log, { endpoint: 'http://from-env:1' }).io,
    );
    expect(DEFAULT_ENDPOINT).toBe('http://localhost:4510');
    // FakeLog records paths only; the fetch URL's host is checked through the Request URL.
    const hosts: string[] = [];
    const spy: typeof fetch = (input, init) => {
      hosts.push(new URL(String(input)).host);
      return log.fetch(input, init);
    };
    for (const [argv, endpoint] of [
      [['topic', 'list'], undefined],
      [['topic', 'list'], 'http://from-env:1'],
      [['topic', 'list', '--endpoint', 'http://flag:2'], 'http://from-env:1'],
    ] as const) {
      const t = io(log, endpoint ? { endpoint } : {});
      await runCli([...argv], { ...t.io, fetch: spy });
    }
    expect(hosts).toEqual(['localhost:4510', 'from-env:1', 'flag:2']);
  });

  it('prints aligned tables on a terminal and TSV when piped', async () => {
    const log = new FakeLog();
    log.createTopic('orders', 3);
    log.createTopic('a', 1);
    const tty = io(log, { tty: true });
    await runCli(['topic', 'list'], tty.io);
    expect(tty.out.join('')).toBe('NAME    PARTITIONS\na       1\norders  3\n');
    const piped = io(log);
    await runCli(['topic', 'list'], piped.io);
    expect(piped.out.join('')).toBe('a\t1\norders\t3\n');
    const json = io(log);
    await runCli(['topic', 'list', '--json'], json.io);
    expect(
      json.out
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { name: 'a', partitions: 1 },
      { name: 'orders', partitions: 3 },
    ]);
  });

  it('produce: one record per line, -K key separator, -H headers; prints per-partition offsets', async () => {
    const log = new FakeLog();
    log.createTopic('t', 1);
    const t = io(log, { stdin: 'k1:v1\nk2:v2:x\n\nnokey\n' });
    expect(await runCli(['produce', 't', '-K', ':', '-H', 'src=cli', '-H', 'n=1'], t.io)).toBe(0);
    // The client's binary path: one record batch to the partition.
    expect(log.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/v1/producers',
      '/v1/topics/t/partitions/0/batches',
    ]);
    const records = log.topics.get('t')?.[0]?.map(({ timestamp: _t, ...r }) => r);
    expect(records).toEqual([
      { key: 'k1', value: 'v1', headers: { src: 'cli', n: '1' } },
      { key: 'k2', value: 'v2:x', headers: { src: 'cli', n: '1' } },
      { key: null, value: 'nokey', headers: { src: 'cli', n: '1' } },
    ]);
    expect(t.out.join('')).toBe('0\t0\t2\t3\n');
  });

  it("produce -v prints each record's partition and offset in input order", async () => {
    const log = new FakeLog();
    log.createTopic('t', 2);
    const t = io(log, {
      stdin: '{"value":"a","partition":1}\n{"value":"b","partition":0}\n{"value":"c","partition":1}\n',
    });
    expect(await runCli(['produce', 't', '--json', '-v'], t.io)).toBe(0);
    expect(t.out.join('')).toBe('1\t0\n0\t0\n1\t1\n');
  });

  it('produce --json rejects a bad line with its number (exit 1)', async () => {
    const log = new FakeLog();
    log.createTopic('t', 1);
    const t = io(log, { stdin: '{"value":"a"}\nnot json\n' });
    expect(await runCli(['produce', 't', '--json'], t.io)).toBe(1);
    expect(t.err.join('')).toMatch(/^error: INVALID_INPUT: line 2: not a JSON object/);
  });

  it('consume -e prints every record in the given format and exits at the end', async () => {
    const log = new FakeLog();
    log.createTopic('t', 2);
    await runCli(['produce', 't', '-K', '='], io(log, { stdin: 'a=1\nb=2\nc=3\n' }).io);
    const t = io(log);
    expect(await runCli(['consume', 't', '-e', '-f', '%k=%v@%p'], t.io)).toBe(0);
    expect(t.out.join('').trim().split('\n').sort()).toEqual(
      ['a=1', 'b=2', 'c=3']
        .map((kv) => {
          const stored = log.topics.get('t')?.findIndex((p) => p.some((r) => r.key === kv[0]));
          return `${kv}@${stored}`;
        })
        .sort(),
    );
    const n = io(log);
    expect(await runCli(['consume', 't', '-e', '-n', '2', '--json'], n.io)).toBe(0);
    expect(n.out.join('').trim().split('\n')).toHaveLength(2);
  });

  it('consume --table prints the latest value per key; --follow then prints each change', async () => {
    const log = new FakeLog();
    log.createTopic('t', 2);
    await runCli(['produce', 't', '-K', '='], io(log, { stdin: 'b=1\na=1\nb=2\nc=1\n' }).io);
    await runCli(['produce', 't', '--json'], io(log, { stdin: '{"key":"c","value":null}\n' }).io);
    const t = io(log);
    expect(await runCli(['consume', 't', '--table'], t.io)).toBe(0);
    expect(t.out.join('')).toBe('a\t1\nb\t2\n');
    const f = io(log);
    const stop = new AbortController();
    const running = runCli(['consume', 't', '--table', '--follow', '-f', '%k=%v'], {
      ...f.io,
      signal: stop.signal,
    });
    const printed = async (text: string) => {
      for (let i = 0; i < 200 && !f.out.join('').includes(text); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(f.out.join('')).toContain(text);
    };
    await printed('a=1\nb=2\n');
    await runCli(
      ['produce', 't', '--json'],
      io(log, { stdin: '{"key":"a","value":"9"}\n{"key":"b","value":null}\n' }).io,
    );
    await printed('a=9\n');
    await printed('b=\n');
    stop.abort();
    expect(await running).toBe(0);
    for (const argv of [
      ['consume', 't', '--table', '-g', 'g'],
      ['consume', 't', '--table', '-o', 'end'],
      ['consume', 't', '--follow'],
    ]) {
      const u = io(log);
      expect(await runCli(argv, u.io)).toBe(2);
    }
  });
});
