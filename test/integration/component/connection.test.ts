/**
 * The component link against a scripted XEP-0114 server on loopback that controls exactly how
 * the bytes are split into TCP reads.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import xml, { type Element } from '@xmpp/xml';
import { ComponentConnection } from '../../../src/component/connection';

const DOMAIN = 'gw.localhost';
const SECRET = 'entity-test-secret';

function scriptedServer(): Promise<{ server: Server; port: number; client: Promise<Socket> }> {
  return new Promise((resolve) => {
    let handOver!: (s: Socket) => void;
    const client = new Promise<Socket>((r) => { handOver = r; });
    const server = createServer((socket) => {
      let input = '';
      socket.on('data', (d) => {
        input += d.toString();
        if (input.includes('</stream:stream>')) socket.end('</stream:stream>');
        if (input.includes('<stream:stream') && !input.includes('id-sent')) {
          input += 'id-sent';
          socket.write(`<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='${DOMAIN}' id='s1'>`);
        }
        const expected = createHash('sha1').update(`s1${SECRET}`).digest('hex');
        if (input.includes(`<handshake>${expected}</handshake>`) && !input.includes('hs-done')) {
          input += 'hs-done';
          socket.write('<handshake/>');
          handOver(socket);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, client }));
  });
}

describe('component link reading', () => {
  test('a character split across two TCP reads arrives intact', async () => {
    const { server, port, client } = await scriptedServer();
    const stanzas: Element[] = [];
    const link = new ComponentConnection({
      service: `xmpp://127.0.0.1:${port}`, domain: DOMAIN, password: SECRET,
      initialDelayMs: 100, maxDelayMs: 1000, queueLimit: 100, backlogHighWaterBytes: 1 << 20, logger: pino({ level: 'silent' }),
    }, (el) => stanzas.push(el));
    try {
      link.start();
      const socket = await client;
      await link.waitOnline(5000);
      const bytes = Buffer.from(`<message from='a@b' to='x@${DOMAIN}'><body>café ☕ naïve</body></message>`);
      const cut = bytes.indexOf(Buffer.from('☕')) + 1; // inside the three bytes of ☕
      socket.write(bytes.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 50)); // a separate read on the gateway side
      socket.write(bytes.subarray(cut));
      const deadline = Date.now() + 5000;
      while (stanzas.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(stanzas.map((s) => s.getChildText('body'))).toEqual(['café ☕ naïve']);
    } finally {
      await link.stop();
      server.close();
    }
  });

  test('flow control: congested past the backlog limit while the server does not read, drained once it has read everything', async () => {
    const { server, port, client } = await scriptedServer();
    const link = new ComponentConnection({
      service: `xmpp://127.0.0.1:${port}`, domain: DOMAIN, password: SECRET,
      initialDelayMs: 100, maxDelayMs: 1000, queueLimit: 100, backlogHighWaterBytes: 64 * 1024, logger: pino({ level: 'silent' }),
    }, () => undefined);
    const signals: string[] = [];
    link.on('congested', () => signals.push('congested'));
    link.on('drained', () => signals.push('drained'));
    try {
      link.start();
      const socket = await client;
      await link.waitOnline(5000);
      socket.pause(); // the XMPP server stops reading: kernel buffers fill, then the gateway's own
      const body = 'x'.repeat(1000);
      for (let i = 0; i < 20000 && !link.congested; i++) {
        link.send(xml('message', { to: 'u@example.org', from: `c@${DOMAIN}` }, xml('body', {}, body)));
        if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5)); // let the socket write what it can
      }
      expect(signals).toEqual(['congested']);
      expect(link.backlogBytes).toBeGreaterThanOrEqual(64 * 1024);
      socket.resume();
      const deadline = Date.now() + 10000;
      while (!signals.includes('drained') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(signals).toEqual(['congested', 'drained']);
      expect(link.congested).toBe(false);
      expect(link.backlogBytes).toBe(0);
    } finally {
      await link.stop();
      server.close();
    }
  });
});
