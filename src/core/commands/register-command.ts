import { NS } from '../../component/namespaces';
import type { AdhocCommand } from '../adapter';
import { registrationFields, submitRegistration } from '../registration';
import type { TransportContext } from '../transport-context';

/**
 * XEP-0077 as an ad-hoc command (node jabber:iq:register, as Cheogram does), for clients with
 * ad-hoc commands but no registration UI. The chat dialogue runs this very command.
 */
export function registerCommand(ctx: TransportContext): AdhocCommand {
  const { adapter } = ctx;
  return {
    node: NS.register,
    name: `Register with ${adapter.identity.name}`,
    requiresSession: false,
    form: (actx) => ({
      title: `Register with ${adapter.identity.name}`,
      instructions: actx.registration
        ? `${adapter.registration.instructions}\nYou are registered: this changes your registration; leave secret fields empty to keep them.`
        : adapter.registration.instructions,
      fields: registrationFields(adapter.registration.fields, actx.registration),
    }),
    async run(actx, values) {
      const { updated } = await submitRegistration(ctx, actx.user, values);
      if (updated) return `Your registration with ${adapter.identity.name} is updated and logged in again.`;
      return `You are registered with ${adapter.identity.name} and logged in. `
        + `Accept the presence subscription ${ctx.domain} sends you: its status then shows your connection.`;
    },
  };
}
