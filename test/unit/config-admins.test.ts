import { ConfigError, parseConfig } from '../../src/config';

const base = `
storage: { encryptionKey: oZ0t3yZFyHzFuLw8LbkCswgSJqhAHYC5Ra8VhHgNpWk= }
transports: [{ domain: irc.example.org, secret: s3cret, adapter: ./echo.js }]
`;

function problem(extra: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(base + extra, 'gateway.yaml', env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('admins', () => {
  test('absent means nobody; bare JIDs are taken in lower case, also from the environment', () => {
    expect(parseConfig(base, 'gateway.yaml', {}).admins).toBeUndefined();
    expect(parseConfig(`${base}admins: [Boss@Example.org, '\${OPS}']`, 'gateway.yaml', { OPS: 'ops@example.org' }).admins)
      .toEqual(['boss@example.org', 'ops@example.org']);
  });

  test('a domain, a full JID or a single string is refused, naming the key', () => {
    expect(problem('admins: [example.org]')).toBe('gateway.yaml: admins[0]: must be a bare JID (admin@example.org): a whole domain cannot be an admin');
    expect(problem('admins: [ok@example.org, bob@example.org/laptop]')).toBe('gateway.yaml: admins[1]: must be a bare JID (admin@example.org): a whole domain cannot be an admin');
    expect(problem('admins: boss@example.org')).toBe('gateway.yaml: admins: must be a list of bare JIDs');
  });
});
