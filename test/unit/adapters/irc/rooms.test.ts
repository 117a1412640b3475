import { ChannelDirectory } from '../../../../adapters/irc/channel-directory';
import { joinError, roleAndAffiliation, Rooms } from '../../../../adapters/irc/rooms';
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
  function rooms(directory = new ChannelDirectory(), me = 'me') {
    const recorder = recordingEvents();
    let self = me;
    const joins: string[] = [];
    const r = new Rooms({
      events: recorder.events.room,
      directory,
      server: 'irc.example.net',
      lower: (s) => s.toLowerCase(),
      selfNick: () => self,
      contactLocalpart: (n) => n,
      roomLocalpart: (c) => c,
      sendJoin: (state) => joins.push(state.key ? `${state.name} ${state.key}` : state.name),
    });
    return { r, joins, ...recorder, rename: (n: string) => { self = n; } };
  }

  test('joined is emitted once NAMES completes, with the topic, then changes flow', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onTopic('#c', '\x02hi\x02');
    expect(log).toEqual([]);
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'Op', modes: ['o'] }]);
    expect(log[0].kind).toBe('room.joined');
    expect(log[0].args[2]).toEqual([{ nick: 'Op', role: 'moderator', affiliation: 'admin', jid: 'Op' }]);
    expect(log[0].args[3]).toBe('*hi*');
    r.onMode('#c', [{ mode: '-o', param: 'op' }]);
    expect(log[1]).toMatchObject({ kind: 'room.occupantChanged', args: ['#c', { nick: 'Op', role: 'participant' }] });
  });

  test('after a disconnect, the re-join announces the room again', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }]);
    r.disconnected();
    expect(r.get('#C')?.phase).toBe('joining');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'new', modes: [] }]);
    expect(log.map((e) => e.kind)).toEqual(['room.joined', 'room.joined']);
    expect(log[1].args[2]).toEqual([{ nick: 'new', role: 'participant', affiliation: 'none', jid: 'new' }]);
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

  test('a member leaving is reported with the affiliation it had', () => {
    const { r, log } = rooms();
    r.want('#c', '#c', 'me');
    r.onJoin('#c', 'me');
    r.onNames('#c', [{ nick: 'me', modes: [] }, { nick: 'Op', modes: ['o'] }, { nick: 'v', modes: ['v'] }]);
    r.onPart('#c', 'Op', 'bye');
    r.onQuit('V', 'gone');
    expect(log.slice(1).map((e) => e.args)).toEqual([
      ['#c', 'Op', { status: 'bye', affiliation: 'admin' }],
      ['#c', 'V', { status: 'gone', affiliation: 'member' }],
    ]);
  });

  test('users in the same channel share one nick table and keep their own views', () => {
    const directory = new ChannelDirectory();
    const a = rooms(directory, 'ann');
    const b = rooms(directory, 'bob');
    for (const { r } of [a, b]) r.want('#c', '#c', 'x');
    a.r.onJoin('#c', 'ann');
    a.r.onNames('#c', [{ nick: 'ann', modes: [] }, { nick: 'bob', modes: [] }, { nick: 'Op', modes: ['o'] }]);
    b.r.onJoin('#c', 'bob');
    b.r.onNames('#c', [{ nick: 'ann', modes: [] }, { nick: 'bob', modes: [] }, { nick: 'Op', modes: ['o'] }]);
    const table = a.r.get('#c')!.members.slots;
    expect(b.r.get('#c')!.members.slots).toBe(table);
    expect(table.size).toBe(3);
    // Only ann's connection has seen the de-op and the part so far: bob still sees the old state.
    a.r.onMode('#c', [{ mode: '-o', param: 'op' }]);
    a.r.onPart('#c', 'Op', '');
    expect(a.r.get('#c')!.members.has('op')).toBe(false);
    expect(b.r.get('#c')!.members.get('op')).toEqual({ nick: 'Op', modes: 'o' });
    expect(table.size).toBe(3);
    b.r.onPart('#c', 'Op', '');
    expect(table.size).toBe(2);
    // A nick change moves the member in each view; the old slot goes once nobody holds it.
    a.r.onNick('bob', 'robert');
    expect(table.find('bob')).toBeDefined();
    b.r.onNick('bob', 'robert');
    expect(table.find('bob')).toBeUndefined();
    expect([...b.r.get('#c')!.members.values()].map((m) => m.nick).sort()).toEqual(['ann', 'robert']);
    a.r.dispose();
    expect(directory.size).toBe(1);
    b.r.dispose();
    expect(directory.size).toBe(0);
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

  test('leave, join, leave: the last word is leave, reported once when the PART is answered', () => {
    const { r, log, joins } = joinedRoom();
    const state = r.get('#c')!;
    r.leaving(state);
    r.wantAgain(state, '#c', 'me');
    r.leaving(state); // a second leave: the PART already out answers it, no new PART
    r.onPart('#c', 'me', 'bye');
    expect(joins).toEqual([]);
    expect(log).toEqual([{ kind: 'room.occupantLeft', args: ['#c', 'me', { self: true, status: 'bye', affiliation: 'admin' }] }]);
    expect(r.get('#c')).toBeUndefined();
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
    const { r, log, joins } = rooms();
    r.want('#c', '#c', 'me');
    const state = r.get('#c')!;
    r.leaving(state);
    r.wantAgain(state, '#c', 'me');
    expect(r.failed('#c', joinError('banned_from_channel', undefined, '#c')!)).toBe(true);
    expect(log).toEqual([]);
    expect(r.notOnChannel('#c')).toBe(true);
    expect(joins).toEqual(['#c']);
    // The rejoin's own refusal reaches the user.
    r.failed('#c', joinError('banned_from_channel', undefined, '#c')!);
    expect(kinds(log)).toEqual(['room.joinFailed']);
    expect(r.notOnChannel('#c')).toBe(false);
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
