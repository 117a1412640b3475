import { apiError, deliveryError, explainCode } from '../../../../adapters/sms/twilio-errors';

describe('Twilio error codes in words', () => {
  it.each([
    ['30003', 'recipient-unavailable', /unreachable/],
    ['30004', 'forbidden', /blocked/],
    ['30005', 'item-not-found', /unknown/],
    ['30006', 'not-acceptable', /landline/],
    ['30007', 'policy-violation', /filtered/],
    ['30008', 'undefined-condition', /unknown delivery error/],
    ['21610', 'forbidden', /STOP/],
    ['21614', 'item-not-found', /not a mobile/],
    ['21608', 'forbidden', /trial/],
    ['21408', 'forbidden', /country/],
  ])('%s -> %s', (code, condition, text) => {
    const error = deliveryError('undelivered', code);
    expect(error.condition).toBe(condition);
    expect(error.message).toMatch(text);
    expect(error.message).toContain(`(Twilio error ${code})`);
  });

  it('names unknown codes without echoing junk', () => {
    expect(explainCode('99999').text).toBe('Twilio reported error 99999.');
    expect(deliveryError('failed', 'a\r\nb').message).not.toMatch(/[\r\n]/);
  });

  it('maps API failures at send time', () => {
    expect(apiError({ status: 400, code: 21211 }, 'send').condition).toBe('jid-malformed');
    expect(apiError({ status: 400, code: 21608 }, 'send').condition).toBe('forbidden');
    expect(apiError({ status: 401, code: 20003 }, 'send').condition).toBe('not-authorized');
    expect(apiError({ status: 429, code: 20429 }, 'send').condition).toBe('resource-constraint');
    expect(apiError({ status: 503 }, 'send').condition).toBe('service-unavailable');
    expect(apiError({ code: 'ECONNREFUSED' }, 'send').condition).toBe('remote-server-timeout');
  });
});
