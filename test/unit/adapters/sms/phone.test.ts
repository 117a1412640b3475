import { displayNumber, senderLocalpart, toE164, unescapeLocalpart } from '../../../../adapters/sms/phone';
import { GatewayError } from '../../../../src/core/errors';

describe('SMS address normalisation', () => {
  it.each([
    ['+15551234567', 'US', '+15551234567'],
    ['(555) 123-4567', 'US', '+15551234567'],
    ['5551234567', 'US', '+15551234567'],
    ['555.123.4567', 'US', '+15551234567'],
    ['0044 7911 123456', 'US', '+447911123456'],
    ['+44 7911 123456', 'US', '+447911123456'],
    ['07911 123456', 'GB', '+447911123456'],
    ['011 44 7911 123456', 'US', '+447911123456'],
    ['(555)\\20123-4567', 'US', '+15551234567'],
  ] as const)('%s with default country %s -> %s', (input, country, expected) => {
    expect(toE164(input, country)).toBe(expected);
  });

  it.each(['alice', '1-800-FLOWERS', '', '+', '12', '+1555+1234567', 'x\n5551234567', '555 123 4567 ext 5', '+1 555 123 4567 8901 2345'])(
    'refuses %j with jid-malformed and a readable text',
    (input) => {
      let error: unknown;
      try {
        toE164(input, 'US');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).condition).toBe('jid-malformed');
      expect((error as GatewayError).message).toMatch(/phone number/);
      expect((error as GatewayError).message).not.toMatch(/\n/);
    },
  );

  it('unescapes XEP-0106 sequences only', () => {
    expect(unescapeLocalpart('(555)\\20123')).toBe('(555) 123');
    // Parentheses are not escaped by XEP-0106, so \28 is not an escape sequence.
    expect(unescapeLocalpart('\\28555')).toBe('\\28555');
    expect(unescapeLocalpart('a\\40b')).toBe('a@b');
    expect(unescapeLocalpart('\\41')).toBe('\\41');
  });

  it('maps inbound senders: E.164, short codes and alphanumeric ids', () => {
    expect(senderLocalpart('+447911123456', 'US')).toBe('+447911123456');
    expect(senderLocalpart('12345', 'US')).toBe('12345');
    expect(senderLocalpart('AcmeBank', 'US')).toBe('acmebank');
    expect(senderLocalpart('not a sender!', 'US')).toBeUndefined();
  });

  it('displays numbers in international format', () => {
    expect(displayNumber('+447911123456')).toBe('+44 7911 123456');
  });
});
