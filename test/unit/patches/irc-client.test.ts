/**
 * What adapters/irc relies on in irc-framework's Client beyond its documented API:
 * - connection.ts passes its own transport class and extra options (`servername`, `inboundGate`)
 *   through `client.connect()`; irc-framework's Connection must construct `options.transport`
 *   with that same options object;
 * - connection.ts closes with `client.connection.end(undefined, true)`, which must reach the
 *   transport's close(true) (no QUIT, no reconnect bookkeeping);
 * - listeners.ts binds module-level listeners with `client.on(event, fn, session)`: the Client
 *   must be an eventemitter3 emitter, whose third argument is `this` in the listener (Node's
 *   EventEmitter would ignore it).
 */
import { EventEmitter } from 'node:events';
import { Client, type ClientOptions } from 'irc-framework';
import { assertInternal } from './internals';

const PKG = 'irc-framework';

class RecordingTransport extends EventEmitter {
  static made: RecordingTransport[] = [];
  readonly calls: string[] = [];

  constructor(readonly options: ClientOptions) {
    super();
    RecordingTransport.made.push(this);
  }

  connect(): void { this.calls.push('connect'); }
  disposeSocket(): void { this.calls.push('disposeSocket'); }
  close(force: boolean): void { this.calls.push(`close(${force})`); }
  setEncoding(): boolean { return true; }
  writeLine(): void { this.calls.push('writeLine'); }
}

test('client.connect() builds options.transport with the options given, and connection.end(undefined, true) closes it', () => {
  const gate = { add: () => undefined };
  const options: ClientOptions = {
    host: '127.0.0.1', port: 6667, nick: 'n', servername: 'irc.example.org', inboundGate: gate, auto_reconnect: false,
    transport: RecordingTransport as unknown as ClientOptions['transport'],
  };
  const client = new Client();
  client.connect(options);
  const transport = RecordingTransport.made[0];
  assertInternal(transport !== undefined, PKG, 'Connection#connect() (expected `new options.transport(options)`)', 'adapters/irc/connection.ts');
  assertInternal(transport.options.inboundGate === gate && transport.options.servername === 'irc.example.org', PKG,
    'the options the transport is constructed with (expected the object given to client.connect(), extra keys included)', 'adapters/irc/transport.ts');
  assertInternal(transport.calls.join() === 'connect', PKG, `Connection#connect() (called on the transport: ${transport.calls.join(', ')})`, 'adapters/irc/connection.ts');
  assertInternal(typeof client.connection.end === 'function' && client.connection.end.length === 2, PKG, 'Connection#end(data, had_error)', 'adapters/irc/connection.ts');
  client.connection.end(undefined, true);
  assertInternal(transport.calls.join() === 'connect,close(true)', PKG,
    `Connection#end(undefined, true) (called on the transport: ${transport.calls.join(', ')})`, 'adapters/irc/connection.ts');
});

test("client.on(event, listener, context) calls the listener with the context as `this`", () => {
  const client = new Client();
  const context = { name: 'session' };
  let seen: unknown;
  client.on('anything', function (this: unknown) { seen = this; }, context);
  client.emit('anything');
  assertInternal(seen === context, PKG, "Client's event emitter (expected eventemitter3, whose on() takes a context)", 'adapters/irc/listeners.ts');
});
