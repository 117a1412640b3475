import pino, { type DestinationStream, type Logger } from 'pino';

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

/** destination: where the JSON lines go (standard output unless given; tests pass a stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
