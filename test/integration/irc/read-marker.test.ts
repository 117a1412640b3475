/**
 * IRCv3 draft/read-marker both ways, over a real connection (IrcConnection, irc-framework) to the
 * scripted IRCv3 server, which acknowledges the cap and keeps markers like a bouncer would; and
 * nothing at all where the cap is not offered (scripted without it, ngircd).
 */
import pino from 'pino';
import type { Client, IrcCommand } from 'irc-framework';
import { parseLocalpart } from '../../../adapters/irc/address';
import { IrcConnection } from '../../../adapters/irc/connection';
import { ircOptionsSchema } from '../../../adapters/irc/options';
import { ReadMarkers, READ_MARKER_CAP } from '../../../adapters/irc/read-marker';
import { connectionSettings } from '../../../adapters/irc/registration';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { allowLoopback } from '../../support/outbound';
import { fixedServerOptions } from './helpers';
import { IRCV3_CAPS, ScriptedIrcServer } from './scripted-server';

const logger = pino({ level: 'silent' });

/** One user's connection with read markers bound as the session binds them (attach per client). */
async function connect(port: number, nick: string) {
  const options = ircOptionsSchema.parse(fixedServerOptions(port));
  const reads: { target: string; legacyId: string }[] = [];
  const unknown: IrcCommand[] = [];
  let connection: IrcConnection;
  const markers = new ReadMarkers({
    client: () => connection.client,
    send: (line) => connection.send(line, 'control'),
    lower: (name) => connection.client?.caseLower(name) ?? name.toLowerCase(),
    isChannel: (target) => (connection.client?.network.options.CHANTYPES ?? ['#']).includes(target[0]),
    isSelf: (other) => connection.client?.caseLower(other) === connection.client?.caseLower(connection.client.user.nick),
    resolve: (localpart) => parseLocalpart(localpart, '127.0.0.1'),
    handleOf: (target) => ({ readByUser: (ref: { legacyId: string }) => reads.push({ target, ...ref }) }),
    logger,
  });
  connection = new IrcConnection(connectionSettings({ nick }, options), options, {
    attach: (client: Client) => {
      markers.attach(client);
      client.on('unknown command', (command: IrcCommand) => unknown.push(command));
    },
    registered: () => undefined,
    lost: () => undefined,
  }, logger, allowLoopback());
  await connection.connectOnce();
  return { connection, markers, reads, unknown };
}

type Connected = Awaited<ReturnType<typeof connect>>;

