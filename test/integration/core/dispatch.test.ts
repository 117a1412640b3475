/**
 * Dispatch by `to` domain. ejabberd with several hosts on one `ejabberd_service` listener and
 * `global_routes: true` registers every host on every component connection and picks one at random
 * per stanza; this scripted XEP-0114 server does the same on purpose: it hands the gateway's first
 * connection stanzas for the other transport and for a domain nobody serves.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { Gateway } from '../../../src/gateway';
import { LOOPBACK_RULES } from '../../support/outbound';
import echoAdapter from '../../support/echo-adapter';

const SECRET = 'dispatch-secret';
const DOMAINS = ['one.localhost', 'two.localhost'];

/** Accepts one component stream per domain and records what the gateway writes on each. */
class ScriptedComponentServer {
  readonly links = new Map<string, { socket: Socket; output: string }>();
  private waiters: (() => void)[] = [];
  private constructor(readonly server: Server, readonly port: number) {}

  static start(): Promise<ScriptedComponentServer> {
    return new Promise((resolve) => {
      const server = createServer((socket) => scripted.accept(socket));
      let scripted!: ScriptedComponentServer;
      server.listen(0, '127.0.0.1', () => {
        scripted = new ScriptedComponentServer(server, (server.address() as { port: number }).port);
        resolve(scripted);
      });
    });
  }

  private accept(socket: Socket): void {
    let input = '';
    let domain = '';
    socket.on('data', (d) => {
      input += d.toString();
      const link = this.links.get(domain);
      if (link) {
        link.output += d.toString();
        this.notify();
        return;
      }
      const header = /<stream:stream[^>]*\sto=['"]([^'"]+)['"]/.exec(input);
      if (header && !domain) {
        domain = header[1];
        socket.write(`<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='${domain}' id='id-${domain}'>`);
      }
      const expected = createHash('sha1').update(`id-${domain}${SECRET}`).digest('hex');
      if (domain && input.includes(`<handshake>${expected}</handshake>`)) {
        socket.write('<handshake/>');
        this.links.set(domain, { socket, output: '' });
        this.notify();
      }
    });
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `check()` holds, re-checking whenever the gateway writes something. */
  async until(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; wrote: ${[...this.links].map(([d, l]) => `${d}: ${l.output}`).join('\n')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    for (const { socket } of this.links.values()) socket.destroy();
    this.server.close();
  }
}

describe('stanzas dispatched by their to domain', () => {
  let server: ScriptedComponentServer;
  let gateway: Gateway;

  beforeAll(async () => {
    server = await ScriptedComponentServer.start();
    const config = parseConfig(JSON.stringify({
      xmpp: { host: '127.0.0.1', port: server.port, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } },
      storage: { url: 'sqlite://:memory:', encryptionKey: 'dispatch-test-encryption-key' },
      http: { enabled: false },
      logging: { level: 'warn' },
      outbound: LOOPBACK_RULES,
      transports: DOMAINS.map((domain) => ({ domain, secret: SECRET, adapter: 'echo' })),
    }), 'dispatch.yaml', {});
    gateway = await Gateway.start(config, { logger: pino({ level: 'silent' }), adapters: { echo: echoAdapter } });
    await gateway.waitOnline(10000);
    await server.until(() => server.links.size === 2, 'both component streams');
  });

  afterAll(async () => {
    await gateway?.stop();
    server?.close();
  });

  test('disco#info for two.localhost, sent 20 times over one.localhost\'s connection, is answered by two.localhost', async () => {
    const wrongLink = server.links.get('one.localhost')!;
    for (let i = 0; i < 20; i++) {
      wrongLink.socket.write(`<iq type='get' id='d${i}' from='u@localhost/r' to='two.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    }
    const rightLink = server.links.get('two.localhost')!;
    const answered = () => (rightLink.output + wrongLink.output).match(/<iq [^>]*id="d\d+"[^>]*>/g) ?? [];
    await server.until(() => answered().length >= 20, '20 answers');
    // Handled by the transport of two.localhost: its answers leave on its own connection.
    expect(answered()).toHaveLength(20);
    for (const answer of answered()) expect(answer).toMatch(/type="result".*from="two\.localhost"|from="two\.localhost".*type="result"/);
    expect(rightLink.output.match(/id="d\d+"/g)).toHaveLength(20);
    expect(wrongLink.output).not.toMatch(/id="d\d+"/);
  });

  test('a stanza for a domain the gateway does not serve gets item-not-found', async () => {
    const link = server.links.get('one.localhost')!;
    link.socket.write(`<iq type='get' id='lost1' from='u@localhost/r' to='three.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    await server.until(() => link.output.includes('id="lost1"'), 'the refusal');
    const answer = /<iq [^>]*id="lost1"[\s\S]*?<\/iq>/.exec(link.output)![0];
    expect(answer).toContain('type="error"');
    expect(answer).toContain('<item-not-found');
    expect(answer).toContain('three.localhost is not served by this gateway.');
  });
});
