/**
 * The real `strata` binary (bin/strata.js) against the real handlers over HTTP: shell pipelines
 * into `produce`, `consume -e` in both output formats, groups (describe shows the lag, reset moves
 * offsets only with --execute), exit codes and error messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, strataSh } from '../support/cli.js';
import { createTestEngine, startTestServer, type TestServer } from '../support/stack.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(await createTestEngine());
});
afterAll(async () => {
  await server?.close();
});

/** Runs a shell command line in the repo root, with `strata` meaning the real binary. */
const sh = (command: string): Promise<Run> => strataSh(server.url, command);

async function ok(command: string): Promise<string> {
  const r = await sh(command);
  expect(r.code, `${command}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const tsv = (text: string) => lines(text).map((l) => l.split('\t'));

describe('strata CLI', () => {
  it('creates and lists topics', async () => {
    expect(await ok('strata topic create orders -p 3 -c retention.ms=86400000')).toBe('');
    expect(tsv(await ok('strata topic list'))).toContainEqual(['orders', '3']);
    const again = await sh('strata topic create orders -p 3');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: TOPIC_ALREADY_EXISTS: /);
    expect((await sh('strata topic create orders -p 3 --if-not-exists')).code).toBe(0);
  });

  it("alters a topic's configs: --config sets, --delete-config returns to the default, --dry-run stores nothing", async () => {
    await ok('strata topic create cfg -c retention.ms=3600000');
    const config = async () => JSON.parse(await ok('strata topic describe cfg --json')).config;
    expect(await ok('strata topic alter cfg -c cleanup.policy=compact --dry-run')).toBe('');
    expect((await config())['cleanup.policy']).toBe('delete');
    await ok('strata topic alter cfg -c cleanup.policy=compact -c min.compaction.lag.ms=500');
    expect(await config()).toMatchObject({
      'cleanup.policy': 'compact',
      'min.compaction.lag.ms': '500',
      'retention.ms': '3600000',
    });
    await ok('strata topic alter cfg --delete-config min.compaction.lag.ms');
    expect((await config())['min.compaction.lag.ms']).toBe('0');
    const bad = await sh('strata topic alter cfg -c retention.ms=soon');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: INVALID_CONFIG: /);
    const none = await sh('strata topic alter cfg');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--config or --delete-config/);
  });

  it('produces echoed lines and reads them back with consume -e, as a format string and as JSON', async () => {
    const produced = await ok(
      "printf 'k1:apple\\nk2:banana\\nk3:cherry\\nk1:date\\n' | strata produce orders -K : -H source=cli",
    );
    // At the end: partition, first offset, last offset, count.
    const summary = tsv(produced);
    expect(summary.reduce((n, row) => n + Number(row[3]), 0)).toBe(4);
    expect((await ok("echo 'no key here' | strata produce orders -v")).trim()).toMatch(/^\d\t\d+$/);

    const formatted = lines(await ok("strata consume orders -e -f '%k=%v %h'"));
    expect(formatted.sort()).toEqual(
      [
        '=no key here ',
        'k1=apple source=cli',
        'k1=date source=cli',
        'k2=banana source=cli',
        'k3=cherry source=cli',
      ].sort(),
    );
    // k1's two records share a partition and keep their order.
    expect(formatted.filter((l) => l.startsWith('k1='))).toEqual([
      'k1=apple source=cli',
      'k1=date source=cli',
    ]);

    const json = lines(await ok('strata consume orders -e --json')).map((l) => JSON.parse(l));
    expect(json).toHaveLength(5);
    const apple = json.find((r) => r.value === 'apple');
    expect(apple).toEqual({
      topic: 'orders',
      partition: expect.any(Number),
      offset: expect.stringMatching(/^\d+$/),
      timestamp: expect.stringMatching(/^\d+$/),
      key: 'k1',
      value: 'apple',
      headers: { source: 'cli' },
    });
    expect(json.find((r) => r.value === 'no key here')?.key).toBeNull();

    const p = String(apple.partition);
    const last = lines(await ok(`strata consume orders -p ${p} -o -1 -e -f '%o %v'`));
    expect(last).toEqual([
      `${json.filter((r) => r.partition === apple.partition).length - 1} ${
        json
          .filter((r) => r.partition === apple.partition)
          .sort((a, b) => Number(a.offset) - Number(b.offset))
          .at(-1).value
      }`,
    ]);
    expect(lines(await ok('strata consume orders -n 2 -f %v'))).toHaveLength(2);
  });

  it('produces JSON lines with keys, headers and explicit partitions', async () => {
    await ok('strata topic create js -p 2');
    await ok(
      `printf '%s\\n' '{"key":"a","value":{"n":1},"headers":{"h":"x"}}' '{"value":"to-one","partition":1}' | strata produce js --json`,
    );
    const json = lines(await ok('strata consume js -e --json')).map((l) => JSON.parse(l));
    expect(json.find((r) => r.key === 'a')).toMatchObject({ value: '{"n":1}', headers: { h: 'x' } });
    expect(json.find((r) => r.value === 'to-one')?.partition).toBe(1);
  });

  it('group describe shows the lag, and reset --execute moves the offsets (a dry run otherwise)', async () => {
    // Read 2 of the 5 records as group "billing" (it commits as it goes).
    expect(lines(await ok('strata consume orders -g billing -n 2 -f %v'))).toHaveLength(2);
    const describe = async () =>
      tsv(await ok('strata group describe billing')).map(
        ([group, topic, partition, current, end, lag, consumer]) => ({
          group,
          topic,
          partition: Number(partition),
          current,
          end,
          lag,
          consumer,
        }),
      );
    let rows = await describe();
    expect(rows.every((r) => r.group === 'billing' && r.topic === 'orders' && r.consumer === '-')).toBe(true);
    const total = (field: 'current' | 'end' | 'lag') =>
      rows.reduce((n, r) => n + (r[field] === '-' ? 0 : Number(r[field])), 0);
    expect(total('end')).toBe(5);
    expect(total('lag')).toBe(3);
    for (const r of rows) {
      if (r.current === '-') expect(r.lag).toBe('-');
      else expect(Number(r.lag)).toBe(Number(r.end) - Number(r.current));
    }

    // The rest, then no lag.
    expect(lines(await ok('strata consume orders -g billing -e -f %v'))).toHaveLength(3);
    rows = await describe();
    expect(rows).toHaveLength(3);
    expect(total('lag')).toBe(0);

    // Dry run: shows the plan, changes nothing.
    const dry = await sh('strata group reset billing --topic orders --to-earliest');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/dry run/);
    expect(tsv(dry.stdout).map((r) => r[4])).toEqual(['0', '0', '0']);
    rows = await describe();
    expect(total('lag')).toBe(0);

    await ok('strata group reset billing --topic orders --to-earliest --execute');
    rows = await describe();
    expect(rows.map((r) => r.current)).toEqual(['0', '0', '0']);
    expect(total('lag')).toBe(5);

    // One partition only, to an exact offset.
    const busy = rows.find((r) => Number(r.end) >= 2);
    expect(busy).toBeDefined();
    await ok(
      `strata group reset billing --topic orders --to-offset 1 --partitions ${busy?.partition} --execute`,
    );
    const after = await describe();
    for (const r of after) expect(r.current).toBe(r.partition === busy?.partition ? '1' : '0');

    expect(tsv(await ok('strata group list'))).toContainEqual(['billing', 'Empty', '0']);
  });

  it('exits 1 with "error: CODE: message" on errors, 2 on usage errors', async () => {
    const missing = await sh('strata topic describe no-such-topic');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: /);
    const usage = await sh('strata consume');
    expect(usage.code).toBe(2);
    const badOffset = await sh('strata consume orders -o yesterday');
    expect(badOffset.code).toBe(2);
    expect(badOffset.stderr).toMatch(/^error: USAGE: -o: /);
    const down = await sh('strata topic list --endpoint http://127.0.0.1:9');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: NETWORK_EXCEPTION: /);
  });
});
