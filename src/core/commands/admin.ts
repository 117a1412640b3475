/**
 * Commands for the JIDs in the `admins` config key, in the style of XEP-0133 (Service
 * Administration) and as chat commands. They act on one transport: the domain they are sent to.
 */
import { chatMessage } from '../../component/messages';
import type { AdhocCommand, FormField } from '../adapter';
import { GatewayError } from '../errors';
import type { TransportContext } from '../transport-context';
import type { UserSession } from '../user-session';
import type { GatewayControl } from './control';

const ADMIN_NS = 'http://jabber.org/protocol/admin';
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** A longer user list is cut: a chat message or a note is not the place for ten thousand lines. */
const MAX_LISTED = 200;

export interface NamedCommand {
  command: AdhocCommand;
  /** Chat names, the first shown in help. */
  names: string[];
  /** How help shows it, e.g. "announce <text>". */
  usage?: string;
}

const accountField: FormField = { var: 'accountjid', label: 'User (bare JID)', type: 'text-single', required: true };

function accountOf(values: Record<string, string>): string {
  const jid = (values.accountjid ?? '').trim().toLowerCase();
  if (!/^[^@/\s]+@[^@/\s]+$/.test(jid)) throw new GatewayError('bad-request', 'Give the user as a bare JID, e.g. alice@example.org.');
  return jid;
}

/** A user's legacy connection as an admin needs to see it. */
export function connectionState(session: UserSession | undefined): string {
  if (!session) return 'no session (not restored yet, or the registration could not be read)';
  const text = session.status.text ? ` (${session.status.text})` : '';
  if (!session.legacy) return `not connected${text}`;
  return `${session.status.online ? 'online' : 'offline'}${text}`;
}

export function adminCommands(ctx: TransportContext, control: GatewayControl): NamedCommand[] {
  const network = ctx.adapter.identity.name;
  const say = (to: string, body: string) => ctx.send(chatMessage({ from: ctx.domain, to, body, type: 'chat', by: ctx.domain }));
  return [
    {
      names: ['users'],
      command: {
        node: `${ADMIN_NS}#get-registered-users-list`,
        name: 'List registered users and their connections',
        requiresSession: false,
        async run() {
          const registered = (await ctx.sessions.registrations.list()).sort();
          const known = new Set(registered);
          const anonymous = ctx.sessions.all().map((s) => s.jid).filter((jid) => !known.has(jid)).sort();
          const lines = [
            ...registered.map((jid) => `${jid}: ${connectionState(ctx.sessions.get(jid))}`),
            ...anonymous.map((jid) => `${jid} (unregistered): ${connectionState(ctx.sessions.get(jid))}`),
          ];
          const head = `${registered.length} user(s) registered with ${ctx.domain}${anonymous.length ? `, ${anonymous.length} unregistered session(s)` : ''}:`;
          const cut = lines.length > MAX_LISTED ? [`… and ${lines.length - MAX_LISTED} more.`] : [];
          return [head, ...lines.slice(0, MAX_LISTED), ...cut].join('\n');
        },
      },
    },
    {
      names: ['disconnect-user'],
      usage: 'disconnect-user <jid>',
      command: {
        node: `${ADMIN_NS}#end-user-session`,
        name: `Disconnect a user from ${network}`,
        requiresSession: false,
        form: () => ({ instructions: 'Closes the user\'s legacy connection; the registration stays.', fields: [accountField] }),
        async run(actx, values) {
          const jid = accountOf(values);
          const closed = await ctx.sessions.disconnect(jid, 'Disconnected by an administrator; send reconnect to the gateway to connect again');
          if (!closed) return `${jid} has no open connection to ${network}.`;
          ctx.logger.info({ jid, by: actx.user }, 'user disconnected by an admin');
          return `${jid} is disconnected from ${network}; the registration stays (reconnect, or a gateway restart, connects again).`;
        },
      },
    },
    {
      names: ['unregister-user'],
      usage: 'unregister-user <jid>',
      command: {
        node: `${ADMIN_NS}#delete-user`,
        name: `Unregister a user from ${ctx.domain}`,
        requiresSession: false,
        form: () => ({ instructions: 'Logs the user out and deletes everything the gateway stored for them.', fields: [accountField] }),
        async run(actx, values) {
          const jid = accountOf(values);
          if (!(await ctx.sessions.unregister(jid))) return `${jid} is not registered with ${ctx.domain}.`;
          ctx.logger.info({ jid, by: actx.user }, 'user unregistered by an admin');
          say(jid, `An administrator removed your registration with ${network}; everything the gateway stored for you was deleted.`);
          return `${jid} is unregistered from ${ctx.domain}: logged out, everything stored for them deleted.`;
        },
      },
    },
    {
      names: ['announce'],
      usage: 'announce <text>',
      command: {
        node: `${ADMIN_NS}#announce`,
        name: `Send a message to every user of ${ctx.domain}`,
        requiresSession: false,
        form: () => ({ fields: [{ var: 'body', label: 'Message', type: 'text-multi', required: true }] }),
        async run(actx, values) {
          const body = (values.body ?? '').trim();
          if (!body) throw new GatewayError('bad-request', 'The message is empty.');
          const users = await ctx.sessions.registrations.list();
          for (const jid of users) say(jid, body);
          ctx.logger.info({ by: actx.user, users: users.length }, 'announcement sent');
          return `Sent to ${users.length} user(s) of ${ctx.domain}.`;
        },
      },
    },
    {
      names: ['stats'],
      command: {
        node: 'gateway-stats',
        name: 'Gateway counts and health',
        requiresSession: false,
        async run() {
          const registered = (await ctx.sessions.registrations.list()).length;
          const sessions = ctx.sessions.all();
          const connected = sessions.filter((s) => s.legacy && s.status.online).length;
          const link = control.link();
          const restore = ctx.sessions.restoreProgress;
          const memory = process.memoryUsage();
          return [
            `${ctx.domain} (${network})`,
            `Users: ${registered} registered, ${sessions.length} session(s), ${connected} connected to ${network}`,
            `XMPP link: ${link.online ? 'up' : 'DOWN'}, ${link.queued} stanza(s) queued, ${Math.round(link.backlogBytes / 1024)} KB not yet taken by the server${link.congested ? ' (congested: legacy input paused)' : ''}`,
            `Start-up restore: ${restore.started} of ${restore.total} login(s) started`,
            `Process: up ${duration(process.uptime())}, ${Math.round(memory.rss / 1048576)} MB resident, log level ${control.logger.level}`,
          ].join('\n');
        },
      },
    },
    {
      names: ['loglevel'],
      usage: 'loglevel <level>',
      command: {
        node: 'gateway-log-level',
        name: 'Change the log level',
        requiresSession: false,
        form: () => ({
          instructions: 'For the whole gateway process, until it restarts (then logging.level from the configuration applies again).',
          fields: [{ var: 'level', label: 'Log level', type: 'list-single', required: true, default: control.logger.level, options: LEVELS.map((l) => ({ label: l, value: l })) }],
        }),
        async run(actx, values) {
          const level = (values.level ?? '').trim().toLowerCase();
          if (!LEVELS.includes(level)) throw new GatewayError('bad-request', `The log level is one of ${LEVELS.join(', ')}.`);
          const previous = control.logger.level;
          control.logger.level = level;
          ctx.logger.warn({ by: actx.user, level, previous }, 'log level changed');
          return `The log level is now ${level} (was ${previous}) until the gateway restarts.`;
        },
      },
    },
  ];
}

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}
