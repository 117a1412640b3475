/**
 * adapters/irc/connection.ts (shareCommandTable) gives every irc-framework Client the first
 * client's `command_handler.handlers` table instead of its own ~200-entry copy. That is only right
 * while the table holds functions called as `handler(command, commandHandler)` that keep no
 * per-client state: a handler taken from another client's table must still act on the client
 * that received the line.
 */
import { EventEmitter } from 'node:events';
import { assertInternal } from './internals';

const PKG = 'irc-framework';
const CONNECTION = 'adapters/irc/connection.ts (shareCommandTable)';

interface CommandHandler extends EventEmitter {
  handlers: Record<string, (command: unknown, handler: CommandHandler) => void>;
  dispatch(message: unknown): void;
}

const irc = require('irc-framework') as {
  Client: new () => { command_handler?: CommandHandler };
  ircLineParser?: (line: string) => unknown;
};

function commandHandler(): CommandHandler {
  const handler = new irc.Client().command_handler;
  assertInternal(handler && typeof handler.dispatch === 'function', PKG, 'Client#command_handler (with dispatch())', CONNECTION);
  assertInternal(handler!.handlers && typeof handler!.handlers === 'object', PKG, 'Client#command_handler.handlers (the command table)', CONNECTION);
  return handler!;
}

test('every client builds the same table of two-parameter handler functions', () => {
  const a = commandHandler();
  const b = commandHandler();
  const names = Object.keys(a.handlers);
  assertInternal(names.length > 100 && ['PRIVMSG', 'JOIN', 'RPL_WELCOME', 'ERR_NOSUCHNICK'].every((n) => names.includes(n)), PKG,
    `Client#command_handler.handlers (keys: ${names.slice(0, 10).join(', ')}...)`, CONNECTION);
  assertInternal(Object.keys(b.handlers).join() === names.join(), PKG, 'Client#command_handler.handlers (differs between two clients)', CONNECTION);
  const odd = names.filter((n) => typeof a.handlers[n] !== 'function' || a.handlers[n].length !== 2);
  assertInternal(odd.length === 0, PKG, `the command handlers ${odd.join(', ')} (expected functions of (command, handler))`, CONNECTION);
});

test("a shared table's handlers act on the client that received the line", () => {
  assertInternal(typeof irc.ircLineParser === 'function', PKG, 'the ircLineParser export', CONNECTION);
  const first = commandHandler();
  const second = commandHandler();
  second.handlers = first.handlers;
  const seen: string[] = [];
  for (const [name, handler] of [['first', first], ['second', second]] as const) {
    handler.on('privmsg', () => seen.push(`${name} privmsg`));
    handler.on('join', () => seen.push(`${name} join`));
    handler.on('irc error', () => seen.push(`${name} irc error`));
  }
  // One line each from the messaging, channel and generic-error handler modules.
  for (const line of [':bob!u@h PRIVMSG alice :hi', ':bob!u@h JOIN #room', ':irc.test 401 alice bob :No such nick/channel']) {
    second.dispatch(irc.ircLineParser!(line));
  }
  assertInternal(seen.join('|') === 'second privmsg|second join|second irc error', PKG,
    `a command handler taken from another client's table (events went to: ${seen.join(', ')})`, CONNECTION);
});