describe('draft/read-marker with a server that offers it', () => {
  let server: ScriptedIrcServer;
  /** The markers the server keeps, by target, as a bouncer would (only forward). */
  const stored = new Map<string, string>();
  let sam: Connected;
  let barriers = 0;

  beforeAll(async () => {
    server = await ScriptedIrcServer.start({
      caps: [...IRCV3_CAPS, READ_MARKER_CAP],
      onLine: (line, send, nick) => {
        const words = line.split(' ');
        if (words[0] === 'JOIN') {
          // A read-marker server says where the marker is right after the JOIN.
          send(`:${nick}!u@h JOIN ${words[1]}`);
          send(`:scripted.test MARKREAD ${words[1]} timestamp=${stored.get(words[1]) ?? '*'}`);
          send(`:scripted.test 353 ${nick} = ${words[1]} :${nick}`);
          send(`:scripted.test 366 ${nick} ${words[1]} :End of NAMES list`);
          return true;
        }
        if (words[0] === 'PING') {
          send(`:scripted.test PONG scripted.test ${words.slice(1).join(' ')}`);
          return true;
        }
        if (words[0] === 'MARKREAD' && words[2]?.startsWith('timestamp=')) {
          const time = words[2].slice('timestamp='.length);
          const known = stored.get(words[1]);
          if (!known || Date.parse(known) < Date.parse(time)) stored.set(words[1], time);
          send(`:scripted.test MARKREAD ${words[1]} timestamp=${stored.get(words[1])}`);
          return true;
        }
        return false;
      },
    });
    sam = await connect(server.port, 'sam');
  });

  afterAll(async () => {
    sam?.markers.dispose();
    await sam?.connection.quit('bye');
    await server?.close();
  });

  /**
   * A round trip: every line the connection queued before has reached the server, and every line
   * the server sent before has been handled by the client (the PONG comes after them).
   */
  async function barrier(): Promise<string[]> {
    const tag = `barrier-${++barriers}`;
    const client = sam.connection.client!;
    const pong = new Promise<void>((resolve) => {
      const listener = (e: { message?: string }) => {
        if (e.message !== tag) return;
        client.removeListener('pong', listener);
        resolve();
      };
      client.on('pong', listener);
    });
    sam.connection.send(`PING :${tag}`, 'control');
    await pong;
    return [...server.received];
  }

  /** Replayed lines are reported together, a tick after the last one was read. */
  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((r) => setTimeout(r, 5));
  }

  const markreads = (lines: string[]) => lines.filter((l) => l.startsWith('MARKREAD'));

  /** A line from the server, handled by the client when this resolves. */
  async function inject(line: string): Promise<void> {
    server.inject(line);
    await barrier();
  }

  test('the cap is asked for and acknowledged', async () => {
    expect(server.received.find((l) => l.startsWith('CAP REQ'))).toContain(READ_MARKER_CAP);
    expect(sam.markers.enabled).toBe(true);
  });

  test('a private message marked displayed becomes MARKREAD with its server-time, once', async () => {
    await inject('@time=2026-01-02T10:00:00.123Z;msgid=p1 :bob!u@h PRIVMSG sam :hi');
    await inject('@time=2026-01-02T10:00:05.000Z;msgid=p2 :bob!u@h PRIVMSG sam :there');
    const before = markreads(server.received).length;
    sam.markers.markRead('bob', { id: 'p1' });
    await server.waitForLine((l) => l === 'MARKREAD bob timestamp=2026-01-02T10:00:00.123Z');
    // The same again, or an older one: the marker is already there.
    sam.markers.markRead('bob', { id: 'p1' });
    const lines = await barrier();
    expect(markreads(lines).slice(before)).toEqual(['MARKREAD bob timestamp=2026-01-02T10:00:00.123Z']);
    // The server's answer (the same time) is not news: nothing is reported to XMPP.
    expect(sam.reads).toEqual([]);
    sam.markers.markRead('bob', { id: 'xmpp-id', legacyId: 'p2' });
    await server.waitForLine((l) => l === 'MARKREAD bob timestamp=2026-01-02T10:00:05.000Z');
  });

  test('a message whose time is unknown sends nothing; nor does a room marker for a nick', async () => {
    const before = markreads(server.received).length;
    sam.markers.markRead('bob', { id: 'never-seen' });
    sam.markers.markRead('#nowhere', { id: 'p1' }, true);
    expect(markreads(await barrier()).slice(before)).toEqual([]);
  });

  test('in a channel: the marker moves forward only, and another client\'s MARKREAD reaches XMPP as "read up to"', async () => {
    sam.connection.send('JOIN #read', 'control');
    await server.waitForLine((l) => l === 'JOIN #read');
    await barrier();
    await inject('@time=2026-01-02T11:00:00.000Z;msgid=c1 :op!u@h PRIVMSG #read :one');
    await inject('@time=2026-01-02T11:01:00.000Z;msgid=c2 :op!u@h PRIVMSG #read :two');
    await inject('@time=2026-01-02T11:02:00.000Z;msgid=c3 :op!u@h PRIVMSG #read :three');
    sam.markers.markRead('#read', { id: 'c2' }, true);
    await server.waitForLine((l) => l === 'MARKREAD #read timestamp=2026-01-02T11:01:00.000Z');
    const before = markreads(server.received).length;
    sam.markers.markRead('#read', { id: 'c1' }, true);
    expect(markreads(await barrier()).slice(before)).toEqual([]);
    expect(sam.reads).toEqual([]);

    // The user's phone read further: the newest message at or before its time is the one shown read.
    await inject(':scripted.test MARKREAD #read timestamp=2026-01-02T11:02:30.000Z');
    expect(sam.reads).toEqual([{ target: '#read', legacyId: 'c3' }]);
    expect(sam.markers.readTime('#READ')).toEqual(new Date('2026-01-02T11:02:30.000Z'));
    // The privileged <displayed/> coming back from XMPP for c3: already there, nothing sent.
    const after = markreads(server.received).length;
    sam.markers.markRead('#read', { id: 'c3' }, true);
    // An older marker from the server, or "*", changes nothing.
    await inject(':scripted.test MARKREAD #read timestamp=2026-01-02T11:00:00.000Z');
    await inject(':scripted.test MARKREAD #read timestamp=*');
    expect(markreads(await barrier()).slice(after)).toEqual([]);
    expect(sam.reads).toEqual([{ target: '#read', legacyId: 'c3' }]);
  });

  test('a marker given at JOIN, before the replayed lines it covers, is reported once they came', async () => {
    stored.set('#late', '2026-01-03T09:00:10.000Z');
    sam.connection.send('JOIN #late', 'control');
    await server.waitForLine((l) => l === 'JOIN #late');
    await barrier();
    expect(sam.reads.filter((r) => r.target === '#late')).toEqual([]);
    server.inject('@time=2026-01-03T09:00:00.000Z;msgid=h1 :op!u@h PRIVMSG #late :old');
    server.inject('@time=2026-01-03T09:00:05.000Z;msgid=h2 :op!u@h PRIVMSG #late :older but read');
    server.inject('@time=2026-01-03T09:00:20.000Z;msgid=h3 :op!u@h PRIVMSG #late :unread');
    await barrier();
    await until(() => sam.reads.some((r) => r.target === '#late'));
    expect(sam.reads.filter((r) => r.target === '#late')).toEqual([{ target: '#late', legacyId: 'h2' }]);
  });

  test('a server-time that is not one is never put into a line', async () => {
    await inject('@time=2026-01-02\\s12:00:00Z;msgid=bad1 :bob!u@h PRIVMSG sam :sneaky');
    const before = markreads(server.received).length;
    sam.markers.markRead('bob', { id: 'bad1' });
    expect(markreads(await barrier()).slice(before)).toEqual([]);
  });
});

