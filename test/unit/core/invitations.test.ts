/**
 * Invitations through the core's router, with real user sessions and the echo test network:
 * mediated ones to a room (a network user invited on the network, an XMPP user elsewhere passed
 * the invitation from the room), direct ones to a contact, invitations from the network, errors.
 */
import pino from 'pino';
import xml, { type Element } from '@xmpp/xml';
import echoAdapter, { echoNetwork } from '../../support/echo-adapter';
import { UserSession } from '../../../src/core/user-session';
import { routeStanza } from '../../../src/core/stanza-router';
import type { Adapter, AdapterServices, LegacySession } from '../../../src/core/adapter';
import type { TransportContext } from '../../../src/core/transport-context';
import { MemoryKeyValue } from '../../harness/memory-kv';

const DOMAIN = 'echo.localhost';
const USER = 'alice@localhost';
const PC = `${USER}/pc`;
const ROOM = `#lobby@${DOMAIN}`;
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

async function setup(strip?: (keyof LegacySession)[]) {
  echoNetwork.reset();
  const sent: Element[] = [];
  const logger = pino({ level: 'silent' });
  const adapter: Adapter = echoAdapter.create({} as AdapterServices, {});
  const session = new UserSession(USER, { domain: DOMAIN, send: (el) => void sent.push(el), logger });
  const legacy = await adapter.login({ user: USER, credentials: { username: 'alice', password: 'secret' }, state: new MemoryKeyValue(), xmpp: session.xmpp, reason: 'register' });
  // Methods live on the prototype: shadowed, not deleted.
  for (const name of strip ?? []) (legacy as unknown as Record<string, unknown>)[name] = undefined;
  session.legacy = legacy;
  sent.length = 0; // the transport's presence at login
  const ctx = {
    domain: DOMAIN,
    adapter,
    logger,
    send: (el: Element) => void sent.push(el),
    isAllowed: () => true,
    sessions: { get: (jid: string) => (jid === USER ? session : undefined), sessionFor: async () => session },
  } as unknown as TransportContext;
  const route = (stanza: Element) => routeStanza(ctx, stanza);
  /** Resolves with the first stanza sent (or already sent) that matches. */
  const next = async (match: (el: Element) => boolean): Promise<Element> => {
    for (let i = 0; i < 200; i++) {
      const found = sent.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`not sent; sent: ${sent.map(String).join('\n')}`);
  };
  const join = async () => {
    await route(xml('presence', { from: PC, to: `${ROOM}/alice` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/alice`);
  };
  return { sent, session, route, next, join };
}

function mediated(...invites: { to: string; reason?: string }[]): Element {
  return xml('message', { from: PC, to: ROOM, id: 'inv1' }, xml('x', { xmlns: MUC_USER },
    ...invites.map((i) => xml('invite', { to: i.to }, i.reason ? xml('reason', {}, i.reason) : undefined))));
}

const condition = (el: Element) => el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;
const errorText = (el: Element) => el.getChild('error')?.getChildText('text', STANZAS);

describe('invitations through the core', () => {
  test('a mediated invitation of a network user is the network\'s invite; its answer comes from the room', async () => {
    const { route, next } = await setup();
    await route(mediated({ to: `echo@${DOMAIN}`, reason: 'tea?' }));
    expect(echoNetwork.invites).toEqual([{ user: USER, room: '#lobby', invitee: 'echo', reason: 'tea?' }]);
    // The echo network invites back: a mediated invitation from the room, naming the inviter, to the bare JID.
    const back = await next((el) => el.name === 'message' && Boolean(el.getChild('x', MUC_USER)));
    expect(back.attrs).toMatchObject({ from: ROOM, to: USER });
    const invite = back.getChild('x', MUC_USER)!.getChild('invite')!;
    expect(invite.attrs.from).toBe(`echo@${DOMAIN}`);
    expect(invite.getChildText('reason')).toBe('echo: tea?');
    expect(back.getChildText('body')).toBe(`echo@${DOMAIN} invites you to the room ${ROOM}: echo: tea?`);
  });

  test('the network\'s refusal is an error message from the room with its words and legacy code; later invitees are not invited', async () => {
    const { route, sent } = await setup();
    await route(mediated({ to: `nobody@${DOMAIN}` }, { to: `echo@${DOMAIN}` }));
    expect(echoNetwork.invites).toEqual([]);
    const error = sent.find((el) => el.attrs.type === 'error')!;
    expect(error.attrs).toMatchObject({ from: ROOM, to: PC, id: 'inv1' });
    expect(condition(error)).toBe('item-not-found');
    expect(error.getChild('error')!.attrs.code).toBe('404');
    expect(errorText(error)).toBe('There is no user called nobody on the echo network.');
  });

  test('an XMPP user elsewhere gets the invitation from the room, only from someone in it', async () => {
    const { route, sent, join } = await setup();
    await route(mediated({ to: 'carol@example.org' }));
    expect(condition(sent.pop()!)).toBe('not-acceptable');
    await join();
    await route(mediated({ to: 'carol@example.org/phone', reason: 'see you' }));
    const forwarded = sent.find((el) => el.name === 'message' && el.attrs.to === 'carol@example.org/phone')!;
    expect(forwarded.attrs.from).toBe(ROOM);
    const invite = forwarded.getChild('x', MUC_USER)!.getChild('invite')!;
    expect(invite.attrs).toEqual({ from: USER });
    expect(invite.getChildText('reason')).toBe('see you');
    // The echo network has no room settings, so no password to pass on.
    expect(forwarded.getChild('x', MUC_USER)!.getChild('password')).toBeUndefined();
    expect(echoNetwork.invites).toEqual([]);
  });

  test('the password of a room with one goes along', async () => {
    const { route, sent, join, session } = await setup();
    (session.legacy as LegacySession).roomConfig = async () => ({ password: 'k3y' });
    await join();
    await route(mediated({ to: 'carol@example.org' }));
    const forwarded = sent.find((el) => el.attrs.to === 'carol@example.org')!;
    expect(forwarded.getChild('x', MUC_USER)!.getChildText('password')).toBe('k3y');
  });

  test('invitees that cannot be invited: a malformed JID, the transport itself, a room, too many', async () => {
    const { route, sent } = await setup();
    const answer = async (...invites: { to: string }[]) => {
      await route(mediated(...invites));
      const el = sent.pop()!;
      return [condition(el), errorText(el)];
    };
    expect(await answer({ to: '' })).toEqual(['jid-malformed', expect.stringContaining('not a JID')]);
    expect(await answer({ to: 'a b@example.org' })).toEqual(['jid-malformed', expect.any(String)]);
    expect(await answer({ to: DOMAIN })).toEqual(['bad-request', `${DOMAIN} itself cannot be invited; invite one of its users.`]);
    expect(await answer({ to: `#other@${DOMAIN}` })).toEqual(['bad-request', '#other is not a user; only users can be invited.']);
    expect(await answer(...Array.from({ length: 11 }, (_, i) => ({ to: `u${i}@example.org` })))).toEqual(['policy-violation', 'Invite at most 10 people at once.']);
    expect(echoNetwork.invites).toEqual([]);
  });

  test('a session without invitations answers feature-not-implemented with a sentence', async () => {
    const { route, sent } = await setup(['invite' as keyof LegacySession]);
    await route(mediated({ to: `echo@${DOMAIN}` }));
    const error = sent.pop()!;
    expect(condition(error)).toBe('feature-not-implemented');
    expect(errorText(error)).toBe('This network has no invitations; send echo the room\'s address instead.');
  });

  test('a direct invitation to a network user naming a room of the transport is the network\'s invite', async () => {
    const { route, sent } = await setup();
    await route(xml('message', { from: PC, to: `echo@${DOMAIN}`, id: 'd1' }, xml('body', {}, 'join us'), xml('x', { xmlns: 'jabber:x:conference', jid: ROOM, reason: 'now' })));
    expect(echoNetwork.invites).toEqual([{ user: USER, room: '#lobby', invitee: 'echo', reason: 'now' }]);
    // The invitation is the message: its text does not go out as well.
    expect(echoNetwork.sent).toEqual([]);
    expect(sent.filter((el) => el.attrs.type === 'error')).toEqual([]);
  });

  test('a direct invitation to a room elsewhere goes as its text; without text it is refused', async () => {
    const { route, sent } = await setup();
    const direct = (body?: string) => xml('message', { from: PC, to: `pal@${DOMAIN}`, id: 'd2', type: 'chat' },
      body ? xml('body', {}, body) : undefined, xml('x', { xmlns: 'jabber:x:conference', jid: 'room@conference.example.org' }));
    await route(direct('xmpp:room@conference.example.org?join'));
    expect(echoNetwork.sent).toEqual([{ user: USER, to: 'pal', body: 'xmpp:room@conference.example.org?join' }]);
    await route(direct());
    const error = sent.pop()!;
    expect(error.attrs).toMatchObject({ type: 'error', from: `pal@${DOMAIN}` });
    expect(condition(error)).toBe('feature-not-implemented');
  });

  test('a decline of an invitation an XMPP user sent is passed on; one from the network needs no answer', async () => {
    const { route, sent } = await setup();
    const decline = (to: string) => xml('message', { from: PC, to: ROOM }, xml('x', { xmlns: MUC_USER }, xml('decline', { to }, xml('reason', {}, 'busy'))));
    await route(decline(`echo@${DOMAIN}`));
    expect(sent).toEqual([]);
    await route(decline('carol@example.org'));
    const passed = sent.pop()!;
    expect(passed.attrs).toMatchObject({ from: ROOM, to: 'carol@example.org' });
    expect(passed.getChild('x', MUC_USER)!.getChild('decline')!.attrs.from).toBe(USER);
  });
});
