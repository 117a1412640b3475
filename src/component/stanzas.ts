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

/**
 * xml(name, attrs, ...children) for the stanzas built per message: ltx's createElement deletes
 * the absent attributes from the object it is given, which turns it into a slow dictionary, and
 * copies it through Object.entries; this sets only the present ones, once.
 */
export function element(name: string, attrs: Record<string, string | undefined>, ...children: (Element | string | undefined)[]): Element {
  const el = new xml.Element(name);
  for (const key in attrs) {
    const value = attrs[key];
    if (value != null) el.attrs[key] = value;
  }
  for (const child of children) {
    if (child === undefined || child === '') continue;
    el.children.push(child);
    if (typeof child === 'object') child.parent = el;
  }
  return el;
}

const ATTRIBUTE_SPECIALS = /["&'<>]/;
const TEXT_SPECIALS = /[&<>]/;
const escapeText = (xml as unknown as { escapeXMLText(s: string): string }).escapeXMLText;

/** ` name="value"` for each attribute that has a value, escaped. */
export function serializeAttributes(attrs: Element['attrs']): string {
  let out = '';
  for (const name in attrs) {
    const raw: unknown = attrs[name];
    if (raw == null) continue;
    const value = typeof raw === 'string' ? raw : String(raw);
    out += ` ${name}="${ATTRIBUTE_SPECIALS.test(value) ? xml.escapeXML(value) : value}"`;
  }
  return out;
}

/**
 * The same text as ltx's toString(), built in a few string operations instead of a write call per
 * fragment, and escaping only what needs it: every stanza the gateway sends goes through this.
 * Subclasses of Element (see messages.ts) serialize themselves.
 */
export function serialize(el: Element): string {
  if (el.constructor !== xml.Element) return el.toString();
  let out = `<${el.name}${serializeAttributes(el.attrs)}`;
  if (el.children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of el.children) {
    if (child == null) continue;
    if (typeof child === 'object') out += serialize(child);
    else {
      const text = typeof child === 'string' ? child : String(child);
      out += TEXT_SPECIALS.test(text) ? escapeText(text) : text;
    }
  }
  return `${out}</${el.name}>`;
}

/** XML 1.0 forbids most control characters; a legacy network can send them anyway. */
export function xmlSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}
