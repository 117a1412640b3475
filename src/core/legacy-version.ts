/**
 * XEP-0092 to an address on the transport: a contact or a room occupant is asked on the network
 * (IRC CTCP VERSION); a room or a legacy server answers as the gateway.
 */
import type { Element } from '@xmpp/xml';
import { versionResult } from '../component/service-answers';
import { bare, splitJid } from '../component/stanzas';
import { GatewayError } from './errors';
import type { TransportContext } from './transport-context';

export async function legacyVersion(ctx: TransportContext, iq: Element): Promise<Element> {
  const { local, resource } = splitJid(iq.attrs.to ?? '');
  const address = ctx.adapter.parseAddress(local);
  const occupant = address.kind === 'room' && resource !== '';
  if (address.kind === 'server' || (address.kind === 'room' && !occupant)) return versionResult(iq, ctx.software);
  const from = iq.attrs.from ?? '';
  const session = ctx.sessions.get(bare(from));
  if (!session?.legacy) throw new GatewayError('registration-required', `Register with ${ctx.domain} to ask ${address.display} anything.`);
  if (occupant && !session.rooms.get(local)?.resources.size) throw new GatewayError('not-acceptable', 'Join the room to ask its occupants.');
  if (!session.legacy.softwareVersion) throw new GatewayError('service-unavailable', 'This network cannot tell which software its users run.');
  const version = await session.legacy.softwareVersion(local, occupant ? resource : undefined);
  return versionResult(iq, { name: version.name, version: version.version ?? '', os: version.os });
}
