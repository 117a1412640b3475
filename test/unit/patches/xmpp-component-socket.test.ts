/**
 * src/component/entity.ts subclasses @xmpp/component-core's Component: it replaces the socket
 * class (`prototype.Socket`, read by @xmpp/connection's connect()) with one reading into a shared
 * buffer, and overrides `_onData` (bound to the socket's 'data' events by `_attachSocket`) to
 * decode UTF-8 across reads before feeding `this.parser`. src/component/connection.ts and
 * src/check.ts also read `entity.socket` (the net.Socket) for its backlog and to destroy it.
 */
import { createServer, Socket, type Server } from 'node:net';
import { ComponentEntity } from '../../../src/component/entity';
import { assertInternal, assertMethod, until } from './internals';

const CONNECTION = '@xmpp/connection';
const TCP = '@xmpp/connection-tcp';
const CORE = '@xmpp/component-core';
const ENTITY = 'src/component/entity.ts';

interface ConnectionInternals {
  socket: Socket | null;
  parser: { write(text: string): void } | null;
  Socket: new () => Socket;
  connect(service: string): Promise<unknown>;
  _onData(data: Buffer): void;
}

test('the connection classes still have the members the entity overrides and reads', () => {
  const Connection = require(CONNECTION) as { prototype: object };
  const ConnectionTCP = require(TCP) as { prototype: { Socket?: unknown } };
  const { Component } = require(CORE) as { Component: { prototype: object } };
  assertMethod(Connection.prototype, '_onData', 1, CONNECTION, 'Connection', ENTITY);
  assertMethod(Connection.prototype, '_attachSocket', 1, CONNECTION, 'Connection', ENTITY);
  assertMethod(Connection.prototype, 'connect', 1, CONNECTION, 'Connection', ENTITY);
  assertInternal(ConnectionTCP.prototype.Socket === Socket, TCP, 'ConnectionTCP.prototype.Socket (the socket class, expected net.Socket)', ENTITY);
  assertInternal(Object.getPrototypeOf(Component.prototype) === ConnectionTCP.prototype, CORE, 'Component (expected a subclass of @xmpp/connection-tcp)', ENTITY);
  assertMethod(Component.prototype, 'authenticate', 2, CORE, 'Component', 'src/component/connection.ts');
});

describe('a connected entity', () => {
  let server: Server;
  let port: number;
  let peer: Socket | undefined;

  beforeAll(async () => {
    server = createServer((socket) => { peer = socket; });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    peer?.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('uses the patched socket class, exposes it as `socket`, and feeds _onData with every read', async () => {
    const entity = new ComponentEntity({ service: `xmpp://127.0.0.1:${port}`, domain: 'component.localhost' }) as unknown as ConnectionInternals & ComponentEntity;
    const written: string[] = [];
    const input: string[] = [];
    entity.on('input', (text: string) => input.push(text));
    entity.on('error', () => undefined);
    try {
      await entity.connect(`xmpp://127.0.0.1:${port}`);
      assertInternal(entity.socket instanceof entity.Socket && entity.Socket !== Socket, CONNECTION,
        'Connection.connect() (expected `this.socket = new this.Socket()`)', ENTITY);
      assertInternal(entity.parser === null, CONNECTION, 'Connection#parser (expected null until the stream opens)', ENTITY);
      // The stream parser is attached when the stream opens; a stand-in shows what reaches it.
      entity.parser = { write: (text) => written.push(text) };
      await until(() => peer !== undefined, 'the entity to connect');
      const e = Buffer.from('é');
      // 'é' split over two reads: the first read must reach the entity before the second is sent.
      peer!.write(Buffer.concat([Buffer.from('<a>'), e.subarray(0, 1)]));
      await until(() => written.length === 1, 'the first read in _onData');
      peer!.write(Buffer.concat([e.subarray(1), Buffer.from('</a>')]));
      await until(() => written.length === 2, 'the second read in _onData');
      assertInternal(written.join('') === '<a>é</a>', CONNECTION, 'Connection#_attachSocket (socket data expected to reach this._onData)', ENTITY);
      expect(written).toEqual(['<a>', 'é</a>']);
      expect(input).toEqual(written);
    } finally {
      entity.socket?.destroy();
    }
  });
});
