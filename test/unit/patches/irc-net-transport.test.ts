/**
 * adapters/irc/transport.ts subclasses irc-framework's NetTransport (a deep import of
 * src/transports/net) and replaces connect() with its own copy of the non-SOCKS path (TLS with a
 * separate server name, plain TCP reading into a shared buffer through `onread`), overriding
 * _onSocketCreate, writeLine and onSocketData. The copy must leave the transport in the state the
 * original connect() does, or irc-framework's later calls find fields missing.
 */
import { createServer, type Server, type Socket } from 'node:net';
import NetTransport from 'irc-framework/src/transports/net';
import type { ClientOptions } from 'irc-framework';
import { transportFor } from '../../../adapters/irc/transport';
import { assertInternal, assertMethod, until } from './internals';

const PKG = 'irc-framework';
const TRANSPORT = 'adapters/irc/transport.ts';

test('NetTransport still has the methods the transport overrides and calls', () => {
  const proto = NetTransport.prototype;
  assertMethod(proto, 'connect', 0, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, 'disposeSocket', 0, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, 'setEncoding', 1, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, '_onSocketCreate', 2, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, 'writeLine', 2, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, 'onSocketData', 1, PKG, 'NetTransport', TRANSPORT);
  assertMethod(proto, 'close', 1, PKG, 'NetTransport', TRANSPORT);
});

describe('connected to a loopback server', () => {
  let server: Server;
  let port: number;
  const peers: Socket[] = [];
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      peers.push(socket);
      socket.on('data', (d: Buffer) => received.push(d.toString('utf8')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const peer of peers) peer.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test("the gateway's connect() leaves the fields the original one sets, and lines flow both ways", async () => {
    const options = (): ClientOptions => ({ host: '127.0.0.1', port, nick: 'n', encoding: 'utf8' });
    const original = new NetTransport(options());
    const Patched = transportFor('latin1');
    const patched = new Patched(options());
    const opened: string[] = [];
    const lines: string[] = [];
    original.on('open', () => opened.push('original'));
    patched.on('open', () => opened.push('patched'));
    patched.on('line', (line: string) => lines.push(line));
    try {
      original.connect();
      patched.connect();
      const fields = (t: object) => Object.keys(t).sort().join(', ');
      assertInternal(fields(original) === fields(patched), PKG,
        `NetTransport#connect() (it now sets the fields [${fields(original)}]; the gateway's copy sets [${fields(patched)}])`, TRANSPORT);
      for (const field of ['state', 'requested_disconnect', 'encoding'] as const) {
        assertInternal(original[field as keyof NetTransport] === patched[field as keyof NetTransport], PKG,
          `NetTransport#${field} after connect() (${String(original[field as keyof NetTransport])}, the gateway's copy: ${String(patched[field as keyof NetTransport])})`, TRANSPORT);
      }
      assertInternal(original.incoming_buffer.length === 0 && patched.incoming_buffer.length === 0, PKG, 'NetTransport#incoming_buffer (expected an empty Buffer)', TRANSPORT);
      assertInternal(original.socket !== null && patched.socket !== null, PKG, 'NetTransport#socket (expected the socket after connect())', TRANSPORT);
      await until(() => opened.length === 2 && peers.length === 2, "both transports' 'open' events");
      assertInternal(original.state === patched.state, PKG, `NetTransport#state once open (${original.state} against ${patched.state})`, TRANSPORT);

      // onSocketData is what the shared-buffer read callback calls; it must emit whole lines.
      for (const peer of peers) peer.write('PING :one\r\nPING :tw');
      for (const peer of peers) peer.write('o\r\n');
      await until(() => lines.length === 2, "the patched transport's 'line' events");
      expect(lines).toEqual(['PING :one\r\n', 'PING :two\r\n']);

      patched.writeLine('PRIVMSG #a :x\r\nQUIT', undefined);
      await until(() => received.join('').includes('\r\n'), 'the written line');
      assertInternal(received.join('') === 'PRIVMSG #a :x  QUIT\r\n', PKG, `NetTransport#writeLine() (wrote ${JSON.stringify(received.join(''))})`, TRANSPORT);
    } finally {
      original.disposeSocket();
      patched.disposeSocket();
    }
  });
});
