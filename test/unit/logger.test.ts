import { Writable } from 'node:stream';
import { createLogger, formatPretty, resolveLogFormat } from '../../src/logger';

function capture(isTTY = false) {
  const lines: string[] = [];
  const stream: Writable & { isTTY?: boolean } = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  if (isTTY) stream.isTTY = true;
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

describe('human-readable logs', () => {
  it('auto means pretty on a terminal and JSON anywhere else', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes time, level, message and fields on one line, still redacted, without colours off a terminal', () => {
    const { lines, stream } = capture();
    createLogger('info', stream, 'pretty').child({ domain: 'irc.example.org' }).warn({ attempt: 3, ok: false, credentials: { password: 'hunter2' }, note: 'two words' }, 'component connect failed');
    expect(lines).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} WARN  component connect failed domain=irc\.example\.org attempt=3 ok=false credentials=\{"password":"\[redacted\]"\} note="two words"$/),
    ]);
    expect(lines[0]).not.toContain('hunter2');
  });

  it('colours the level only on a terminal, and not with NO_COLOR', () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
    try {
      delete process.env.NO_COLOR;
      process.env.TERM = 'xterm';
      const tty = capture(true);
      createLogger('info', tty.stream, 'auto').error('boom');
      expect(tty.lines[0]).toMatch(/^\S+ \x1b\[31mERROR\x1b\[0m boom$/);
      process.env.NO_COLOR = '1';
      const plain = capture(true);
      createLogger('info', plain.stream, 'auto').error('boom');
      expect(plain.lines[0]).toMatch(/^\S+ ERROR boom$/);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('cannot be made to forge a record or drive the terminal: controls are escaped, line breaks only indent', () => {
    const line = JSON.stringify({ level: 30, time: 0, msg: 'from IRC\r\n12:00:00.000 FATAL forged', body: 'a\u001b[2J\u0000b\u009bc', stack: 'Error: x\n    at f (a.js:1:1)\n12:00:00.000 FATAL forged\r' });
    const [head, ...rest] = formatPretty(line).replace(/\n$/, '').split('\n');
    expect(head).toMatch(/^\S+ INFO  from IRC\\u000d\\n12:00:00\.000 FATAL forged body="a\\u001b\[2J\\u0000b\\u009bc"$/);
    expect(rest).toEqual(['    stack:', '      Error: x', '          at f (a.js:1:1)', '      12:00:00.000 FATAL forged\\u000d']);
    for (const part of rest) expect(part).toMatch(/^ {4}/);
    expect(formatPretty('not json\u001b[31m\n')).toBe('not json\\u001b[31m\n');
  });
});
