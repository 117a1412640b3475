import { parseLocalpart } from '../../../../adapters/irc/address';
import { Invitations } from '../../../../adapters/irc/invitations';

const SERVER = 'irc.example.net';

function invitations(online = true) {
  const sent: string[][] = [];
  const shown: [string, string][] = [];
  const inv = new Invitations({
    online: () => online,
    send: (lines) => { sent.push(lines); return true; },
    lower: (s) => s.toLowerCase(),
    server: SERVER,
    parse: (localpart) => parseLocalpart(localpart, SERVER),
    resolve: (localpart) => parseLocalpart(localpart, SERVER),
    isSelf: (nick) => nick.toLowerCase() === 'alice',
    isChannel: (name) => name.startsWith('#'),
    roomLocalpart: (channel) => channel,
    contactLocalpart: (nick) => nick,
    invited: (room, from) => void shown.push([room, from]),
  });
  return { inv, sent, shown };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const tokenOf = (lines: string[]) => lines[lines.length - 1].replace('PING :', '');

describe('IRC invitations, XMPP -> IRC', () => {
  test('INVITE then a PING; RPL_INVITING or the PONG settles it', async () => {
    const { inv, sent } = invitations();
    const first = inv.invite('#c', 'bob');
    await settle();
    expect(sent[0][0]).toBe('INVITE bob #c');
    expect(sent[0][1]).toMatch(/^PING :xgwi\d+$/);
    inv.inviting('someone', '#c');
    inv.inviting('BOB', '#C');
    await expect(first).resolves.toBeUndefined();
    const second = inv.invite(`#d%${SERVER}`, `carol%${SERVER}`);
    await settle();
    expect(sent[1][0]).toBe('INVITE carol #d');
    expect(inv.pong('other')).toBe(false);
    expect(inv.pong(tokenOf(sent[1]))).toBe(true);
    await expect(second).resolves.toBeUndefined();
  });

  test('one at a time: the second waits for the first\'s answer', async () => {
    const { inv, sent } = invitations();
    const a = inv.invite('#c', 'bob');
    const b = inv.invite('#c', 'carol');
    await settle();
    expect(sent).toHaveLength(1);
    inv.pong(tokenOf(sent[0]));
    await a;
    await settle();
    expect(sent[1][0]).toBe('INVITE carol #c');
    inv.pong(tokenOf(sent[1]));
    await b;
  });

  test('the server\'s refusals in its words: 443, 401, 442, 482 and a numeric irc-framework does not name', async () => {
    const { inv } = invitations();
    const refusedWith = async (event: Parameters<Invitations['refused']>[0]) => {
      const p = inv.invite('#c', 'bob');
      await settle();
      expect(inv.refused(event)).toBe(true);
      return p.then(() => undefined, (err) => ({ condition: err.condition, message: err.message }));
    };
    expect(await refusedWith({ error: 'user_on_channel', nick: 'bob', channel: '#c' })).toEqual({ condition: 'conflict', message: 'bob is already on #c.' });
    expect(await refusedWith({ error: 'no_such_nick', nick: 'Bob', reason: 'No such nick or channel name' })).toEqual({ condition: 'item-not-found', message: 'Bob: No such nick or channel name' });
    expect(await refusedWith({ error: 'not_on_channel', channel: '#c', reason: 'You are not on that channel' })).toEqual({ condition: 'not-acceptable', message: '#c: You are not on that channel' });
    expect(await refusedWith({ error: 'chanop_privs_needed', channel: '#C', reason: 'Your privileges are too low' })).toEqual({ condition: 'forbidden', message: '#C: Your privileges are too low' });
    expect(await refusedWith({ error: '518', reason: 'bob #c :Cannot invite (+V) at channel #c' })).toEqual({ condition: 'not-acceptable', message: 'bob #c :Cannot invite (+V) at channel #c' });
  });

  test('errors about something else, or with nothing running, are left to others', async () => {
    const { inv, sent } = invitations();
    expect(inv.refused({ error: 'no_such_nick', nick: 'bob' })).toBe(false);
    const p = inv.invite('#c', 'bob');
    await settle();
    expect(inv.refused({ error: 'no_such_nick', nick: 'dave' })).toBe(false);
    expect(inv.refused({ error: 'chanop_privs_needed', channel: '#other' })).toBe(false);
    expect(inv.refused({ error: 'cannot_send_to_channel', channel: '#c' })).toBe(false);
    expect(inv.refused({ error: 'irc', reason: 'Closing link' })).toBe(false);
    inv.pong(tokenOf(sent[0]));
    await p;
  });

  test('addresses that cannot be invited are refused before anything is sent', async () => {
    const { inv, sent } = invitations();
    await expect(inv.invite('#c', '#d')).rejects.toMatchObject({ condition: 'bad-request' });
    await expect(inv.invite('bob', 'carol')).rejects.toMatchObject({ condition: 'bad-request' });
    await expect(inv.invite('#c', 'bob%irc.other.net')).rejects.toMatchObject({ condition: 'not-acceptable', message: `bob is on irc.other.net, not ${SERVER}: IRC invitations stay within one server.` });
    await expect(inv.invite('#c%irc.other.net', 'bob')).rejects.toMatchObject({ condition: 'not-acceptable' });
    await expect(inv.invite('#c', 'bad nick')).rejects.toMatchObject({ condition: 'jid-malformed' });
    expect(sent).toEqual([]);
  });

  test('offline, or the connection lost while waiting', async () => {
    await expect(invitations(false).inv.invite('#c', 'bob')).rejects.toMatchObject({ condition: 'remote-server-timeout' });
    const { inv } = invitations();
    const p = inv.invite('#c', 'bob');
    await settle();
    inv.lost();
    await expect(p).rejects.toMatchObject({ condition: 'remote-server-timeout' });
  });

  test('no answer in time', async () => {
    const inv = new Invitations({
      online: () => true, send: () => true, lower: (s) => s, server: SERVER,
      parse: (l) => parseLocalpart(l, SERVER), resolve: (l) => parseLocalpart(l, SERVER),
      isSelf: () => false, isChannel: () => true, roomLocalpart: (c) => c, contactLocalpart: (n) => n, invited: () => undefined,
    }, 10);
    await expect(inv.invite('#c', 'bob')).rejects.toMatchObject({ condition: 'remote-server-timeout' });
  });
});

describe('IRC invitations, IRC -> XMPP', () => {
  afterEach(() => jest.useRealTimers());

  test('an INVITE naming the user is shown; invite-notify about others, self-invites and server ones are not', () => {
    const { inv, shown } = invitations();
    inv.received({ nick: 'bob', invited: 'Alice', channel: '#c' });
    inv.received({ nick: 'bob', invited: 'carol', channel: '#c' });
    inv.received({ nick: 'alice', invited: 'alice', channel: '#d' });
    inv.received({ nick: 'irc.example.net', invited: 'alice', channel: '#d' });
    inv.received({ nick: 'bob', invited: 'alice', channel: 'notachannel' });
    expect(shown).toEqual([['#c', 'bob']]);
  });

  test('the same invitation again within a minute is shown once; a flood is cut to a few, then one per 10 s', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { inv, shown } = invitations();
    inv.received({ nick: 'bob', invited: 'alice', channel: '#c' });
    inv.received({ nick: 'BOB', invited: 'alice', channel: '#C' });
    expect(shown).toHaveLength(1);
    for (let i = 0; i < 10; i++) inv.received({ nick: `u${i}`, invited: 'alice', channel: '#c' });
    expect(shown).toHaveLength(5);
    jest.setSystemTime(1_000_000 + 10_000);
    for (let i = 10; i < 20; i++) inv.received({ nick: `u${i}`, invited: 'alice', channel: '#c' });
    expect(shown).toHaveLength(6);
    jest.setSystemTime(1_000_000 + 70_000);
    inv.received({ nick: 'bob', invited: 'alice', channel: '#c' });
    expect(shown[shown.length - 1]).toEqual(['#c', 'bob']);
  });
});
