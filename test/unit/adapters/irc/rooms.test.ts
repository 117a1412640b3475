import { joinError, roleAndAffiliation, Rooms } from '../../../../adapters/irc/rooms';
import { recordingEvents } from '../../../harness/recording-events';

describe('channel modes -> MUC roles', () => {
  test('op, halfop, voice and nothing', () => {
    expect(roleAndAffiliation(new Set(['o']), false)).toEqual({ role: 'moderator', affiliation: 'admin' });
    expect(roleAndAffiliation(new Set(['h']), false)).toEqual({ role: 'moderator', affiliation: 'member' });
    expect(roleAndAffiliation(new Set(['v']), false)).toEqual({ role: 'participant', affiliation: 'member' });
    expect(roleAndAffiliation(new Set(), false)).toEqual({ role: 'participant', affiliation: 'none' });
    expect(roleAndAffiliation(new Set(), true)).toEqual({ role: 'visitor', affiliation: 'none' });
    expect(roleAndAffiliation(new Set(['q']), false)).toEqual({ role: 'moderator', affiliation: 'owner' });
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
  function rooms() {
    const recorder = recordingEvents();
    let self = 'me';
    const r = new Rooms({
      events: recorder.events.room,
      lower: (s) => s.toLowerCase(),
      selfNick: () => self,
      contactLocalpart: (n) => n,
      roomLocalpart: (c) => c,
    });
    return { r, ...recorder, rename: (n: string) => { self = n; } };
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
});
