import type { Adapter, AdapterServices, LegacyAddressInfo, LegacySession, LoginRequest, MessagingSupport } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { addressToLocalpart, localpartToAddress } from './address';
import { AttachmentLinks } from './attachments';
import { Conversations } from './conversations';
import { parseAccount, registrationFields } from './credentials';
import type { EmailOptions } from './options';
import type { EmailSession } from './session';

/** IMAP, SMTP and MIME parsing (imapflow, nodemailer, mailparser, html-to-text): loaded at the first login. */
function emailSessionClass(): typeof EmailSession {
  return (require('./session') as typeof import('./session')).EmailSession;
}

const HOUR_MS = 60 * 60 * 1000;

export class EmailAdapter implements Adapter {
  // The core names the network in its refusals ("Email cannot change a message once it is sent").
  readonly identity = { type: 'smtp', name: 'Email' };
  readonly features: string[] = [];
  // A reply is a mail In-Reply-To the answered one; a read marker flags it \Seen. A sent mail
  // cannot be changed and mail has no reactions, so the core refuses those with a sentence.
  readonly messaging: MessagingSupport = { replies: 'native', readMarkers: true };
  readonly registration = {
    instructions: 'Enter your email address and the IMAP (incoming) and SMTP (outgoing) servers of your mail provider. '
      + 'Contacts are then written name\\40domain@ this gateway (or name%domain@).',
    fields: registrationFields,
  };
  readonly gatewayPrompt = { desc: 'Enter the email address of the contact.', prompt: 'Email address' };
  private readonly attachments: AttachmentLinks;

  constructor(private readonly services: AdapterServices, private readonly options: EmailOptions) {
    this.attachments = new AttachmentLinks(services.store, services.publicUrl, options.attachmentTtlHours * HOUR_MS, options.maxAttachmentBytes);
    this.attachments.registerRoute(services.http);
  }

  async login(request: LoginRequest): Promise<LegacySession> {
    const account = parseAccount(request.credentials);
    const logger = this.services.logger.child({ user: request.user, account: account.address });
    const session = new (emailSessionClass())({
      account, options: this.options, conversations: new Conversations(request.state),
      attachments: this.attachments, xmpp: request.xmpp, logger, outbound: this.services.outbound,
    });
    if (request.reason === 'register' || request.reason === 'update') {
      // Both servers for real, at once, so a wrong SMTP password is found at registration too.
      const [imap, smtp] = await Promise.allSettled([session.imap.start(), session.smtp.verify()]);
      const failure = imap.status === 'rejected' ? imap.reason : smtp.status === 'rejected' ? smtp.reason : undefined;
      if (failure) {
        await session.dispose();
        throw failure instanceof GatewayError ? failure : new GatewayError('internal-server-error', 'Logging into the mail servers failed.');
      }
      return session;
    }
    try {
      await session.imap.start();
    } catch (err) {
      if (err instanceof GatewayError && err.condition === 'not-authorized') {
        await session.dispose();
        throw err;
      }
      // Server down at gateway start-up: keep the session and keep trying, mail waits on the server.
      logger.warn({ err: (err as Error).message }, 'IMAP not reachable; retrying in the background');
      session.imap.startInBackground((err as Error).message);
    }
    return session;
  }

  parseAddress(localpart: string): LegacyAddressInfo {
    return { kind: 'contact', display: localpartToAddress(localpart) };
  }

  toLocalpart(legacyAddress: string): string {
    return addressToLocalpart(legacyAddress);
  }
}
