/**
 * XEP-0054 for legacy contacts: the network's own knowledge (LegacySession.contactInfo) over what
 * the core has seen (a display name), over the address itself.
 */
import type { Element } from '@xmpp/xml';
import { bare, splitJid } from '../component/stanzas';
import { vcardResult, type ContactCard } from '../component/vcard';
import { GatewayError } from './errors';
import type { TransportContext } from './transport-context';

/** How long a network may take to answer (an IRC WHOIS) before the card goes out with what is known. */
const INFO_TIMEOUT_MS = 5000;

export async function contactVcard(ctx: TransportContext, iq: Element): Promise<Element> {
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  const address = ctx.adapter.parseAddress(local);
  if (address.kind === 'room' && !resource) throw new GatewayError('feature-not-implemented', 'Rooms have no vCard here.');
  const session = ctx.sessions.get(bare(iq.attrs.from ?? ''));
  const card: ContactCard = { fullName: session?.contacts.get(local)?.name ?? address.display };
  const info = session?.legacy?.contactInfo?.(resource && address.kind === 'room' ? resource : local);
  if (info) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), INFO_TIMEOUT_MS)));
    const known = await Promise.race([info.catch(() => undefined), late]);
    clearTimeout(timer);
    for (const [key, value] of Object.entries(known ?? {})) if (value) card[key as keyof ContactCard] = value;
  }
  return vcardResult(iq, card);
}
