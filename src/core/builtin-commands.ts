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
        if (legacy?.reconnect) {
          await legacy.reconnect();
          return `Reconnecting to ${adapter.identity.name}.`;
        }
        // No connection to reuse (never made, or closed by an admin): log the registration in again.
        if (!ctx.registration) throw new GatewayError('item-not-found', 'You are not registered.');
        await sessions.register(ctx.user, ctx.registration);
        return `Reconnected to ${adapter.identity.name}.`;
      },
    },
    {
      node: 'show-registration',
      name: 'Show my connection and registration',
      async run(ctx) {
        const session = sessions.get(ctx.user);
        const status = session?.status;
        const state = !session?.legacy ? 'not connected' : status?.online ? 'online' : 'offline';
        const connection = `Connection to ${adapter.identity.name}: ${state}${status?.text ? ` (${status.text})` : ''}`;
        if (!ctx.registration) return `${connection}
You are not registered; send register to register.`;
        const lines = adapter.registration.fields
          .filter((f) => f.type !== 'fixed')
          .map((f) => {
            const value = ctx.registration![f.var];
            const shown = value === undefined || value === '' ? '(not set)' : f.secret || f.type === 'text-private' ? '********' : value;
            return `${f.label}: ${shown}`;
          });
        return [connection, ...lines].join('\n');
      },
    },
  ];
}
