import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat } from './config';

export type { Logger };

const SECRET_NAMES = ['password', 'secret', 'token', 'authToken', 'encryptionKey'];

/**
 * Secrets are censored wherever they appear as a property up to two levels below the logged
 * object, and everything under any `credentials` object is censored. pino writes JSON, so CR, LF
 * and NUL inside logged strings are escaped and cannot forge log lines.
 */
const REDACT_PATHS = [
  ...SECRET_NAMES,
  ...SECRET_NAMES.map((name) => `*.${name}`),
  ...SECRET_NAMES.map((name) => `*.*.${name}`),
  'credentials.*',
  '*.credentials.*',
  '*.*.credentials.*',
];

/** Where log text goes: process.stdout, or a test's stream. */
export interface LogOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * destination: where the lines go (standard output unless given; tests pass a stream).
 * format: 'auto' (the default on standard output) is human-readable on a terminal and JSON lines
 * otherwise, which is what journald, files and log shippers want; a given destination gets JSON
 * unless told otherwise.
 */
export function createLogger(level: string, destination?: DestinationStream & LogOutput, format: LogFormat = destination ? 'json' : 'auto'): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const output: LogOutput = destination ?? process.stdout;
  if (resolveLogFormat(format, output.isTTY === true) === 'pretty') {
    // Redaction happens in pino, before the line reaches the formatter.
    const color = output.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    return pino(options, { write: (line: string) => output.write(formatPretty(line, color)) });
  }
  return destination ? pino(options, destination) : pino(options);
}

export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  if (format === 'auto') return isTTY ? 'pretty' : 'json';
  return format;
}

const LEVELS: Record<number, { label: string; color: string }> = {
  10: { label: 'TRACE', color: '90' },
  20: { label: 'DEBUG', color: '34' },
  30: { label: 'INFO ', color: '32' },
  40: { label: 'WARN ', color: '33' },
  50: { label: 'ERROR', color: '31' },
  60: { label: 'FATAL', color: '1;31' },
};

/** Fields every line has that a person at a terminal does not need. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * One pino JSON line as `12:34:56.789 INFO  message key=value …`. Strings with line breaks (stack
 * traces) follow on indented lines, so a line that starts at column 0 is always a new record;
 * control characters (CR, NUL, terminal escapes) are shown escaped, never written.
 */
export function formatPretty(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${oneLine(line.replace(/\n$/, ''))}\n`;
  }
  const level = LEVELS[Number(entry.level)] ?? { label: String(entry.level).padEnd(5), color: '0' };
  const label = color ? `\x1b[${level.color}m${level.label}\x1b[0m` : level.label;
  const inline: string[] = [];
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key)) continue;
    if (typeof value === 'string' && value.includes('\n')) {
      blocks.push(`    ${oneLine(key)}:`, ...value.replace(/\n+$/, '').split('\n').map((part) => `      ${escapeControls(part)}`));
    } else {
      inline.push(`${oneLine(key)}=${formatValue(value)}`);
    }
  }
  const head = [clock(entry.time), label, oneLine(String(entry.msg ?? '')), ...inline].filter((part) => part !== '').join(' ');
  return [head, ...blocks].join('\n') + '\n';
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z0-9._:/@%+#~-]+$/.test(value)) return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  // JSON escapes C0 controls and quotes; what it leaves (DEL, C1, bidi overrides) is escaped below.
  return escapeControls(JSON.stringify(value) ?? String(value));
}

/** Everything a terminal could act on or that could fake a record boundary, except tab and LF. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeControls(text: string): string {
  return text.replace(CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function oneLine(text: string): string {
  return escapeControls(text).replace(/\n/g, '\\n');
}
