import type { Element } from '@xmpp/xml';
import { formBoolean } from '../component/forms';
import { readRegistration, registrationForm } from '../component/service-answers';
import { bare, iqResult } from '../component/stanzas';
import type { Credentials, FormField } from './adapter';
import { GatewayError, toGatewayError } from './errors';
import type { TransportContext } from './transport-context';

/** Current values as shown back to the user: secrets are never sent back. */
function shownValues(fields: FormField[], credentials: Credentials | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of fields) {
    const v = credentials?.[f.var];
    if (v !== undefined && !f.secret) values[f.var] = v;
  }
  return values;
}

export async function registrationGet(ctx: TransportContext, iq: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const { fields, instructions } = ctx.adapter.registration;
  const existing = await ctx.sessions.registrations.get(user);
  return registrationForm(iq, {
    fields,
    instructions,
    formInstructions: existing ? `${instructions}\nYou are registered; leave secret fields empty to keep them.` : instructions,
    title: `Register with ${ctx.adapter.identity.name}`,
    registered: Boolean(existing),
    values: shownValues(fields, existing?.credentials),
  });
}

export function validateValues(fields: FormField[], submitted: Record<string, string>, previous: Credentials | undefined): Credentials {
  const credentials: Credentials = {};
  const problems: string[] = [];
  for (const f of fields) {
    if (f.type === 'fixed') continue;
    let value = (submitted[f.var] ?? '').trim();
    if (f.type === 'text-private' || f.secret) value = submitted[f.var] ?? '';
    if (value === '' && f.secret && previous?.[f.var]) value = previous[f.var];
    if (value === '' && f.default !== undefined) value = f.default;
    if (f.type === 'boolean') value = formBoolean(value) ? 'true' : 'false';
    if (/[\0]/.test(value) || (f.type !== 'text-multi' && /[\r\n]/.test(value))) {
      problems.push(`${f.label}: line breaks and NUL are not allowed`);
      continue;
    }
    if (f.required && value === '') problems.push(`${f.label} is required`);
    if (f.options && value !== '' && !f.options.some((o) => o.value === value)) problems.push(`${f.label}: "${value}" is not one of the choices`);
    if (value !== '') credentials[f.var] = value;
  }
  if (problems.length) throw new GatewayError('not-acceptable', problems.join('; '));
  return credentials;
}

export async function registrationSet(ctx: TransportContext, iq: Element, query: Element): Promise<Element> {
  const user = bare(iq.attrs.from ?? '');
  const request = readRegistration(query, ctx.adapter.registration.fields);
  if (request.remove) {
    // Checked inside unregister, after any registration change in progress has ended.
    if (!(await ctx.sessions.unregister(user))) throw new GatewayError('item-not-found', `${user} is not registered with ${ctx.domain}.`);
    ctx.logger.info({ user, domain: ctx.domain }, 'user unregistered');
    return iqResult(iq);
  }
  await submitRegistration(ctx, user, request.values);
  return iqResult(iq);
}

/**
 * A registration or an update, whichever way it came (XEP-0077, the ad-hoc node, the chat
 * dialogue): the same checks, then the adapter's real login. Throws the adapter's reason.
 */
export async function submitRegistration(ctx: TransportContext, user: string, values: Record<string, string>): Promise<{ updated: boolean }> {
  if (!ctx.isAllowed(user)) throw new GatewayError('forbidden', `${user} is not allowed to use ${ctx.domain}.`);
  const existing = await ctx.sessions.registrations.get(user);
  const credentials = validateValues(ctx.adapter.registration.fields, values, existing?.credentials);
  try {
    await ctx.sessions.register(user, credentials);
  } catch (err) {
    const error = toGatewayError(err);
    if (!(err instanceof GatewayError)) ctx.logger.error({ user, err: (err as Error).message }, 'registration failed unexpectedly');
    throw error;
  }
  ctx.logger.info({ user, domain: ctx.domain, update: Boolean(existing) }, 'user registered');
  return { updated: Boolean(existing) };
}

/** Secret fields that have a stored value: an empty answer keeps it. */
export function storedSecrets(fields: FormField[], credentials: Credentials | undefined): string[] {
  return fields.filter((f) => (f.secret || f.type === 'text-private') && credentials?.[f.var]).map((f) => f.var);
}

/**
 * The registration form as an ad-hoc command or chat dialogue shows it: a registered user's
 * values as defaults (never secrets), and a stored secret no longer required (empty keeps it).
 */
export function registrationFields(fields: FormField[], credentials: Credentials | undefined): FormField[] {
  const current = shownValues(fields, credentials);
  const kept = new Set(storedSecrets(fields, credentials));
  return fields.map((f) => ({
    ...f,
    ...(current[f.var] !== undefined ? { default: current[f.var] } : {}),
    ...(kept.has(f.var) ? { required: false } : {}),
  }));
}
