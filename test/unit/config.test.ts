import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig, parseConfig, type AdapterOptionsSchema } from '../../src/config';

// High-entropy: loadConfig refuses guessable keys (parseConfig alone does not apply that policy).
const KEY = 'oZ0t3yZFyHzFuLw8LbkCswgSJqhAHYC5Ra8VhHgNpWk=';
const minimal = `
storage:
  encryptionKey: ${KEY}
transports:
  - domain: irc.example.org
    secret: s3cret
    adapter: irc
`;

function problems(text: string, env: NodeJS.ProcessEnv = {}, schemas?: AdapterOptionsSchema): string[] {
  try {
    parseConfig(text, 'gateway.yaml', env, schemas);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const ircOptions = z.strictObject({
  server: z.strictObject({ host: z.string(), port: z.number().int().max(65535).default(6667) }),
});
const schemas: AdapterOptionsSchema = (adapter) => (adapter === 'irc' ? ircOptions : undefined);

describe('parseConfig defaults', () => {
  it('fills in every documented default', () => {
    const config = parseConfig(minimal, 'gateway.yaml', {});
    expect(config).toEqual({
      xmpp: { host: '127.0.0.1', port: 5347, reconnect: { initialDelayMs: 1000, maxDelayMs: 60000 }, queueLimit: 10000, backlogPauseKb: 1024 },
      storage: { encryptionKey: KEY },
      http: { enabled: true, host: '127.0.0.1', port: 8080, metrics: true },
      logging: { level: 'info', format: 'auto' },
      restore: { concurrency: 5, perSecond: 10 },
      shutdown: { drainTimeoutMs: 10000 },
      archive: { enabled: true, retentionDays: 30, maxPerConversation: 10000 },
      access: { allow: [] },
      outbound: { allow: [], deny: [] },
      transports: [{ domain: 'irc.example.org', secret: 's3cret', adapter: 'irc', options: {}, outbound: { allow: [], deny: [] } }],
    });
  });

  it('keeps explicit values and lower-cases domains', () => {
    const config = parseConfig(
      `
xmpp: { host: xmpp.internal, port: 5348, reconnect: { initialDelayMs: 50 }, queueLimit: 5 }
storage: { url: 'postgres://gw@db/gw', encryptionKey: ${KEY} }
http: { enabled: false, publicUrl: 'https://gw.example.org/' }
logging: { level: debug }
access: { allow: [example.org, bob@example.net] }
transports:
  - { domain: IRC.Example.ORG, secret: s, adapter: irc, name: IRC gateway, options: { server: { host: irc.libera.chat } } }
`,
      'gateway.yaml',
      {},
      schemas,
    );
    expect(config.xmpp).toEqual({ host: 'xmpp.internal', port: 5348, reconnect: { initialDelayMs: 50, maxDelayMs: 60000 }, queueLimit: 5, backlogPauseKb: 1024 });
    expect(config.storage.url).toBe('postgres://gw@db/gw');
    expect(config.http).toEqual({ enabled: false, host: '127.0.0.1', port: 8080, publicUrl: 'https://gw.example.org/', metrics: true });
    expect(config.logging.level).toBe('debug');
    expect(config.access.allow).toEqual(['example.org', 'bob@example.net']);
    expect(config.transports[0]).toEqual({
      domain: 'irc.example.org',
      secret: 's',
      adapter: 'irc',
      name: 'IRC gateway',
      options: { server: { host: 'irc.libera.chat', port: 6667 } },
      outbound: { allow: [], deny: [] },
    });
  });
});

describe('parseConfig outbound address policy', () => {
  it('reads the global lists and each transport\'s own', () => {
    const config = parseConfig(`
storage: { encryptionKey: ${KEY} }
outbound:
  allow: [10.0.0.0/8, ' irc.internal:6667 ', '[fd00::/8]:143', '*.corp.example']
  deny: [169.254.169.254, metadata.internal]
transports:
  - { domain: irc.example.org, secret: s, adapter: irc, outbound: { allow: [127.0.0.1/32] } }
  - { domain: email.example.org, secret: s, adapter: email }
`, 'gateway.yaml', {});
    expect(config.outbound).toEqual({
      allow: ['10.0.0.0/8', 'irc.internal:6667', '[fd00::/8]:143', '*.corp.example'],
      deny: ['169.254.169.254', 'metadata.internal'],
    });
    expect(config.transports[0].outbound).toEqual({ allow: ['127.0.0.1/32'], deny: [] });
    expect(config.transports[1].outbound).toEqual({ allow: [], deny: [] });
  });

  it('names the key of every entry that is not an address, range or host name', () => {
    const lines = problems(`
storage: { encryptionKey: ${KEY} }
outbound: { allow: [10.0.0.0/33, 'http://irc.internal'], deny: ['irc.internal:0'], alow: [] }
transports:
  - { domain: irc.example.org, secret: s, adapter: irc, outbound: { deny: ['a b'] } }
`);
    const help = 'must be an IP address, a CIDR range (10.0.0.0/8), a host name or *.domain, optionally followed by :port (IPv6 with a port in brackets: [fd00::/8]:143)';
    expect(lines).toEqual(expect.arrayContaining([
      `gateway.yaml: outbound.allow[0]: ${help}`,
      `gateway.yaml: outbound.allow[1]: ${help}`,
      `gateway.yaml: outbound.deny[0]: ${help}`,
      'gateway.yaml: outbound.alow: unknown setting (misspelt?)',
      `gateway.yaml: transports[0].outbound.deny[0]: ${help}`,
    ]));
    expect(lines).toHaveLength(5);
  });

  it('config.example.yaml documents the lists and parses with them empty; without a key it gets a key file', () => {
    // A copy, so that the key file the loader creates lands in a temporary folder, not in the checkout.
    const dir = mkdtempSync(join(tmpdir(), 'gw-example-'));
    try {
      const path = join(dir, 'config.yaml');
      writeFileSync(path, readFileSync(join(__dirname, '../../config.example.yaml')));
      const config = loadConfig(path, {});
      expect(config.outbound).toEqual({ allow: [], deny: [] });
      expect(config.transports.map((t) => t.outbound)).toEqual(config.transports.map(() => ({ allow: [], deny: [] })));
      expect(config.storage.keyFile).toEqual({ path: join(dir, 'data', 'gateway.key'), created: true });
      expect(statSync(join(dir, 'data', 'gateway.key')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a list that is not a list', () => {
    expect(problems(minimal + 'outbound: { allow: 10.0.0.0/8 }\n')).toEqual(['gateway.yaml: outbound.allow: must be a list']);
  });
});

describe('parseConfig environment substitution', () => {
  it('replaces whole-value ${NAME} references, including numbers', () => {
    const config = parseConfig(
      `
xmpp: { port: '\${XMPP_PORT}' }
storage: { encryptionKey: '\${KEY}' }
transports: [{ domain: sms.example.org, secret: '\${SMS_SECRET}', adapter: sms }]
`,
      'gateway.yaml',
      { XMPP_PORT: '5999', KEY, SMS_SECRET: 'from-env' },
    );
    expect(config.xmpp.port).toBe(5999);
    expect(config.storage.encryptionKey).toBe(KEY);
    expect(config.transports[0].secret).toBe('from-env');
  });

  it('leaves a reference that is only part of a value alone', () => {
    const config = parseConfig(minimal.replace('secret: s3cret', "secret: 'pre-${X}'"), 'gateway.yaml', { X: 'no' });
    expect(config.transports[0].secret).toBe('pre-${X}');
  });

  it('names the key whose variable is unset', () => {
    expect(problems(minimal.replace('secret: s3cret', "secret: '${IRC_SECRET}'"))).toEqual([
      'gateway.yaml: transports[0].secret: refers to the environment variable IRC_SECRET, which is not set',
    ]);
  });

  it('takes the encryption key from GATEWAY_ENCRYPTION_KEY when the file has none', () => {
    const text = minimal.replace(`storage:\n  encryptionKey: ${KEY}\n`, '');
    expect(parseConfig(text, 'gateway.yaml', { GATEWAY_ENCRYPTION_KEY: KEY }).storage.encryptionKey).toBe(KEY);
    expect(parseConfig(minimal, 'gateway.yaml', { GATEWAY_ENCRYPTION_KEY: 'env-loses-to-file' }).storage.encryptionKey).toBe(KEY);
  });
});

describe('parseConfig errors name their key', () => {
  it('missing encryption key', () => {
    const text = minimal.replace(`storage:\n  encryptionKey: ${KEY}\n`, '');
    expect(problems(text)).toEqual([
      'gateway.yaml: storage.encryptionKey: is required (or set the GATEWAY_ENCRYPTION_KEY environment variable)',
    ]);
  });

  it('short encryption key', () => {
    expect(problems(minimal.replace(KEY, 'short'))[0]).toMatch(/^gateway\.yaml: storage\.encryptionKey: must be at least 16 characters/);
  });

  it('bad domain, missing secret, wrong types, unknown keys: one line each', () => {
    const lines = problems(`
storage: { encryptionKey: ${KEY} }
xmpp: { port: 70000, hots: x }
logging: { level: verbose }
restore: { concurrency: 0 }
http: { enabled: maybe, publicUrl: 'ftp://x' }
transprots: []
transports:
  - { domain: 'not a domain', adapter: irc }
`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'gateway.yaml: transports[0].domain: must be a domain name',
        'gateway.yaml: transports[0].secret: is required',
        'gateway.yaml: xmpp.port: must be at most 65535',
        'gateway.yaml: xmpp.hots: unknown setting (misspelt?)',
        'gateway.yaml: transprots: unknown setting (misspelt?)',
        'gateway.yaml: logging.level: must be one of fatal, error, warn, info, debug, trace',
        'gateway.yaml: restore.concurrency: must be at least 1',
        'gateway.yaml: http.enabled: must be true or false',
        'gateway.yaml: http.publicUrl: must be an http:// or https:// URL',
      ]),
    );
    expect(lines).toHaveLength(9);
  });

  it('wrong container types', () => {
    expect(problems(`storage: { encryptionKey: ${KEY} }\ntransports: {}\naccess: { allow: 'x' }`)).toEqual([
      'gateway.yaml: access.allow: must be a list',
      'gateway.yaml: transports: must be a list of transports',
    ]);
  });

  it('no transports', () => {
    expect(problems(`storage: { encryptionKey: ${KEY} }\ntransports: []`)).toEqual([
      'gateway.yaml: transports: at least one transport is required',
    ]);
  });

  it('unsupported storage url and bad access entries', () => {
    expect(problems(`${minimal}\naccess: { allow: ['a/b', 'ok@example.org'] }\n`.replace('storage:\n', "storage:\n  url: mysql://db\n"))).toEqual([
      'gateway.yaml: storage.url: must start with sqlite://, redis://, rediss://, postgres:// or postgresql://',
      'gateway.yaml: access.allow[0]: must be a bare JID (user@example.org) or a domain',
    ]);
  });

  it('reconnect delays in the wrong order', () => {
    expect(problems(`${minimal}\nxmpp: { reconnect: { initialDelayMs: 5000, maxDelayMs: 10 } }\n`)).toEqual([
      'gateway.yaml: xmpp.reconnect: maxDelayMs must not be smaller than initialDelayMs',
    ]);
  });

  it('duplicate transport domains', () => {
    const text = `${minimal}  - { domain: IRC.example.org, secret: x, adapter: irc }\n`;
    expect(problems(text)).toEqual(['gateway.yaml: transports[1].domain: irc.example.org is already used by transports[0]']);
  });

  it('unknown adapter, but module paths are left to the loader', () => {
    const text = `${minimal}  - { domain: a.example.org, secret: x, adapter: ircc }\n  - { domain: b.example.org, secret: x, adapter: ./my-adapter }\n`;
    expect(problems(text, {}, (adapter) => (adapter === 'irc' ? z.object({}) : undefined))).toEqual([
      'gateway.yaml: transports[1].adapter: unknown adapter "ircc"',
    ]);
  });

  it('adapter options are validated with the adapter schema, keys included', () => {
    const text = `${minimal}  - { domain: b.example.org, secret: x, adapter: irc, options: { server: { host: h, port: 'x' }, extra: 1 } }\n`;
    const lines = problems(text.replace('adapter: irc\n', 'adapter: irc\n    options: { server: { host: h } }\n'), {}, schemas);
    expect(lines).toEqual([
      'gateway.yaml: transports[1].options.server.port: must be a number',
      'gateway.yaml: transports[1].options.extra: unknown setting (misspelt?)',
    ]);
  });

  it('YAML syntax errors carry the line', () => {
    expect(problems('storage:\n  encryptionKey: [unclosed\n')[0]).toMatch(/^gateway\.yaml: line \d+, column \d+: /);
    expect(problems('a: 1\na: 2\n')[0]).toMatch(/^gateway\.yaml: line 2, column 1: .*[Uu]nique/);
  });

  it('a file that is not a mapping', () => {
    expect(problems('- just\n- a list\n')).toEqual(['gateway.yaml: (top level): must be a mapping of settings']);
  });
});

describe('loadConfig', () => {
  it('reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    try {
      const path = join(dir, 'gateway.yaml');
      writeFileSync(path, minimal);
      expect(loadConfig(path, {}).transports[0].domain).toBe('irc.example.org');
      writeFileSync(path, `${minimal}\nbogus: 1\n`);
      expect(() => loadConfig(path, {})).toThrow(`${path}: bogus: unknown setting (misspelt?)`);
      expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(/missing\.yaml: cannot read the configuration file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves a relative SQLite path, and the default one, against the config file\'s folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    try {
      const path = join(dir, 'gateway.yaml');
      const withUrl = (url: string) => minimal.replace('storage:\n', `storage:\n  url: "${url}"\n`);
      writeFileSync(path, withUrl('sqlite://./data/gateway.sqlite'));
      expect(loadConfig(path, {}).storage.url).toBe(`sqlite://${join(dir, 'data/gateway.sqlite')}`);
      writeFileSync(path, minimal);
      expect(loadConfig(path, {}).storage.url).toBe(`sqlite://${join(dir, 'gateway.sqlite')}`);
      for (const kept of ['sqlite:///var/lib/gw/gw.sqlite', 'sqlite://:memory:', 'redis://127.0.0.1:6379']) {
        writeFileSync(path, withUrl(kept));
        expect(loadConfig(path, {}).storage.url).toBe(kept);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
