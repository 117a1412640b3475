/**
 * Answers to the service iqs a transport domain handles (XEP-0030 disco, XEP-0050 commands,
 * XEP-0077 registration, XEP-0100 gateway, XEP-0092 version), and the reading of their requests.
 */
import xml, { type Element } from '@xmpp/xml';
import { buildForm, readForm } from './forms';
import { NS } from './namespaces';
import { iqResult, xmlSafe } from './stanzas';
import type { DiscoIdentity, FormField } from './types';

export type { DiscoIdentity };

export function discoInfoResult(iq: Element, node: string | undefined, identities: DiscoIdentity[], features: Iterable<string>): Element {
  const query = xml('query', { xmlns: NS.discoInfo, node });
  for (const id of identities) query.append(xml('identity', { category: id.category, type: id.type, name: id.name }));
  for (const feature of new Set(features)) query.append(xml('feature', { var: feature }));
  return iqResult(iq, query);
}

export function discoItemsResult(iq: Element, node: string | undefined, items: { jid: string; node?: string; name?: string }[]): Element {
  return iqResult(iq, xml('query', { xmlns: NS.discoItems, node }, ...items.map((i) => xml('item', { jid: i.jid, node: i.node, name: i.name }))));
}

export function versionResult(iq: Element, software: { name: string; version: string; os?: string }): Element {
  return iqResult(iq, xml('query', { xmlns: NS.version }, xml('name', {}, xmlSafe(software.name)), xml('version', {}, xmlSafe(software.version)),
    software.os ? xml('os', {}, xmlSafe(software.os)) : undefined));
}

export function gatewayPromptResult(iq: Element, desc: string, prompt: string): Element {
  return iqResult(iq, xml('query', { xmlns: NS.gateway }, xml('desc', {}, desc), xml('prompt', {}, prompt)));
}

export function gatewayJidResult(iq: Element, jid: string): Element {
  return iqResult(iq, xml('query', { xmlns: NS.gateway }, xml('jid', {}, jid)));
}

// XEP-0050

export interface CommandRequest {
  node: string;
  action: string;
  sessionid?: string;
  /** Submitted form values, when a form came with the request. */
  values?: Record<string, string>;
}

export function readCommand(command: Element): CommandRequest {
  const form = command.getChild('x', NS.data);
  return { node: command.attrs.node ?? '', action: command.attrs.action ?? 'execute', sessionid: command.attrs.sessionid, values: form ? readForm(form) : undefined };
}

export function commandCompleted(iq: Element, node: string, sessionid: string, note: string, type: 'info' | 'error' = 'info'): Element {
  return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid, status: 'completed' }, xml('note', { type }, note)));
}

export function commandCanceled(iq: Element, node: string, sessionid?: string): Element {
  return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid, status: 'canceled' }));
}

/**
 * A command waiting for its form. `note` (type error) says why an earlier submission was
 * refused; `values` are what was submitted then, shown again so only the wrong answer needs changing.
 */
export function commandForm(
  iq: Element,
  node: string,
  sessionid: string,
  form: { title: string; instructions?: string; fields: FormField[]; values?: Record<string, string> },
  note?: { type: 'info' | 'warn' | 'error'; text: string },
): Element {
  return iqResult(iq, xml('command', { xmlns: NS.commands, node, sessionid, status: 'executing' },
    xml('actions', { execute: 'complete' }, xml('complete')),
    note ? xml('note', { type: note.type }, note.text) : undefined,
    buildForm(form.fields, { title: form.title, instructions: form.instructions, values: form.values })));
}

// XEP-0077

/** XEP-0077 knows only these element names; other fields exist only in the data form. */
const LEGACY_NAMES = new Set(['username', 'nick', 'password', 'name', 'first', 'last', 'email', 'address', 'city', 'state', 'zip', 'phone', 'url', 'date', 'misc', 'text', 'key']);

function legacyName(field: FormField): string | undefined {
  return field.legacyName && LEGACY_NAMES.has(field.legacyName) ? field.legacyName : undefined;
}

export function registrationForm(iq: Element, o: { fields: FormField[]; instructions: string; formInstructions: string; title: string; registered: boolean; values: Record<string, string> }): Element {
  const query = xml('query', { xmlns: NS.register }, xml('instructions', {}, o.instructions));
  if (o.registered) query.append(xml('registered'));
  for (const f of o.fields) {
    const name = legacyName(f);
    if (name) query.append(xml(name, {}, o.values[f.var] ?? ''));
  }
  query.append(buildForm(o.fields, { title: o.title, instructions: o.formInstructions, values: o.values, formType: NS.register }));
  return iqResult(iq, query);
}

/** A registration set: removal, or the values from the data form (or from the legacy elements). */
export function readRegistration(query: Element, fields: FormField[]): { remove: true } | { remove: false; values: Record<string, string> } {
  if (query.getChild('remove')) return { remove: true };
  const form = query.getChild('x', NS.data);
  if (form) return { remove: false, values: readForm(form) };
  const values: Record<string, string> = {};
  for (const f of fields) {
    const name = legacyName(f);
    const el = name ? query.getChild(name) : undefined;
    if (el) values[f.var] = el.text();
  }
  return { remove: false, values };
}
