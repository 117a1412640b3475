/**
 * The chat interface of a transport domain: a chat message to `irc.example.org` is a command
 * line, answered in the same chat. It reaches every command of the registry (forms become a
 * question/answer dialogue) and the address helpers, so a client with neither a registration UI
 * nor ad-hoc commands can do everything. Unknown input gets a short hint, never silence and
 * never an error stanza.
 */
import type { UserMessage } from '../../component/inbound';
import { chatMessage } from '../../component/messages';
import { bare } from '../../component/stanzas';
import { KeyedMutex } from '../../keyed-mutex';
import { GatewayError, toGatewayError } from '../errors';
import { storedSecrets } from '../registration';
import type { TransportContext } from '../transport-context';
import { isAdmin } from './control';
import { FormDialogue, readArguments } from './dialogue';
import { ExpiringMap } from './expiring-map';
import { findHelper } from './helpers';
import { helpText, welcomeText } from './help';
import { commandContext, findByChatName, findByNode, isRegistration, refusal, type CommandEntry } from './registry';

const UNKNOWN = 'Unknown command; send help for the list.';
/** Open dialogues: one per user and transport, dropped after a quiet quarter of an hour. */
const DIALOGUE_TTL_MS = 15 * 60 * 1000;
const MAX_DIALOGUES = 5000;
const WELCOME_REPEAT_MS = 10 * 60 * 1000;

interface OpenDialogue {
  node: string;
  dialogue: FormDialogue;
}

interface ChatState {
  dialogues: ExpiringMap<string, OpenDialogue>;
  /** A user's messages are handled one after another: an answer never overtakes its question. */
  serial: KeyedMutex;
  welcomed: ExpiringMap<string, true>;
}

const states = new WeakMap<TransportContext, ChatState>();

function stateOf(ctx: TransportContext): ChatState {
  let state = states.get(ctx);
  if (!state) {
    state = { dialogues: new ExpiringMap(MAX_DIALOGUES, DIALOGUE_TTL_MS), serial: new KeyedMutex(), welcomed: new ExpiringMap(MAX_DIALOGUES, WELCOME_REPEAT_MS) };
    states.set(ctx, state);
  }
  return state;
}

type Reply = (body: string) => void;

/** A message to the bare transport domain. Never throws: every failure is answered in the chat. */
export async function handleChatMessage(ctx: TransportContext, message: UserMessage): Promise<void> {
  if (message.type === 'groupchat' || message.type === 'headline' || message.type === 'error') return;
  // Chat states, receipts and markers carry no command.
  if (message.body === null || message.body.trim() === '') return;
  const user = bare(message.from);
  const reply: Reply = (body) => ctx.send(chatMessage({ from: ctx.domain, to: message.from, body, type: 'chat', by: ctx.domain }));
  const state = stateOf(ctx);
  await state.serial.run(user, async () => {
    try {
      await converse(ctx, state, message.from, user, message.body!, reply);
    } catch (err) {
      if (!(err instanceof GatewayError)) ctx.logger.error({ user, err: (err as Error).stack }, 'chat command failed');
      reply(toGatewayError(err).message);
    }
  });
}

async function converse(ctx: TransportContext, state: ChatState, fullJid: string, user: string, text: string, reply: Reply): Promise<void> {
  if (!ctx.isAllowed(user) && !isAdmin(ctx, user)) return reply(`${user} is not allowed to use ${ctx.domain}.`);
  const open = state.dialogues.get(user);
  if (open) return continueDialogue(ctx, state, open, fullJid, user, text, reply);

  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const args = space === -1 ? '' : trimmed.slice(space + 1).trim();
  if (word === 'help' || word === '?') return reply(await helpText(ctx, fullJid, user));
  if (word === 'cancel' || word === 'back') return reply('No question is open; send help for the commands.');
  const helper = findHelper(word);
  if (helper) {
    if (!helper.offered(ctx)) return reply(`${ctx.adapter.identity.name} has no rooms.`);
    return reply(helper.run(ctx, args));
  }
  const found = findByChatName(ctx, user, word);
  // Never echo the input: it may be a secret typed after its question expired.
  if (!found) return reply(UNKNOWN);
  const refused = refusal(ctx, user, found);
  if (refused) return reply(refused.condition === 'registration-required' ? `${refused.message} Send register to start.` : refused.message);
  return startCommand(ctx, state, found, fullJid, user, args, reply);
}

