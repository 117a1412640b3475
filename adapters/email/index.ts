import type { AdapterModule } from '../../src/core/adapter';
import { EmailAdapter } from './adapter';
import { emailOptionsSchema, type EmailOptions } from './options';

const emailAdapter: AdapterModule = {
  name: 'email',
  optionsSchema: emailOptionsSchema,
  create: (services, options: EmailOptions) => new EmailAdapter(services, emailOptionsSchema.parse(options ?? {})),
};

export default emailAdapter;
