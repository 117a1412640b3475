import xml, { type Element } from '@xmpp/xml';
import type { FormField } from './types';
import { NS } from './namespaces';

/** An XEP-0004 form (type form or result) from field descriptions and current values. */
export function buildForm(
  fields: FormField[],
  options: { type?: 'form' | 'result'; title?: string; instructions?: string; values?: Record<string, string>; formType?: string } = {},
): Element {
  const form = xml('x', { xmlns: NS.data, type: options.type ?? 'form' });
  if (options.title) form.append(xml('title', {}, options.title));
  if (options.instructions) form.append(xml('instructions', {}, options.instructions));
  if (options.formType) form.append(xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, options.formType)));
  for (const field of fields) {
    const el = xml('field', { var: field.var, type: field.type, label: field.label });
    if (field.desc) el.append(xml('desc', {}, field.desc));
    if (field.required) el.append(xml('required'));
    const value = options.values?.[field.var] ?? field.default;
    if (value !== undefined && value !== '') {
      const values = field.type === 'text-multi' ? value.split('\n') : [value];
      for (const v of values) el.append(xml('value', {}, v));
    }
    for (const o of field.options ?? []) el.append(xml('option', { label: o.label }, xml('value', {}, o.value)));
    form.append(el);
  }
  return form;
}

/** Submitted values of a data form, by var; multi-values joined with newlines. */
export function readForm(x: Element): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (!name || name === 'FORM_TYPE') continue;
    values[name] = field.getChildren('value').map((v) => v.text()).join('\n');
  }
  return values;
}

/** Boolean field values per XEP-0004: '1' or 'true'. */
export function formBoolean(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