async function startCommand(ctx: TransportContext, state: ChatState, found: CommandEntry, fullJid: string, user: string, args: string, reply: Reply): Promise<void> {
  const { command } = found;
  const actx = await commandContext(ctx, fullJid, user);
  if (!command.form) return reply(await command.run(actx, {}));
  const form = await command.form(actx);
  let given: Record<string, string> = {};
  if (found.positional && args) {
    const read = readArguments(form.fields, args);
    if ('problem' in read) return reply(read.problem);
    given = read.values;
  }
  const registration = isRegistration(found);
  const kept = registration ? storedSecrets(ctx.adapter.registration.fields, actx.registration) : [];
  const dialogue = new FormDialogue(form.fields, { given, onlyMissing: Object.keys(given).length > 0, kept });
  const step = dialogue.start();
  if (step.kind === 'submit') {
    // Everything was on the command line: no dialogue to come back to if it is refused.
    return reply(await command.run(actx, step.values));
  }
  if (step.kind === 'canceled') return reply(step.text);
  state.dialogues.set(user, { node: command.node, dialogue });
  const count = dialogue.questions;
  const intro = [
    form.title ?? command.name,
    form.instructions,
    `${count === 1 ? 'One question' : `${count} questions`}, one per message; send back for the previous one, cancel to stop.`,
  ];
  reply([intro.filter(Boolean).join('\n'), step.text].join('\n\n'));
}

async function continueDialogue(ctx: TransportContext, state: ChatState, open: OpenDialogue, fullJid: string, user: string, text: string, reply: Reply): Promise<void> {
  if (['help', '?'].includes(text.trim().toLowerCase())) {
    return reply(`You are answering questions; reply to this one, or send back or cancel.\n\n${open.dialogue.repeat()}`);
  }
  const step = open.dialogue.answer(text);
  if (step.kind === 'canceled') {
    state.dialogues.delete(user);
    return reply(step.text);
  }
  if (step.kind === 'reply') {
    state.dialogues.set(user, open);
    return reply(step.text);
  }
  if (step.text) reply(step.text);
  // Looked up again: the session (and with it the network's commands) may have changed meanwhile.
  const found = findByNode(ctx, user, open.node);
  const refused = found ? refusal(ctx, user, found) : new GatewayError('item-not-found', 'That command is not available any more.');
  if (!found || refused) {
    state.dialogues.delete(user);
    return reply(refused!.message);
  }
  if (isRegistration(found)) reply(`Checking with ${ctx.adapter.identity.name}…`);
  const actx = await commandContext(ctx, fullJid, user);
  try {
    const note = await found.command.run(actx, step.values);
    state.dialogues.delete(user);
    reply(note);
  } catch (err) {
    if (!(err instanceof GatewayError)) {
      state.dialogues.delete(user);
      throw err;
    }
    // The answers stay: the user changes the wrong one and tries again.
    state.dialogues.set(user, open);
    reply(open.dialogue.refused(`Refused: ${err.message}`));
  }
}

/**
 * The first thing a user sees of the transport, once: after the XEP-0100 subscription (or, for
 * someone not registered yet, after trying to subscribe) the three commands that matter.
 */
export function sendWelcome(ctx: TransportContext, user: string, registered: boolean): void {
  const { welcomed } = stateOf(ctx);
  const key = `${registered ? 'r' : 'u'} ${user}`;
  if (welcomed.has(key)) return;
  welcomed.set(key, true);
  ctx.send(chatMessage({ from: ctx.domain, to: user, body: welcomeText(ctx, registered), type: 'chat', by: ctx.domain }));
}
