import { redact } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

/**
 * Structured JSON logs, one object per line, every field passed through `redact`. Workers Logs index
 * JSON lines, so fields stay queryable.
 */
export function createLogger(
  base: Record<string, unknown> = {},
  sink: LogSink = (l) => console.log(l),
): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const record = redact({ level, msg, time: new Date().toISOString(), ...base, ...fields });
    sink(JSON.stringify(record));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}
