/**
 * Sums the self time of a V8 .cpuprofile (node --cpu-prof) by function and file, and by area:
 * Strata's own code, s3rver, the AWS SDK, other packages, the load generator, GC. Time in Node's
 * own code (crypto, streams, sockets, undici) is put on the nearest caller outside Node, so that
 * s3rver's MD5 counts as s3rver's and fetch() as the load generator's.
 *
 *   tsx bench/cpuprofile-summary.ts <file.cpuprofile | directory> [rows]
 *
 * For a directory it reads the newest profile in it, and if the directory holds window.json
 * (written by bench/profile-produce.ts) only the samples inside that window count.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function newestProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(path, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) throw new Error(`no .cpuprofile in ${path}`);
  return files[0];
}

const NODE = 'node internals';

/** s3rver and the Koa stack it runs on (Strata itself uses none of these). */
const S3RVER_PACKAGES =
  /^(s3rver|koa|@koa\/.+|koa-.+|xmlbuilder.*|fast-xml-parser|he|busboy|lodash|winston|logform|graceful-fs|fs-extra|universalify|on-finished|parseurl|delegates|humanize-number|chalk|readable-stream)$/;

/** Where a frame's code lives: a project folder, a package, Node itself, or V8's pseudo-frames. */
function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8 (program)';
  if (name === '(root)') return NODE;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) {
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/')) {
      return 'AWS SDK';
    }
    // s3rver and the Koa stack it runs on.
    if (S3RVER_PACKAGES.test(pkg)) {
      return 's3rver (the emulator)';
    }
    return `package ${pkg}`;
  }
  if (/\/bench\//.test(url)) return 'load generator (bench/)';
  const own = /\/(lib\/[^/]+|local|functions)\//.exec(url)?.[1];
  if (own) return `strata ${own}`;
  return NODE;
}

function shortUrl(url: string): string {
  const pkg = url.lastIndexOf('node_modules/');
  if (pkg >= 0) return url.slice(pkg + 'node_modules/'.length);
  const m = /\/(lib|local|bench|functions|test)\/.*/.exec(url);
  return m ? m[0].slice(1) : url;
}

function main() {
  const path = process.argv[2];
  if (!path) throw new Error('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile | dir> [rows]');
  const rowsWanted = Number(process.argv[3] ?? 20);
  const file = newestProfile(path);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const windowFile = join(statSync(path).isDirectory() ? path : dirname(path), 'window.json');
  const window = existsSync(windowFile)
    ? (JSON.parse(readFileSync(windowFile, 'utf8')) as { startUs: number; endUs: number })
    : undefined;

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The area a node's self time is charged to: its own, or its nearest caller's outside Node. */
  const charged = new Map<number, string>();
  const chargedArea = (id: number): string => {
    const known = charged.get(id);
    if (known) return known;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    let area = areaOf(frame.url, frame.functionName);
    if (area === NODE) {
      const up = parent.get(id);
      const callerArea = up === undefined ? NODE : chargedArea(up);
      area = callerArea === NODE ? NODE : callerArea;
    }
    charged.set(id, area);
    return area;
  };

  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, { us: number; area: string }>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const name = frame.functionName || '(anonymous)';
    const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
    const key = frame.url ? `${name} ${shortUrl(frame.url)}${line}` : name;
    const area = chargedArea(id);
    // One row per function and area: Node's hash update is s3rver's MD5 in one place, SigV4 in another.
    const entry = byFunction.get(`${key}\n${area}`) ?? { us: 0, area };
    entry.us += us;
    byFunction.set(`${key}\n${area}`, entry);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    total += us;
  }
  const busy = total - (byArea.get('idle') ?? 0);
  const ms = (us: number) => (us / 1000).toFixed(0);
  const pct = (us: number) => ((us / busy) * 100).toFixed(1);
  console.log(
    `${file}${window ? ' (the produce loop only)' : ''}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`,
  );
  console.log('\n| area (Node internals charged to their caller) | self ms | % of busy |\n|---|---:|---:|');
  for (const [area, us] of [...byArea].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) {
    console.log(`| ${area} | ${ms(us)} | ${pct(us)} |`);
  }
  console.log('\n| function (self time) | charged to | self ms | % of busy |\n|---|---|---:|---:|');
  const top = [...byFunction].filter(([, v]) => v.area !== 'idle').sort((a, b) => b[1].us - a[1].us);
  for (const [key, { us, area }] of top.slice(0, rowsWanted)) {
    const name = key.split('\n')[0] as string;
    console.log(`| \`${name.replaceAll('|', '\\|')}\` | ${area} | ${ms(us)} | ${pct(us)} |`);
  }
}

main();
