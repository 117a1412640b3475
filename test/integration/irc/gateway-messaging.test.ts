/**
 * Corrections, replies and reactions from a real XMPP client to IRC, end to end (client ->
 * Prosody -> gateway core -> IRC adapter): as text lines on ngircd, which has no message-tags, and
 * as IRCv3 client tags on the scripted IRCv3 server, which also replays channel history.
 */
import type { Element } from '@xmpp/xml';
import { Prosody } from '../../harness/prosody';
import { TestClient, xml, registerForm } from '../../harness/xmpp-client';
import { startGateway, testConfig } from '../../harness/gateway';
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import type { Gateway } from '../../../src/gateway';
import { RawIrcClient } from './raw-client';
import { fixedServerOptions } from './helpers';
import { historyServer, type ScriptedHistory, type ScriptedIrcServer } from './scripted-server';

const PLAIN = 'irc.localhost';
const IRCV3 = 'ircv3.localhost';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS = { correct: 'urn:xmpp:message-correct:0', reply: 'urn:xmpp:reply:0', reactions: 'urn:xmpp:reactions:0', fallback: 'urn:xmpp:fallback:0', sid: 'urn:xmpp:sid:0', delay: 'urn:xmpp:delay' };
const run = Prosody.available() && ngircdAvailable() ? describe : describe.skip;

/** A groupchat answer as clients send it: the quote as fallback text, marked, before the answer. */
function reply(room: string, to: string, id: string, quote: string, answer: string): Element {
  const fallback = `> ${quote}\n`;
  return xml('message', { to: room, type: 'groupchat', id: `reply-${id}` },
    xml('body', {}, `${fallback}${answer}`),
    xml('reply', { xmlns: NS.reply, to, id }),
    xml('fallback', { xmlns: NS.fallback, for: NS.reply }, xml('body', { start: '0', end: String(Array.from(fallback).length) })));
}

function reaction(room: string, id: string, emojis: string[]): Element {
  return xml('message', { to: room, type: 'groupchat', id: `react-${id}` },
    xml('reactions', { xmlns: NS.reactions, id }, ...emojis.map((e) => xml('reaction', {}, e))));
}

function correction(room: string, id: string, body: string): Element {
  return xml('message', { to: room, type: 'groupchat', id: `fix-${id}` }, xml('body', {}, body), xml('replace', { xmlns: NS.correct, id }));
}

