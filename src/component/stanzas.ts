import xml, { type Element } from '@xmpp/xml';
import { GatewayError, legacyCode } from './errors';
import { NS } from './namespaces';

export function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

export function splitJid(jid: string): { local: string; domain: string; resource: string } {
  const slash = jid.indexOf('/');
  const bareJid = slash === -1 ? jid : jid.slice(0, slash);
  const resource = slash === -1 ? '' : jid.slice(slash + 1);
  const at = bareJid.indexOf('@');
  return at === -1 ? { local: '', domain: bareJid, resource } : { local: bareJid.slice(0, at), domain: bareJid.slice(at + 1), resource };
}

/** `withCode`: also XEP-0086's legacy code, which MUC clients read on room errors. */
export function errorElement(error: GatewayError, withCode = false): Element {
  return xml('error', { type: error.type, code: withCode ? legacyCode(error.condition) : undefined },
    xml(error.condition, { xmlns: NS.stanzas }),
    xml('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, error.message));
}

/** The error reply to a stanza: swapped addresses, same id, original payload dropped (kept small). */
export function errorReply(stanza: Element, error: GatewayError): Element {
  return xml(stanza.name, { type: 'error', id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from }, errorElement(error));
}

export function iqResult(iq: Element, ...payload: Element[]): Element {
  return xml('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, ...payload);
}

export function delayElement(stamp: Date, from: string): Element {
  return xml('delay', { xmlns: NS.delay, stamp: stamp.toISOString(), from });
}

export function oobElements(links: { url: string; desc?: string }[] | undefined): Element[] {
  return (links ?? []).map((l) => xml('x', { xmlns: NS.oob }, xml('url', {}, l.url), l.desc ? xml('desc', {}, l.desc) : undefined));
}

/** XML 1.0 forbids most control characters; a legacy network can send them anyway. */
export function xmlSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}
