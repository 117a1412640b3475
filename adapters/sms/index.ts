import type { AdapterModule, AdapterServices } from '../../src/core/adapter';
import { SmsAdapter } from './adapter';
import { parseSmsOptions, smsOptionsSchema } from './options';

/** SMS transport: Twilio's REST API out, signed Twilio webhooks in. */
const smsModule: AdapterModule = {
  name: 'sms',
  optionsSchema: smsOptionsSchema,
  create(services: AdapterServices, options: unknown) {
    return new SmsAdapter(services, parseSmsOptions(options));
  },
};

export default smsModule;
export { SmsAdapter };
