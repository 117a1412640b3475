import type { Adapter, AdhocCommand } from './adapter';
import { GatewayError } from './errors';
import type { SessionManager } from './session-manager';

/** The commands every transport offers, whatever the network. */
export function builtinCommands(adapter: Adapter, sessions: SessionManager): AdhocCommand[] {
  return [
    {
      node: 'unregister',
      name: 'Unregister',
      form: () => ({
        instructions: 'This logs you out and deletes everything the gateway stored for you.',
        fields: [{ var: 'confirm', type: 'boolean', label: 'Yes, unregister me', required: true }],
      }),
      async run(ctx, values) {
        if (values.confirm !== 'true' && values.confirm !== '1') return 'Nothing was changed.';
        if (!(await sessions.unregister(ctx.user))) return 'You were not registered; nothing was stored for you.';
        return 'You are unregistered; everything stored for you was deleted.';
      },
    },
    {
      node: 'reconnect',
      name: 'Reconnect',
      async run(ctx) {
        const legacy = ctx.session;
        if (!legacy) throw new GatewayError('item-not-found', 'You have no session to reconnect.');
        if (legacy.reconnect) {
          await legacy.reconnect();
          return `Reconnected to ${adapter.identity.name}.`;
        }
        if (!ctx.registration) throw new GatewayError('item-not-found', 'You are not registered.');
        await sessions.register(ctx.user, ctx.registration);
        return `Reconnected to ${adapter.identity.name}.`;
      },
    },
    {
      node: 'show-registration',
      name: 'Show my registration',
      async run(ctx) {
        if (!ctx.registration) throw new GatewayError('item-not-found', 'You are not registered.');
        const lines = adapter.registration.fields
          .filter((f) => f.type !== 'fixed')
          .map((f) => {
            const value = ctx.registration![f.var];
            const shown = value === undefined || value === '' ? '(not set)' : f.secret || f.type === 'text-private' ? '********' : value;
            return `${f.label}: ${shown}`;
          });
        return lines.join('\n');
      },
    },
  ];
}
