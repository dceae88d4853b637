/**
 * The web console in a real browser (Debian's chromium through playwright-core), against a local
 * stack started in-process, as `npm start` runs it: the console built by console/build.ts and
 * served at /console/, the live tail at /v1/tail. A second stack on the same tables runs
 * read-only. Every wait is on a signal (a locator, a response), never a fixed sleep.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildConsole, CONSOLE_FILES } from '../../console/build.js';
import { partitionForKey } from '../../lib/contract/partitioner.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { type ApiClient, api } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, 'test/console/screenshots');
const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const UI_TIMEOUT = 15_000;

let stack: LocalStack;
let readOnlyStack: LocalStack;
let http: ApiClient;
let context: BrowserContext;
let page: Page;
let userDataDir: string;

async function startStack(
  names: { metaTable: string; indexTable: string; bucket: string },
  readOnly: boolean,
) {
  return startLocalStack({
    port: 0,
    kafka: false,
    s3Endpoint: inject('s3Endpoint'),
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    config: { ...names, readOnly },
  });
}

/**
 * Waits on the page, as Playwright Test's web-first assertions do (playwright-core has none):
 * polls the locator until it matches or UI_TIMEOUT passes.
 */
function pwExpect(loc: Locator) {
  const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT, interval: 50 });
  const all = async () => (await loc.allTextContents()).join(' ');
  return {
    toHaveText: (t: string | RegExp) =>
      typeof t === 'string'
        ? poll(async () => (await all()).trim()).toBe(t)
        : poll(async () => (await all()).trim()).toMatch(t),
    toContainText: (t: string) => poll(all).toContain(t),
    toHaveCount: (n: number) => poll(() => loc.count()).toBe(n),
    toHaveAttribute: (name: string, v: string) => poll(() => loc.getAttribute(name)).toBe(v),
    toBeVisible: () => loc.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT }),
  };
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const BIG = 'orders';
const BIG_PARTITIONS = 6;
const BIG_RECORDS = 10_000;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set STRATA_CHROMIUM`,
    );
  }
  const id = `strata-c-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const names = { metaTable: `${id}-meta`, indexTable: `${id}-index`, bucket: id };
  stack = await startStack(names, false);
  // The same tables, read-only: what the first stack writes, the second shows.
  readOnlyStack = await startStack(names, true);
  http = api(stack.url);
  mkdirSync(SHOTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
  // A fresh profile per run (Playwright owns --user-data-dir: a persistent context on a temp dir).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept());

  // 10,000 records over 6 partitions, keyed (murmur2 places them), 1,000 a request.
  expect((await http.post('/v1/topics', { name: BIG, partitions: BIG_PARTITIONS })).status).toBe(201);
  for (let start = 0; start < BIG_RECORDS; start += 1000) {
    const records = Array.from({ length: 1000 }, (_, j) => {
      const i = start + j;
      return {
        key: `customer-${i}`,
        // 2^53 + 1: a JSON number a JS number cannot hold.
        value: `{"order":${i},"id":9007199254740993,"customer":{"name":"c${i}","tier":"${i % 3 === 0 ? 'gold' : 'basic'}"}}`,
        headers: { source: 'bench', ...(i % 1000 === 7 ? { flag: 'rare' } : {}) },
      };
    });
    const res = await http.post(`/v1/topics/${BIG}/records`, { records });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await context?.close();
  await readOnlyStack?.stop();
  await stack?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

const open = (hash: string, base = stack.consoleUrl) => page.goto(`${base}${hash}`);

describe('the web console', () => {
  it('is served at /console/, its script under 150 KiB gzipped', async () => {
    const js = Buffer.from(await (await fetch(`${stack.url}/console/app.js`)).arrayBuffer());
    const gz = gzipSync(js).length;
    console.log(`console app.js: ${js.length} B, ${gz} B gzipped`);
    expect(gz).toBeLessThan(150 * 1024);
    expect((await fetch(`${stack.url}/console/`)).headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${stack.url}/console/../package.json`)).status).toBe(404);
  });

  it('buildConsole writes its static files into outDir, and nothing else', () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-console-build-'));
    try {
      const started = Date.now();
      buildConsole(join(out, 'site'));
      console.log(`buildConsole: ${Date.now() - started} ms`);
      expect(readdirSync(out)).toEqual(['site']);
      expect(readdirSync(join(out, 'site')).sort()).toEqual([...CONSOLE_FILES].sort());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('topics: creates a topic from the form, shows its partitions and changed configs', async () => {
    await open('#/topics');
    const form = page.getByTestId('create-topic');
    await form.getByLabel('topic name').fill('payments');
    await form.getByLabel('partitions').fill('2');
    await form.getByLabel('retention.ms').fill('3600000');
    await form.getByRole('button', { name: 'Create topic' }).click();
    const row = page.locator('tr[data-topic="payments"]');
    await pwExpect(row).toContainText('2');
    await row.getByRole('link', { name: 'payments' }).click();
    const config = page.getByTestId('topic-config');
    await pwExpect(config.locator('tr.changed')).toContainText('retention.ms');
    await pwExpect(page.locator(`tr[data-topic="${BIG}"]`)).toContainText('10,000');
    await shot('topics');
    await page.getByRole('button', { name: 'toggle dark mode' }).click();
    await pwExpect(page.locator('html[data-theme="dark"]')).toHaveCount(1);
    await shot('topics-dark');
    await page.getByRole('button', { name: 'toggle dark mode' }).click();
    await pwExpect(page.locator('html[data-theme="light"]')).toHaveCount(1);
  });

  it('produce: the form appends a record and shows its offset', async () => {
    await open('#/produce?topic=payments');
    const form = page.getByTestId('produce');
    await form.getByLabel('partition').selectOption('1');
    await form.getByLabel('key').fill('p-1');
    await form.getByLabel('value').fill('{"amount": 12345678901234567890}');
    await form.getByLabel('headers').fill('trace: abc\ncurrency: EUR');
    await form.getByRole('button', { name: 'Produce' }).click();
    await pwExpect(page.getByTestId('produced')).toHaveText('Produced: partition 1, offset 0');
    await shot('produce');
    const fetched = await http.get('/v1/topics/payments/partitions/1/records?offset=0');
    expect(fetched.body.records[0]).toMatchObject({ key: 'p-1', headers: { trace: 'abc', currency: 'EUR' } });
  });

  it('find by key: murmur2 picks the one partition, searched page by page', async () => {
    const key = 'customer-4242';
    const partition = partitionForKey(new TextEncoder().encode(key), BIG_PARTITIONS);
    await open(`#/messages?topic=${BIG}&key=${key}&decode=json`);
    await pwExpect(page.getByTestId('progress')).toContainText(
      `key ${key} → partition ${partition}: 1 found`,
    );
    const rows = page.locator('tr.record');
    await pwExpect(rows).toHaveCount(1);
    await pwExpect(rows.first()).toHaveAttribute('data-partition', String(partition));
    await pwExpect(rows.first().locator('td.key')).toHaveText(key);
    // int64-safe JSON: 2^53 + 1 is shown as sent, not rounded to ...992.
    await pwExpect(rows.first().locator('td.value')).toContainText('9007199254740993');
  });

  it('filters by a header, shows JSON path columns, exports the rows as CSV', async () => {
    await open(
      `#/messages?topic=${BIG}&from=earliest&order=oldest&limit=100&q=flag%3Drare&cols=customer.name,customer.tier&decode=json`,
    );
    await pwExpect(page.getByTestId('row-count')).toHaveText('10 rows');
    await pwExpect(page.getByTestId('progress')).toContainText(
      `scanned ${BIG_RECORDS.toLocaleString('en')} of`,
    );
    const first = page.locator('tr.record').first();
    // The JSON path columns of customer-7: customer.name, customer.tier.
    await pwExpect(first.locator('td:nth-child(7)')).toHaveText('c7');
    await pwExpect(first.locator('td:nth-child(8)')).toHaveText('basic');
    await first.click();
    await pwExpect(page.locator('tr.detail')).toContainText('flag=rare');
    await shot('messages');
    await page.screenshot({ path: join(ROOT, 'docs/images/console-messages.png') });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('topic,partition,offset,timestamp,key,value,headers');
    expect(csv).toHaveLength(11);
    const keys = csv.slice(1).map((line) => /,(customer-\d+),/.exec(line)?.[1]);
    expect(keys.sort()).toEqual(Array.from({ length: 10 }, (_, k) => `customer-${k * 1000 + 7}`).sort());
    expect(csv[1]).toContain('""flag"":""rare""');
  });

  it('start at a timestamp, hex decoding, and re-produce a row into another topic', async () => {
    const res = await http.post('/v1/topics/payments/records', {
      records: [
        { key: 'old', value: 'before', partition: 0, timestamp: 1_000 },
        { key: 'new', value: 'AB', partition: 0, timestamp: 2_000_000_000_000 },
      ],
    });
    expect(res.status).toBe(200);
    await open('#/messages?topic=payments&p=0&from=timestamp&at=1999999999999&decode=hex');
    const rows = page.locator('tr.record');
    await pwExpect(rows).toHaveCount(1);
    await pwExpect(rows.first().locator('td.value')).toHaveText('41 42');
    await pwExpect(rows.first().locator('td.key')).toHaveText('6e 65 77');

    await rows.first().getByRole('button', { name: 're-produce' }).click();
    const form = page.getByTestId('produce');
    await pwExpect(form.getByLabel('value')).toBeVisible();
    expect(await form.getByLabel('key').inputValue()).toBe('new');
    expect(await form.getByLabel('value').inputValue()).toBe('AB');
    await form.getByLabel('topic').selectOption(BIG);
    await form.getByRole('button', { name: 'Produce' }).click();
    await pwExpect(page.getByTestId('produced')).toContainText(
      `partition ${partitionForKey(new TextEncoder().encode('new'), BIG_PARTITIONS)}, offset`,
    );
  });

  it('live tail: a record produced during the test appears', async () => {
    await open('#/messages?topic=payments&from=latest&live=1');
    await pwExpect(page.getByTestId('tail-state')).toHaveText('live');
    const value = `tailed-${randomUUID()}`;
    const res = await http.post('/v1/topics/payments/records', { records: [{ value, partition: 0 }] });
    expect(res.status).toBe(200);
    await pwExpect(page.locator('tr.record').filter({ hasText: value })).toHaveCount(1);
    await shot('messages-tail');
    // Refused before the stream opens: the usual typed error.
    const unknown = await fetch(`${stack.url}/v1/tail?topic=nope&partition=0`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('groups: lag in records and in time; a reset previewed (dry run), then executed', async () => {
    // A group made with the API's reset (it creates an empty group): 10 committed on every partition.
    const made = await http.post('/v1/groups/billing/offsets/reset', {
      topic: BIG,
      to: 'offset',
      value: '10',
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const latest = await http.get(`/v1/topics/${BIG}`);
    const end0 = BigInt(latest.body.partitions[0].latestOffset);

    await open('#/groups?group=billing');
    await pwExpect(page.locator('tr[data-group="billing"]')).toContainText('Empty');
    const lag0 = page.getByTestId('lag-table').locator('tr[data-partition="0"]');
    await pwExpect(lag0.locator('td.lag')).toHaveText(String(end0 - 10n));
    await pwExpect(lag0.locator('td.time-lag')).toHaveText(/\d+(\.\d)? (ms|s|min)/);
    await shot('groups');

    const reset = page.getByTestId('reset');
    await reset.getByLabel('reset to', { exact: true }).selectOption('earliest');
    await reset.getByRole('button', { name: 'Preview (dry run)' }).click();
    const preview = page.getByTestId('reset-preview');
    await pwExpect(preview.locator('tbody tr')).toHaveCount(BIG_PARTITIONS);
    await pwExpect(preview.locator('tbody tr').first()).toContainText('10');
    await shot('groups-reset-preview');
    // The dry run changed nothing.
    const before = await http.get('/v1/groups/billing/offsets');
    expect(before.body.offsets.every((o: { offset: string }) => o.offset === '10')).toBe(true);

    await preview.getByRole('button', { name: 'Execute reset' }).click();
    await pwExpect(page.getByTestId('reset-done')).toHaveText(`reset ${BIG_PARTITIONS} partition(s)`);
    await pwExpect(lag0.locator('td.lag')).toHaveText(String(end0));
    const after = await http.get('/v1/groups/billing/offsets');
    expect(after.body.offsets.every((o: { offset: string }) => o.offset === '0')).toBe(true);
  });

  it('read-only mode: no mutating control on any screen, and the server refuses mutations', async () => {
    const base = readOnlyStack.consoleUrl;
    const mutating = /create|delete|add partitions|produce|reset|execute/i;
    await open('#/topics?topic=payments', base);
    await pwExpect(page.getByTestId('read-only')).toBeVisible();
    await pwExpect(page.getByTestId('topic-detail')).toBeVisible();
    await pwExpect(page.locator(`tr[data-topic="${BIG}"]`)).toBeVisible();
    await pwExpect(page.getByRole('button', { name: mutating })).toHaveCount(0);
    await pwExpect(page.getByTestId('create-topic')).toHaveCount(0);
    await pwExpect(page.getByRole('link', { name: 'Produce' })).toHaveCount(0);
    await shot('read-only-topics');

    await open(`#/messages?topic=${BIG}&from=earliest&limit=20`, base);
    await pwExpect(page.locator('tr.record')).toHaveCount(20);
    await pwExpect(page.getByRole('button', { name: mutating })).toHaveCount(0);
    await pwExpect(page.getByRole('button', { name: 'copy' }).first()).toBeVisible();

    await open('#/groups?group=billing', base);
    await pwExpect(page.getByTestId('lag-table').locator('tbody tr')).toHaveCount(BIG_PARTITIONS);
    await pwExpect(page.getByRole('button', { name: mutating })).toHaveCount(0);
    await pwExpect(page.getByTestId('reset')).toHaveCount(0);
    // A produce link goes nowhere: the screen is not drawn.
    await open('#/produce?topic=payments', base);
    await pwExpect(page.getByTestId('topics-table')).toBeVisible();
    await pwExpect(page.getByTestId('produce')).toHaveCount(0);

    const ro = api(readOnlyStack.url);
    expect((await ro.get('/v1/cluster')).body).toEqual({ readOnly: true, authorization: false });
    for (const [method, path, body] of [
      ['POST', '/v1/topics', { name: 'nope', partitions: 1 }],
      ['POST', '/v1/topics/payments/records', { records: [{ value: 'x' }] }],
      ['DELETE', '/v1/topics/payments', undefined],
      ['POST', '/v1/groups/billing/offsets/reset', { topic: BIG, to: 'latest' }],
    ] as const) {
      const res = await ro.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('CLUSTER_AUTHORIZATION_FAILED');
    }
    expect((await http.get('/v1/topics/payments')).status).toBe(200);
  });
});