describe('draft/read-marker where the server does not offer it', () => {
  test('scripted server without the cap: nothing asked, nothing sent', async () => {
    const server = await ScriptedIrcServer.start({ caps: IRCV3_CAPS });
    const kim = await connect(server.port, 'kim');
    try {
      expect(server.received.find((l) => l.startsWith('CAP REQ'))).not.toContain(READ_MARKER_CAP);
      expect(kim.markers.enabled).toBe(false);
      server.inject('@time=2026-01-02T10:00:00.000Z;msgid=n1 :bob!u@h PRIVMSG kim :hi');
      kim.connection.send('PING :one', 'control');
      await server.waitForLine((l) => l === 'PING :one');
      kim.markers.markRead('bob', { id: 'n1' });
      kim.connection.send('PING :two', 'control');
      await server.waitForLine((l) => l === 'PING :two');
      expect(server.received.filter((l) => l.startsWith('MARKREAD'))).toEqual([]);
    } finally {
      kim.markers.dispose();
      await kim.connection.quit('bye');
      await server.close();
    }
  });

  (ngircdAvailable() ? test : test.skip)('ngircd: no cap, and no MARKREAD it would refuse as an unknown command', async () => {
    const ircd = await Ngircd.start();
    const lee = await connect(ircd.port, 'lee');
    try {
      expect(lee.markers.enabled).toBe(false);
      lee.markers.markRead('bob', { id: 'anything' });
      lee.markers.markRead('#chan', { id: 'anything' }, true);
      // ngircd answers in order: once PONG is back, a 421 for MARKREAD would have come before it.
      const pong = new Promise<void>((resolve) => lee.connection.client!.on('pong', (e: { message?: string }) => {
        if (e.message === 'after-markread') resolve();
      }));
      lee.connection.send('PING :after-markread', 'control');
      await pong;
      expect(lee.unknown.filter((c) => c.command === '421')).toEqual([]);
    } finally {
      lee.markers.dispose();
      await lee.connection.quit('bye');
      await ircd.stop();
    }
  });
});
