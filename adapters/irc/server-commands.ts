/**
 * Ad-hoc commands of a user with several IRC servers: the session's own (commands.ts) for the
 * registered server, made to cover every server where that matters, and biboumi's "Configure"
 * per server. The core serves commands on the transport's domain only, so the server is part of
 * the node (`irc-configure@irc.libera.chat`, in chat `configure@irc.libera.chat`); where any
 * server may be used, `irc-configure` asks for the server too.
 */
import type { AdhocCommand, FormField } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { sessionCommands } from './commands';
import { stripFormatting } from './formatting';
import { serverName, type ServerSettings } from './server-settings';
import type { IrcSession } from './session';

export interface CommandHost {
  readonly settings: ServerSettings;
  readonly primary: IrcSession;
  live(): { server: string; session: IrcSession }[];
  configure(server: string, values: Record<string, string>): Promise<string>;
  disconnect(): Promise<void>;
}

export const CONFIGURE_NODE = 'irc-configure';

export function configureNode(server: string): string {
  return `${CONFIGURE_NODE}@${server}`;
}

/** The configure form of one server, showing what applies now. */
export function configureFields(settings: ServerSettings, server: string): FormField[] {
  const value = (field: string) => settings.value(server, field);
  const fields: FormField[] = [
    { var: 'nick', label: 'Nickname', type: 'text-single', default: value('nick'), desc: 'Empty: your registered nickname.' },
    { var: 'username', label: 'User name (ident)', type: 'text-single', default: value('username') },
    { var: 'realname', label: 'Real name', type: 'text-single', default: value('realname') },
    {
      var: 'password', label: 'Account password (SASL or NickServ)', type: 'text-private', secret: true,
      desc: settings.hasPassword(server) ? 'A password is stored; leave this empty to keep it.' : 'Sent with SASL PLAIN when the server offers it, otherwise to NickServ.',
    },
  ];
  if (settings.hasPassword(server)) fields.push({ var: 'clear_password', label: 'Forget the stored password', type: 'boolean', default: 'false' });
  fields.push({ var: 'channels', label: 'Channels to join automatically (comma separated)', type: 'text-single', default: value('channels'), desc: '#chan or #chan key' });
  if (!settings.isFixed(server)) {
    fields.push(
      { var: 'port', label: 'Port', type: 'text-single', default: value('port'), desc: 'Empty: 6697 with TLS, 6667 without.' },
      { var: 'tls', label: 'Use TLS', type: 'boolean', default: value('tls') },
      { var: 'verify_certificate', label: 'Verify the server certificate', type: 'boolean', default: value('verify_certificate') },
    );
  }
  if (server !== settings.first) {
    fields.push({ var: 'persistent', label: 'Stay connected even when unused', type: 'boolean', default: value('persistent') });
  }
  return fields;
}

function configureCommand(host: CommandHost, server: string): AdhocCommand {
  return {
    node: configureNode(server),
    name: `Configure ${server}`,
    form: () => ({
      title: `Configure ${server}`,
      instructions: server === host.settings.first
        ? `Your settings on ${server}, the server of your registration.`
        : `Your settings on ${server}; empty fields take your registration's values.`,
      fields: configureFields(host.settings, server),
    }),
    run: (_ctx, values) => host.configure(server, values),
  };
}

/** Where any server may be used: the server is the form's first field. */
function configureAnyCommand(host: CommandHost): AdhocCommand {
  return {
    node: CONFIGURE_NODE,
    name: 'Configure an IRC server',
    form: () => ({
      title: 'Configure an IRC server',
      instructions: 'Settings for one server; empty fields take your registration\'s values. Each configured server then has its own "Configure" command.',
      fields: [
        { var: 'server', label: 'IRC server host name', type: 'text-single', required: true, desc: 'e.g. irc.oftc.net' },
        ...configureFields(host.settings, '').filter((f) => f.var !== 'clear_password'),
      ],
    }),
    run: async (_ctx, values) => {
      if (!values.server?.trim()) throw new GatewayError('bad-request', 'Name the server to configure.');
      return host.configure(serverName(values.server), values);
    },
  };
}

function channelLine(name: string, size: number, topic?: string): string {
  return `${name} (${size} users)${topic ? `: ${stripFormatting(topic)}` : ''}`;
}

export function userCommands(host: CommandHost): AdhocCommand[] {
  const live = host.live();
  const commands = sessionCommands(host.primary);
  if (live.length > 1) {
    // Commands about "the" connection cover every server once there are several.
    for (const command of commands) {
      if (command.node === 'irc-channels') {
        command.run = async () => {
          const lines = live.flatMap(({ server, session }) => session.rooms.all().filter((s) => s.phase === 'joined')
            .map((s) => `${server}: ${channelLine(s.name, s.room.size, s.topic)}`));
          return lines.length ? lines.join('\n') : 'You are not in any IRC channel.';
        };
      } else if (command.node === 'irc-disconnect') {
        command.name = 'Disconnect from every IRC server';
        command.run = async () => {
          await host.disconnect();
          return `Disconnected from ${live.map((l) => l.server).join(', ')}. Use "Reconnect" to connect again.`;
        };
      }
    }
  }
  const known = new Set([...host.settings.known(), ...live.map((l) => l.server)]);
  for (const server of known) commands.push(configureCommand(host, server));
  if (!host.settings.allowedList()) commands.push(configureAnyCommand(host));
  return commands;
}
