/** KafkaJS-shaped logging: `logLevel` constants and a `logCreator(level) => (entry) => void` hook. */

export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;
export type LogLevel = (typeof logLevel)[keyof typeof logLevel];

export interface LogEntry {
  namespace: string;
  level: LogLevel;
  label: string;
  log: { timestamp: string; logger: 'strata'; message: string; [key: string]: unknown };
}

export type LogCreator = (level: LogLevel) => (entry: LogEntry) => void;

export interface Logger {
  error(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  debug(message: string, extra?: Record<string, unknown>): void;
  namespace(name: string): Logger;
}

const LABELS: Record<number, string> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };

/** KafkaJS's default: one JSON line per entry on the console. */
export const consoleLogCreator: LogCreator = () => (entry) => {
  const { message, ...rest } = entry.log;
  const line = JSON.stringify({ level: entry.label, ...rest, message: `[${entry.namespace}] ${message}` });
  if (entry.level <= logLevel.ERROR) console.error(line);
  else if (entry.level === logLevel.WARN) console.warn(line);
  else console.log(line);
};

export function createLogger(
  level: LogLevel = logLevel.INFO,
  creator: LogCreator = consoleLogCreator,
): Logger {
  const sink = creator(level);
  const make = (ns: string): Logger => {
    const emit = (lvl: LogLevel, message: string, extra?: Record<string, unknown>) => {
      if (lvl > level || level === logLevel.NOTHING) return;
      sink({
        namespace: ns,
        level: lvl,
        label: LABELS[lvl] ?? String(lvl),
        log: { timestamp: new Date().toISOString(), logger: 'strata', message, ...extra },
      });
    };
    return {
      error: (m, e) => emit(logLevel.ERROR, m, e),
      warn: (m, e) => emit(logLevel.WARN, m, e),
      info: (m, e) => emit(logLevel.INFO, m, e),
      debug: (m, e) => emit(logLevel.DEBUG, m, e),
      namespace: (name) => make(ns ? `${ns}.${name}` : name),
    };
  };
  return make('');
}
