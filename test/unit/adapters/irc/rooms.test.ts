import { GatewayError } from '../../../../src/core/errors';
import { joinError, modeMarks, roleAndAffiliation, Rooms } from '../../../../adapters/irc/rooms';
import { recordingEvents } from '../../../harness/recording-events';

describe('channel modes -> MUC roles', () => {
  test('op, halfop, voice and nothing', () => {
    expect(roleAndAffiliation('o', false)).toEqual({ role: 'moderator', affiliation: 'admin' });
    expect(roleAndAffiliation('ov', false)).toEqual({ role: 'moderator', affiliation: 'admin' });
    expect(roleAndAffiliation('h', false)).toEqual({ role: 'moderator', affiliation: 'member' });
    expect(roleAndAffiliation('v', false)).toEqual({ role: 'participant', affiliation: 'member' });
    expect(roleAndAffiliation('', false)).toEqual({ role: 'participant', affiliation: 'none' });
    expect(roleAndAffiliation('', true)).toEqual({ role: 'visitor', affiliation: 'none' });
    expect(roleAndAffiliation('q', false)).toEqual({ role: 'moderator', affiliation: 'owner' });
    expect(roleAndAffiliation(modeMarks(['a']), false)).toEqual({ role: 'moderator', affiliation: 'admin' });
  });

  test('prefix modes are distinct bits within the occupant\'s eight marks; other letters are none', () => {
    const bits = ['q', 'a', 'o', 'h', 'v'].map((m) => modeMarks(m));
    expect(new Set(bits).size).toBe(5);
    for (const b of bits) expect(b & (b - 1)).toBe(0);
    expect(modeMarks('qaohv')).toBeLessThan(256);
    expect(modeMarks(['o', 'v'])).toBe(modeMarks('ov'));
    expect(modeMarks('kbl')).toBe(0);
    expect(modeMarks(['constructor', '__proto__'])).toBe(0);
  });

  test('join refusals map to XMPP conditions', () => {
    expect(joinError('banned_from_channel', undefined, '#c')?.condition).toBe('forbidden');
    expect(joinError('invite_only_channel', undefined, '#c')?.condition).toBe('registration-required');
    expect(joinError('channel_is_full', undefined, '#c')?.condition).toBe('service-unavailable');
    expect(joinError('bad_channel_key', 'Cannot join channel (+k)', '#c')).toMatchObject({ condition: 'not-authorized', message: '#c: Cannot join channel (+k)' });
    expect(joinError('something_else', undefined, '#c')).toBeUndefined();
  });
});

