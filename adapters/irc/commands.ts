/** Ad-hoc commands (XEP-0050) of a live IRC session. */
import type { AdhocCommand } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { stripFormatting } from './formatting';
import type { IrcSession } from './session';
import { singleLine } from './text';

export function sessionCommands(session: IrcSession): AdhocCommand[] {
  const commands: AdhocCommand[] = [
    {
      node: 'irc-channels',
      name: 'List joined IRC channels',
      run: async () => {
        const joined = session.rooms.all().filter((s) => s.phase === 'joined');
        if (!joined.length) return 'You are not in any IRC channel.';
        return joined.map((s) => `${s.name} (${s.room.size} users)${s.topic ? `: ${stripFormatting(s.topic)}` : ''}`).join('\n');
      },
    },
    {
      node: 'irc-nick',
      name: 'Change IRC nickname',
      form: () => ({
        title: 'Change IRC nickname',
        instructions: `Your nickname on ${session.server} is ${session.nick}. It changes in every channel.`,
        fields: [{ var: 'nick', label: 'New nickname', type: 'text-single', required: true, default: session.nick }],
      }),
      run: async (_ctx, values) => {
        await session.changeOwnNick((values.nick ?? '').trim());
        return `Your nickname is now ${session.nick}.`;
      },
    },
    {
      node: 'irc-disconnect',
      name: 'Disconnect from the IRC server',
      run: async () => {
        await session.disconnect();
        return `Disconnected from ${session.server}. Use "Reconnect" to connect again.`;
      },
    },
  ];
  if (session.options.allowRawCommands) {
    commands.push({
      node: 'irc-raw',
      name: 'Send a raw IRC command',
      form: () => ({
        title: 'Send a raw IRC command',
        instructions: 'One IRC line, e.g. WHOIS somebody or MODE #channel +o friend.',
        fields: [{ var: 'command', label: 'IRC command', type: 'text-single', required: true }],
      }),
      run: async (_ctx, values) => {
        const line = singleLine(values.command ?? '').trim();
        if (!line) throw new GatewayError('bad-request', 'Type an IRC command.');
        session.sendRaw(line);
        return 'Sent; replies arrive as messages from the server.';
      },
    });
  }
  return commands;
}
