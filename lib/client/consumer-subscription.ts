/** What a consumer subscribed to, as the heartbeat sends it and as the offset reset reads it. */
import { StrataUsageError } from './errors.js';

interface Subscription {
  matcher: string | RegExp;
  fromBeginning: boolean;
}

export class Subscriptions {
  private readonly list: Subscription[] = [];

  get size(): number {
    return this.list.length;
  }

  /** Checks each matcher and adds it; a bad one throws, leaving those before it added. */
  add(matchers: unknown[], fromBeginning: boolean): void {
    for (const m of matchers) {
      if (typeof m === 'string') {
        if (m === '') throw new StrataUsageError('subscribe: empty topic name');
      } else if (m instanceof RegExp) {
        if (/[imsy]/.test(m.flags)) {
          throw new StrataUsageError(
            `subscribe: regex flags "${m.flags}" cannot be sent to the coordinator; write the pattern without them`,
          );
        }
      } else throw new StrataUsageError('subscribe: topics are strings or RegExps');
      this.list.push({ matcher: m, fromBeginning });
    }
  }

  /** The subscription as the heartbeat carries it: names, or one pattern when any RegExp is present. */
  toWire(): { topics?: string[]; topicPattern?: string } {
    return subscriptionToWire(this.list.map((s) => s.matcher));
  }

  /** Where a partition of this topic starts without a committed offset: the first matching subscription says. */
  fromBeginning(topic: string): boolean {
    for (const s of this.list) {
      if (typeof s.matcher === 'string' ? s.matcher === topic : new RegExp(s.matcher.source).test(topic)) {
        return s.fromBeginning;
      }
    }
    return false;
  }
}

/**
 * Names only: `topics`. Any RegExp: one `topicPattern` matching the union. Names become
 * anchored, escaped alternatives so that they match only themselves whether the coordinator
 * tests the pattern anywhere in a name or against the whole name.
 */
export function subscriptionToWire(matchers: (string | RegExp)[]): {
  topics?: string[];
  topicPattern?: string;
} {
  const names = [...new Set(matchers.filter((m): m is string => typeof m === 'string'))];
  const regexes = matchers.filter((m): m is RegExp => m instanceof RegExp);
  if (regexes.length === 0) return { topics: names };
  if (regexes.length === 1 && names.length === 0) return { topicPattern: (regexes[0] as RegExp).source };
  const parts = [
    ...names.map((n) => `^${n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}$`),
    ...regexes.map((r) => `(?:${r.source})`),
  ];
  return { topicPattern: parts.join('|') };
}
