/** Registers the demo account on the gateway's transports (XEP-0077 forms), as a client would. */
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';

export interface Registration {
  domain: string;
  form: Record<string, string>;
}

function submitted(values: Record<string, string>): Element {
  return xml('query', { xmlns: 'jabber:iq:register' },
    xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'jabber:iq:register')),
      ...Object.entries(values).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value)))));
}

/**
 * Logs in as `username` (without sending presence: the transports' subscription requests wait
 * on the server for the user's own client) and registers on each domain in turn.
 */
export async function registerEverywhere(c2sPort: number, domain: string, username: string, password: string, registrations: Registration[]): Promise<void> {
  const xmpp = client({ service: `xmpp://127.0.0.1:${c2sPort}`, domain, username, password, resource: 'demo-setup' });
  xmpp.reconnect.stop();
  xmpp.on('error', () => undefined);
  await xmpp.start();
  try {
    for (const { domain: to, form } of registrations) {
      await xmpp.iqCaller.request(xml('iq', { type: 'set', to }, submitted(form)), 30000).catch((err: Error & { text?: string }) => {
        throw new Error(`registering ${username}@${domain} on ${to} failed: ${err.message}${err.text && !err.message.includes(err.text) ? ` (${err.text})` : ''}`);
      });
    }
  } finally {
    await xmpp.stop().catch(() => undefined);
  }
}
