/** Parsing of the CLI's option values. Each throws UsageError (exit 2) on bad input. */

export class UsageError extends Error {}

export type OffsetSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'fromEnd'; count: bigint }
  | { kind: 'timestamp'; timestamp: number };

/** `beginning` | `end` | `<offset>` | `-<N>` (N before the end) | `@<epoch ms>` (kcat's -o). */
export function parseOffsetSpec(spec: string): OffsetSpec {
  const s = spec.trim();
  if (s === 'beginning' || s === 'earliest' || s === 'start') return { kind: 'beginning' };
  if (s === 'end' || s === 'latest') return { kind: 'end' };
  if (/^\d+$/.test(s)) return { kind: 'offset', offset: BigInt(s) };
  if (/^-\d+$/.test(s)) return { kind: 'fromEnd', count: BigInt(s.slice(1)) };
  if (/^@\d+$/.test(s)) return { kind: 'timestamp', timestamp: Number(s.slice(1)) };
  throw new UsageError(`-o: expected beginning, end, <offset>, -<N> or @<epoch ms>, got "${spec}"`);
}

/**
 * Where a partition read starts for a spec, given its bounds (and, for a timestamp, the offset
 * the server found for it). Offsets past the end clamp to the end; below the start, to the start.
 */
export function startOffsetFor(
  spec: OffsetSpec,
  bounds: { earliest: bigint; latest: bigint },
  timestampOffset?: bigint,
): bigint {
  const clamp = (o: bigint) =>
    o < bounds.earliest ? bounds.earliest : o > bounds.latest ? bounds.latest : o;
  switch (spec.kind) {
    case 'beginning':
      return bounds.earliest;
    case 'end':
      return bounds.latest;
    case 'offset':
      return clamp(spec.offset);
    case 'fromEnd':
      return clamp(bounds.latest - spec.count);
    case 'timestamp':
      return clamp(timestampOffset === undefined || timestampOffset < 0n ? bounds.latest : timestampOffset);
  }
}

/** `k=v` (the value may contain `=`). */
export function parseKeyValue(arg: string, what: string): [string, string] {
  const i = arg.indexOf('=');
  if (i <= 0) throw new UsageError(`${what}: expected key=value, got "${arg}"`);
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** Commander collector for repeatable `k=v` options. */
/** A repeatable option's values, in order. */
export const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

export function collectKeyValue(what: string) {
  return (arg: string, previous: Record<string, string> = {}) => {
    const [k, v] = parseKeyValue(arg, what);
    return { ...previous, [k]: v };
  };
}

export function parseNonNegativeInt(value: string, what: string): number {
  if (!/^\d+$/.test(value.trim()))
    throw new UsageError(`${what}: expected a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what}: too large: ${value}`);
  return n;
}

export function parsePositiveInt(value: string, what: string): number {
  const n = parseNonNegativeInt(value, what);
  if (n === 0) throw new UsageError(`${what}: must be at least 1`);
  return n;
}

/** Epoch ms, or an ISO 8601 date-time (kafka-consumer-groups' --to-datetime). */
export function parseDatetime(value: string): number {
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const ms = Date.parse(s);
  if (Number.isNaN(ms))
    throw new UsageError(`--to-datetime: expected epoch ms or an ISO 8601 date-time, got "${value}"`);
  return ms;
}

/**
 * A duration in ms: ISO 8601 (`PT10M`, `P1DT2H`, as kafka-consumer-groups' --by-duration) or
 * compact (`90s`, `10m`, `1h30m`, `2d`, `500ms`).
 */
export function parseDuration(value: string): number {
  const s = value.trim();
  const iso =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, d, h, m, sec] = iso;
    return Math.round(
      (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(sec ?? 0)) * 1000,
    );
  }
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new UsageError(`--by-duration: expected e.g. PT10M, 10m, 1h30m or 90s, got "${value}"`);
  }
  return Math.round(total);
}