describe('Rooms state', () => {
  function rooms(me = 'me') {
    const recorder = recordingEvents();
    let self = me;
    const joins: string[] = [];
    const lower = (s: string) => s.toLowerCase();
    const r = new Rooms({
      openRoom: (localpart) => recorder.xmpp.room(localpart, { fold: lower, contactOf: (nick) => lower(nick) }),
      lower,
      selfNick: () => self,
      roomLocalpart: (c) => c,
      sendJoin: (state) => joins.push(state.key ? `${state.name} ${state.key}` : state.name),
    });
    return { r, joins, ...recorder, rename: (n: string) => { self = n; } };
  }
  const op = modeMarks('o');

  test('joined is reported once NAMES completes, with the topic, then changes flow', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onTopic('#c', '\x02hi\x02');
    expect(log).toEqual([]);
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'Op', modes: ['o'] }]);
    expect(log[0].kind).toBe('room.joined');
    expect(log[0].args[1]).toEqual({ nick: 'me', role: 'participant', affiliation: 'none' });
    expect(log[0].args[2]).toEqual([{ nick: 'Op', role: 'moderator', affiliation: 'admin', marks: op, jid: 'op' }]);
    expect(log[0].args[3]).toBe('*hi*');
    r.onMode('#c', [{ mode: '-o', param: 'op' }]);
    expect(log[1]).toEqual({ kind: 'room.occupantChanged', args: ['#c', { nick: 'Op', role: 'participant', affiliation: 'none', jid: 'op' }] });
  });

  test('the occupant table is the core\'s: the room handle holds the channel\'s members', () => {
    const { r, rooms: handles } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: ['v'] }, { nick: 'Op', modes: ['o', 'v'] }]);
    const room = handles.get('#c')!;
    expect(r.get('#c')!.room).toBe(room);
    expect(room.size).toBe(2);
    expect(room.occupant('OP')).toEqual({ nick: 'Op', role: 'moderator', affiliation: 'admin', marks: modeMarks('ov') });
    r.onJoin('#c', 'new');
    expect(room.occupant('new')).toEqual({ nick: 'new', role: 'participant', affiliation: 'none' });
  });

  test('after a disconnect, the re-join announces the room again', () => {
    const { r, log, xmpp, rooms: handles } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'gone', modes: [] }]);
    xmpp.status({ online: false });
    r.disconnected();
    expect(r.get('#C')?.phase).toBe('joining');
    expect(handles.get('#c')!.size).toBe(0);
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'new', modes: [] }]);
    expect(log.map((e) => e.kind)).toEqual(['room.joined', 'status', 'room.joined']);
    expect(log[2].args[2]).toEqual([{ nick: 'new', role: 'participant', affiliation: 'none', jid: 'new' }]);
  });

  test('own nick change is reported as self', () => {
    const { r, log, rename } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: ['v'] }]);
    rename('new');
    r.onNick('me', 'new');
    expect(log[1]).toMatchObject({ kind: 'room.nickChanged', args: ['#c', 'me', { nick: 'new', affiliation: 'member' }, true] });
  });

  test('a member leaving is reported with the affiliation it had; our own QUIT is not a leave', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'Op', modes: ['o'] }, { nick: 'v', modes: ['v'] }]);
    r.onPart('#c', 'Op', 'bye');
    r.onQuit('V', 'gone');
    r.onQuit('nobody', 'gone');
    r.onQuit('ME', 'quitting');
    expect(log.slice(1).map((e) => e.args)).toEqual([
      ['#c', 'Op', { status: 'bye', affiliation: 'admin' }],
      ['#c', 'V', { status: 'gone', affiliation: 'member' }],
    ]);
    expect(r.get('#c')!.room.occupant('me')).toBeDefined();
  });

  test('a MODE line reports each member once, as it ends up; +m turns members without modes into visitors', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'a', modes: [] }, { nick: 'b', modes: ['v'] }]);
    log.splice(0);
    r.onMode('#c', [{ mode: '+v', param: 'a' }, { mode: '+o', param: 'A' }, { mode: '+v', param: 'b' }, { mode: '+k', param: 'key' }]);
    expect(log.map((e) => e.args[1])).toEqual([{ nick: 'a', role: 'moderator', affiliation: 'admin', marks: modeMarks('ov'), jid: 'a' }]);
    log.splice(0);
    r.onMode('#c', [{ mode: '+m', param: null }, { mode: '-v', param: 'b' }]);
    expect(log.map((e) => e.args[1])).toEqual([
      { nick: 'b', role: 'visitor', affiliation: 'none', jid: 'b' },
      { nick: 'me', role: 'visitor', affiliation: 'none' },
    ]);
    log.splice(0);
    r.onMode('#c', [{ mode: '+m', param: null }, { mode: '-m', param: null }, { mode: '+m', param: null }]);
    expect(log).toEqual([]);
    expect(r.get('#c')!.moderated).toBe(true);
  });

  test('away and back change show and status once; a NAMES list keeps them', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'pal', modes: ['v'] }]);
    log.splice(0);
    r.onAway('PAL', '\x02lunch\x02');
    r.onAway('pal', '\x02lunch\x02');
    expect(log).toEqual([{ kind: 'room.occupantChanged', args: ['#c', { nick: 'pal', role: 'participant', affiliation: 'member', marks: modeMarks('v'), show: 'away', status: 'lunch', jid: 'pal' }] }]);
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'pal', modes: [] }]);
    expect(r.get('#c')!.room.occupant('pal')).toMatchObject({ show: 'away', status: 'lunch' });
    r.onMode('#c', [{ mode: '+o', param: 'pal' }]);
    expect(log[1].args[1]).toMatchObject({ nick: 'pal', role: 'moderator', show: 'away', status: 'lunch' });
    r.onAway('pal', undefined);
    expect(log[2].args[1]).toEqual({ nick: 'pal', role: 'moderator', affiliation: 'admin', marks: op, jid: 'pal' });
    expect(log).toHaveLength(3);
  });

  test('users in the same channel keep their own views of it', () => {
    const a = rooms('ann');
    const b = rooms('bob');
    for (const { r } of [a, b]) r.want('#c', '#c', 'x');
    const names = [{ nick: 'ann', modes: [] }, { nick: 'bob', modes: [] }, { nick: 'Op', modes: ['o'] }];
    a.r.onJoin('#c', 'ann');
    a.r.onNames('#c', names);
    b.r.onJoin('#c', 'bob');
    b.r.onNames('#c', names);
    const roomA = a.rooms.get('#c')!;
    const roomB = b.rooms.get('#c')!;
    expect(roomA).not.toBe(roomB);
    // Only ann's connection has seen the de-op and the part so far: bob still sees the old state.
    a.r.onMode('#c', [{ mode: '-o', param: 'op' }]);
    a.r.onPart('#c', 'Op', '');
    expect(roomA.occupant('op')).toBeUndefined();
    expect(roomB.occupant('op')).toEqual({ nick: 'Op', role: 'moderator', affiliation: 'admin', marks: op });
    b.r.onPart('#c', 'Op', '');
    a.r.onNick('bob', 'robert');
    expect(roomB.occupant('bob')).toBeDefined();
    b.r.onNick('bob', 'robert');
    expect([...roomB.occupants()].map((o) => o.nick).sort()).toEqual(['ann', 'robert']);
    a.r.dispose();
    expect(a.rooms.has('#c')).toBe(false);
    expect(roomB.size).toBe(2);
    b.r.dispose();
    expect(b.rooms.has('#c')).toBe(false);
  });

  /** A joined #c with one other member, as after JOIN and NAMES. */
  function joinedRoom() {
    const room = rooms();
    room.r.want('#c', '#c', 'me');
    room.r.onJoin('#c', 'me');
    room.r.onNames('#c', [{ nick: 'me', modes: ['o'] }, { nick: 'other', modes: [] }]);
    room.log.splice(0);
    return room;
  }
  const kinds = (log: { kind: string }[]) => log.map((e) => e.kind);

  test('leave then join before the PART is answered: JOIN again after it, joined after the new NAMES, never reported gone', () => {
    const { r, log, joins } = joinedRoom();
    r.leaving(r.get('#c')!);
    r.wantAgain(r.get('#c')!, '#c', 'me');
    expect(joins).toEqual([]);
    r.onPart('#c', 'me', '');
    expect(joins).toEqual(['#c']);
    expect(log).toEqual([]);
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'other', modes: [] }]);
    expect(kinds(log)).toEqual(['room.joined']);
    expect(r.get('#c')?.phase).toBe('joined');
  });

  test('a rejoin under another address form of the channel moves to that room', () => {
    const { r, log, joins, rooms: handles } = joinedRoom();
    const state = r.get('#c')!;
    r.leaving(state);
    r.wantAgain(state, '#c%irc.example.net', 'me');
    r.onPart('#c', 'me', '');
    expect(joins).toEqual(['#c']);
    expect(handles.has('#c')).toBe(false);
    expect(state.room).toBe(handles.get('#c%irc.example.net'));
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }]);
    expect(log.map((e) => [e.kind, e.args[0]])).toEqual([['room.joined', '#c%irc.example.net']]);
  });

  test('leave, join, leave: the last word is leave, reported once when the PART is answered', () => {
    const { r, log, joins, rooms: handles } = joinedRoom();
    const state = r.get('#c')!;
    r.leaving(state);
    r.wantAgain(state, '#c', 'me');
    r.leaving(state); // a second leave: the PART already out answers it, no new PART
    r.onPart('#c', 'me', 'bye');
    expect(joins).toEqual([]);
    expect(log).toEqual([{ kind: 'room.occupantLeft', args: ['#c', 'me', { self: true, status: 'bye', affiliation: 'admin' }] }]);
    expect(r.get('#c')).toBeUndefined();
    expect(handles.has('#c')).toBe(false);
  });

  test('kicked: reported as a self leave with the kicker and reason, and the room is let go', () => {
    const { r, log, rooms: handles } = joinedRoom();
    r.onKick('#c', 'other', 'me', '');
    r.onKick('#c', 'ME', 'op', '\x02out\x02');
    expect(log.map((e) => e.args)).toEqual([
      ['#c', 'other', { kickedBy: 'me', reason: undefined, affiliation: 'none' }],
      ['#c', 'ME', { kickedBy: 'op', reason: 'out', self: true, affiliation: 'admin' }],
    ]);
    expect(r.get('#c')).toBeUndefined();
    expect(handles.has('#c')).toBe(false);
  });

  test('a JOIN answered after our PART was sent announces nothing; the rejoin announces once', () => {
    const { r, log, joins } = rooms();
    r.want('#c', '#c', 'me');
    const state = r.get('#c')!;
    r.leaving(state); // PART sent while the JOIN was still out
    r.wantAgain(state, '#c', 'me', 'key');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }]);
    expect(log).toEqual([]);
    r.onPart('#c', 'me', '');
    expect(joins).toEqual(['#c key']);
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }]);
    expect(kinds(log)).toEqual(['room.joined']);
  });

  test('a refused JOIN before our PART waits for the PART\'s 442, which then starts the rejoin', () => {
    const { r, log, joins, rooms: handles } = rooms();
    r.want('#c', '#c', 'me');
    const state = r.get('#c')!;
    r.leaving(state);
    r.wantAgain(state, '#c', 'me');
    expect(r.failed('#c', joinError('banned_from_channel', undefined, '#c')!)).toBe(true);
    expect(log).toEqual([]);
    expect(r.notOnChannel('#c')).toBe(true);
    expect(joins).toEqual(['#c']);
    // The rejoin's own refusal reaches the user, and the room is let go.
    r.failed('#c', joinError('banned_from_channel', undefined, '#c')!);
    expect(kinds(log)).toEqual(['room.joinFailed']);
    expect(handles.has('#c')).toBe(false);
    expect(r.notOnChannel('#c')).toBe(false);
  });

  test('an error for a joined channel is a room error, not a join failure', () => {
    const { r, log } = joinedRoom();
    expect(r.failed('#C', new GatewayError('forbidden', '#c: cannot send'))).toBe(true);
    expect(log).toEqual([{ kind: 'room.error', args: ['#c', expect.objectContaining({ condition: 'forbidden' }), undefined] }]);
    expect(r.failed('#other', new GatewayError('forbidden', 'x'))).toBe(false);
  });

  test('a disconnect while parting keeps only a channel with a rejoin pending', () => {
    const { r } = rooms();
    for (const name of ['#a', '#b']) {
      r.want(name, name, 'me');
      r.onJoin(name, 'me');
      r.onNames(name, [{ nick: 'me', modes: [] }]);
      r.leaving(r.get(name)!);
    }
    r.wantAgain(r.get('#b')!, '#b', 'me');
    r.disconnected();
    expect(r.get('#a')).toBeUndefined();
    expect(r.get('#b')).toMatchObject({ phase: 'joining', parting: 0 });
  });
});
