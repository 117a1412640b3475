import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('never writes secrets: credentials, passwords, tokens and keys are redacted', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info(
      {
        jid: 'alice@example.org',
        credentials: { nick: 'alice', password: 'hunter2-pw', authToken: 'tok-123-secret' },
        registration: { credentials: { imapPassword: 'imap-secret-9' } },
        password: 'top-level-pw',
        twilio: { authToken: 'nested-token', accountSid: 'AC42' },
        config: { storage: { encryptionKey: 'enc-key-material' } },
      },
      'registered',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0];
    for (const secret of ['hunter2-pw', 'tok-123-secret', 'imap-secret-9', 'top-level-pw', 'nested-token', 'enc-key-material']) {
      expect(line).not.toContain(secret);
    }
    const entry = JSON.parse(line);
    expect(entry.jid).toBe('alice@example.org');
    expect(entry.credentials).toEqual({ nick: '[redacted]', password: '[redacted]', authToken: '[redacted]' });
    expect(entry.twilio).toEqual({ authToken: '[redacted]', accountSid: 'AC42' });
    expect(entry.msg).toBe('registered');
  });

  it('keeps each record on one line even when a remote party sends CR, LF or NUL', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).info({ body: 'a\r\n{"level":60,"msg":"forged"}\u0000' }, 'message from legacy network');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).body).toBe('a\r\n{"level":60,"msg":"forged"}\u0000');
  });

  it('respects the level', () => {
    const { lines, stream } = capture();
    const logger = createLogger('warn', stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown']);
  });
});