run('corrections, replies and reactions from XMPP to IRC', () => {
  let ircd: Ngircd;
  let scripted: ScriptedIrcServer;
  let history: ScriptedHistory;
  let prosody: Prosody;
  let gateway: Gateway;
  let alice: TestClient;
  let bob: RawIrcClient;

  const groupchatFrom = (from: string, body?: string) => (el: Element) =>
    el.name === 'message' && el.attrs.type === 'groupchat' && el.attrs.from === from && (body === undefined || el.getChildText('body') === body);

  async function join(room: string): Promise<void> {
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const self = await alice.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/alice` && !el.attrs.type, 10000, `self-presence in ${room}`);
    expect(self.getChild('x', MUC_USER)!.getChildren('status').map((s) => s.attrs.code)).toContain('110');
  }

  async function roomFeatures(room: string): Promise<string[]> {
    const info = await alice.iq('get', room, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    return info.getChild('query')!.getChildren('feature').map((f) => String(f.attrs.var));
  }

  beforeAll(async () => {
    ircd = await Ngircd.start();
    const v3 = historyServer();
    history = v3.history;
    scripted = await v3.started;
    prosody = await Prosody.start([{ domain: PLAIN, secret: 's3cret' }, { domain: IRCV3, secret: 's3cret' }]);
    gateway = await startGateway(testConfig(prosody, [
      { domain: PLAIN, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(ircd.port) },
      { domain: IRCV3, secret: 's3cret', adapter: 'irc', options: fixedServerOptions(scripted.port) },
    ], { access: { allow: ['localhost'] } }));
    alice = await TestClient.connect(prosody, 'alice');
    await alice.send(xml('presence'));
    for (const domain of [PLAIN, IRCV3]) expect((await alice.iq('set', domain, registerForm({ nick: 'alice' }))).attrs.type).toBe('result');
    bob = await RawIrcClient.connect(ircd.port, 'bob');
  });

  afterAll(async () => {
    bob?.close();
    await alice?.stop();
    await gateway?.stop();
    await prosody?.destroy();
    await scripted?.close();
    await ircd?.stop();
  });

  test('disco#info of an IRC room lists corrections, replies and reactions', async () => {
    for (const room of [`#feat@${PLAIN}`, `#v3@${IRCV3}`]) {
      expect(await roomFeatures(room)).toEqual(expect.arrayContaining([NS.correct, NS.reply, NS.reactions]));
    }
  });

  test('ngircd (no message-tags): the IRC user sees a "* " correction, the quote then the answer, and a reaction line', async () => {
    const room = `#feat@${PLAIN}`;
    bob.send('JOIN #feat');
    await bob.waitFor((l) => l.command === '366' && l.params[1] === '#feat');
    await join(room);
    const isFromAlice = (text: string) => (l: { command: string; nick: string; params: string[] }) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === '#feat' && l.params[1] === text;

    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'f1' }, xml('body', {}, 'helo all')));
    await bob.waitFor(isFromAlice('helo all'));
    await alice.waitFor(groupchatFrom(`${room}/alice`, 'helo all'), 10000, 'reflection');
    await alice.send(correction(room, 'f1', 'hello all'));
    await bob.waitFor(isFromAlice('* hello all'));

    bob.send('PRIVMSG #feat :who is here?');
    const question = await alice.waitFor(groupchatFrom(`${room}/bob`, 'who is here?'), 10000, 'question');
    const questionId = String(question.getChild('stanza-id', NS.sid)?.attrs.id ?? question.attrs.id);
    await alice.send(reply(room, `${room}/bob`, questionId, 'who is here?', 'me'));
    await bob.waitFor(isFromAlice('> bob: who is here?'));
    const answer = await bob.waitFor(isFromAlice('me'));
    // The quote comes first: the answer is the line after it.
    expect(bob.lines.indexOf(answer)).toBeGreaterThan(bob.lines.findIndex(isFromAlice('> bob: who is here?')));

    await alice.send(reaction(room, questionId, ['👍']));
    const reacted = await bob.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && (l.params[1] ?? '').startsWith('Reacted 👍'));
    expect(reacted.params[0]).toBe('#feat');
  });

  test('IRCv3: history is replayed on join with delay stamps and msgids', async () => {
    history.set('#v3', { batch: ['@time=2020-05-06T07:08:09.000Z;msgid=v0 :op!u@h PRIVMSG #v3 :said before you came'] });
    const room = `#v3@${IRCV3}`;
    await join(room);
    await scripted.waitForLine((l) => l === 'CHATHISTORY LATEST #v3 * 20');
    const replayed = await alice.waitFor(groupchatFrom(`${room}/op`, 'said before you came'), 10000, 'replayed line');
    expect(replayed.getChild('delay', NS.delay)?.attrs.stamp).toBe('2020-05-06T07:08:09.000Z');
    expect(replayed.attrs.id).toBe('v0');
    expect(replayed.getChild('stanza-id', NS.sid)?.attrs.id).toBe('v0');
  });

  test('IRCv3: the IRC side gets +draft/reply and +draft/react tags; a correction stays a "* " line', async () => {
    const room = `#v3@${IRCV3}`;
    scripted.inject(`@msgid=q1;time=${new Date().toISOString()} :op!u@h PRIVMSG #v3 :anyone around?`);
    const question = await alice.waitFor(groupchatFrom(`${room}/op`, 'anyone around?'), 10000, 'question');
    expect(question.getChild('stanza-id', NS.sid)?.attrs.id).toBe('q1');

    await alice.send(reply(room, `${room}/op`, 'q1', 'anyone around?', 'I am'));
    await scripted.waitForLine((l) => l === '@+draft/reply=q1 PRIVMSG #v3 :I am');

    await alice.send(reaction(room, 'q1', ['👍']));
    await scripted.waitForLine((l) => l === '@+draft/react=👍;+draft/reply=q1 TAGMSG #v3');
    await alice.send(reaction(room, 'q1', []));
    await scripted.waitForLine((l) => l === '@+draft/unreact=👍;+draft/reply=q1 TAGMSG #v3');

    await alice.send(xml('message', { to: room, type: 'groupchat', id: 'v3-1' }, xml('body', {}, 'teh answer')));
    await alice.waitFor(groupchatFrom(`${room}/alice`, 'teh answer'), 10000, 'reflection');
    await alice.send(correction(room, 'v3-1', 'the answer'));
    await scripted.waitForLine((l) => l === 'PRIVMSG #v3 :* the answer');
    expect(scripted.received.filter((l) => l.includes('PRIVMSG #v3 :>'))).toEqual([]);
  });
});
