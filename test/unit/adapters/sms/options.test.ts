import { parseSmsOptions } from '../../../../adapters/sms/options';

describe('SMS options', () => {
  it('has defaults for everything', () => {
    const options = parseSmsOptions(undefined);
    expect(options).toMatchObject({
      webhookPath: '/sms', apiBaseUrl: 'https://api.twilio.com', defaultCountry: 'US',
      configureWebhook: true, maxSegmentLength: 1600, requestTimeoutMs: 15000,
      maxParts: 10, offlineMaxMessages: 500, offlineMaxBytes: 2 * 1024 * 1024,
    });
  });

  it('accepts a lower-case country and a custom API base', () => {
    const options = parseSmsOptions({ defaultCountry: 'gb', apiBaseUrl: 'http://127.0.0.1:8080/twilio' });
    expect(options.defaultCountry).toBe('GB');
    expect(options.apiBaseUrl).toBe('http://127.0.0.1:8080/twilio');
  });

  it.each([
    [{ defaultCountry: 'XX' }, 'defaultCountry'],
    [{ apiBaseUrl: 'ftp://example.org' }, 'apiBaseUrl'],
    [{ webhookPath: 'sms' }, 'webhookPath'],
    [{ maxSegmentLength: 5000 }, 'maxSegmentLength'],
    [{ maxParts: 0 }, 'maxParts'],
    [{ offlineMaxBytes: 10 }, 'offlineMaxBytes'],
  ])('refuses %j naming the key', (raw, key) => {
    expect(() => parseSmsOptions(raw)).toThrow(key);
  });
});
