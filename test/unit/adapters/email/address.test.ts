import { addressToLocalpart, localpartToAddress } from '../../../../adapters/email/address';
import { GatewayError } from '../../../../src/core/errors';

describe('email addresses <-> JID localparts', () => {
  test('addresses with XEP-0106 special characters round-trip', () => {
    expect(addressToLocalpart("o'hara/x&y@example.net")).toBe('o\\27hara\\2fx\\26y\\40example.net');
    expect(localpartToAddress('o\\27hara\\2fx\\26y\\40example.net')).toBe("o'hara/x&y@example.net");
  });

  test('escaped, % and already-@ forms all parse to the lower-cased address', () => {
    expect(localpartToAddress('alice\\40example.net')).toBe('alice@example.net');
    expect(localpartToAddress('Alice%Example.NET')).toBe('alice@example.net');
    // Only the last % stands for '@': % is legal in local parts.
    expect(localpartToAddress('a%b%example.net')).toBe('a%b@example.net');
    expect(localpartToAddress('first.last+tag\\40sub.example.org')).toBe('first.last+tag@sub.example.org');
    expect(addressToLocalpart('Bob@Example.org')).toBe('bob\\40example.org');
  });

  test.each([
    ['', /Address a contact/],
    ['bob', /is not an email address/],
    ['bob\\40example.org\r\nBcc: x\\40y.z', /line breaks/],
    ['bob\\40example.org,eve\\40example.org', /not a valid mail domain|characters that are not allowed/],
    ['\\3cbob\\40example.org\\3e', /characters that are not allowed|not a valid mail domain/],
    ['bob\\20smith\\40example.org', /characters that are not allowed/],
    ['bob..x\\40example.org', /characters that are not allowed/],
    ['bob\\40localhost', /not a valid mail domain/],
    ['bob\\40-bad-.example', /not a valid mail domain/],
    [`${'x'.repeat(65)}\\40example.org`, /too long/],
  ])('%j is refused with jid-malformed', (localpart, message) => {
    let error: unknown;
    try {
      localpartToAddress(localpart);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ condition: 'jid-malformed', message: expect.stringMatching(message) });
  });
});
