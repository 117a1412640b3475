import { createServer, connect, type Server, type Socket } from 'node:net';
import { InboundGate } from '../../../../adapters/irc/inbound-gate';

describe('InboundGate', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  function open(): Socket {
    const s = connect(port, '127.0.0.1');
    s.on('data', () => undefined);
    sockets.push(s);
    return s;
  }

  test('pauses and resumes every socket; one added while paused starts paused; closed ones leave', async () => {
    const gate = new InboundGate();
    const a = open();
    gate.add(a);
    gate.setPaused(true);
    expect(a.isPaused()).toBe(true);
    const b = open();
    gate.add(b);
    expect(b.isPaused()).toBe(true);
    gate.setPaused(false);
    expect([a.isPaused(), b.isPaused()]).toEqual([false, false]);
    a.destroy();
    await new Promise((r) => a.once('close', r));
    expect(gate.size).toBe(1);
  });
});
