import type { Occupant } from '../../../src/core/adapter';
import { OccupantDirectory, OccupantSlots, OccupantView } from '../../../src/core/occupants';

const lower = (nick: string) => nick.toLowerCase();
const plain = (nick: string, extra: Partial<Occupant> = {}): Occupant => ({ nick, role: 'participant', affiliation: 'none', ...extra });

describe('OccupantView over shared OccupantSlots', () => {
  test('set, change, presence and delete', () => {
    const view = new OccupantView(new OccupantSlots('t'), lower);
    view.set(plain('Alice', { affiliation: 'member', marks: 16 }));
    expect(view.get('ALICE')).toEqual({ nick: 'Alice', role: 'participant', affiliation: 'member', marks: 16 });
    expect(view.set(plain('alice', { role: 'moderator', affiliation: 'admin', marks: 20 }))).toEqual({ nick: 'alice', role: 'moderator', affiliation: 'admin', marks: 20 });
    expect(view.set({ ...view.get('alice')!, show: 'away', status: 'lunch' })).toEqual({ nick: 'alice', role: 'moderator', affiliation: 'admin', marks: 20, show: 'away', status: 'lunch' });
    expect(view.get('nobody')).toBeUndefined();
    expect(view.size).toBe(1);
    expect(view.delete('Alice')).toEqual({ nick: 'alice', role: 'moderator', affiliation: 'admin', marks: 20, show: 'away', status: 'lunch' });
    expect(view.delete('Alice')).toBeUndefined();
    expect(view.size).toBe(0);
    expect(view.has('alice')).toBe(false);
    expect(view.slots.size).toBe(0);
  });

  test('every role, affiliation and all eight marks bits survive the two bytes per slot', () => {
    const view = new OccupantView(new OccupantSlots('t'));
    const roles = ['none', 'visitor', 'participant', 'moderator'] as const;
    const affiliations = ['none', 'outcast', 'member', 'admin', 'owner'] as const;
    for (const role of roles) {
      for (const affiliation of affiliations) {
        for (const marks of [1, 0x80, 0xff]) {
          const o: Occupant = { nick: `${role}-${affiliation}-${marks}`, role, affiliation, marks };
          view.set(o);
          expect(view.get(o.nick)).toEqual(o);
        }
      }
    }
    // Marks beyond eight bits are cut off, not spilled into other fields.
    expect(view.set(plain('wide', { marks: 0x1ff }))).toEqual(plain('wide', { marks: 0xff }));
  });

  test('a slot stays while any view holds it and is reused after', () => {
    const slots = new OccupantSlots('t');
    const a = new OccupantView(slots);
    const b = new OccupantView(slots);
    a.set(plain('x'));
    b.set(plain('x'));
    a.delete('x');
    expect(slots.find('x')).toBeDefined();
    expect(b.has('x')).toBe(true);
    expect(a.has('x')).toBe(false);
    b.delete('x');
    expect(slots.size).toBe(0);
    a.set(plain('y'));
    expect(b.has('y')).toBe(false); // the reused slot is not present in b
    expect(a.has('y')).toBe(true);
  });

  test('views over one table stay independent: each changes only with its own user\'s reports', () => {
    const slots = new OccupantSlots('t');
    const ann = new OccupantView(slots, lower);
    const bob = new OccupantView(slots, lower);
    const list = [plain('ann'), plain('bob'), plain('Op', { role: 'moderator', affiliation: 'admin', marks: 4 })];
    ann.replaceAll(list);
    bob.replaceAll(list);
    expect(slots.size).toBe(3);
    ann.set(plain('Op'));
    ann.delete('op');
    expect(ann.has('op')).toBe(false);
    expect(bob.get('op')).toEqual(list[2]);
    expect(slots.size).toBe(3);
    bob.delete('op');
    expect(slots.size).toBe(2);
    // A nick change moves the occupant in each view; the old slot goes once nobody holds it.
    ann.rename('bob', 'robert');
    expect(slots.find('bob')).toBeDefined();
    expect(bob.has('bob')).toBe(true);
    bob.rename('bob', 'robert');
    expect(slots.find('bob')).toBeUndefined();
    expect([...bob.values()].map((o) => o.nick).sort()).toEqual(['ann', 'robert']);
    ann.clear();
    expect(slots.size).toBe(2);
    bob.clear();
    expect(slots.size).toBe(0);
  });

  test('a complete list replaces the occupants and keeps the show/status of those who stay, unless given', () => {
    const slots = new OccupantSlots('t');
    const view = new OccupantView(slots);
    view.set(plain('a', { show: 'away', status: 'brb' }));
    view.set(plain('b', { show: 'away', status: 'gone' }));
    view.set(plain('d', { show: 'dnd' }));
    view.replaceAll([
      plain('a', { role: 'moderator', affiliation: 'admin', marks: 4 }),
      plain('c'),
      plain('c'),
      plain('d', { show: 'xa', status: 'later' }),
    ]);
    expect([...view.values()]).toEqual([
      { nick: 'a', role: 'moderator', affiliation: 'admin', marks: 4, show: 'away', status: 'brb' },
      plain('d', { show: 'xa', status: 'later' }),
      plain('c'),
    ]);
    expect(view.size).toBe(3);
    expect(slots.size).toBe(3);
    // b left the list: coming back, it has no stale away state.
    view.set(plain('b'));
    expect(view.get('b')).toEqual(plain('b'));
    view.clear();
    expect(view.size).toBe(0);
    expect(slots.size).toBe(0);
  });

  test('rename keeps role, affiliation, marks and presence; a case-only change updates the display nick', () => {
    const slots = new OccupantSlots('t');
    const view = new OccupantView(slots, lower);
    view.set(plain('bob', { role: 'moderator', affiliation: 'member', marks: 8, show: 'away', status: 'out' }));
    expect(view.rename('bob', 'Bobby')).toEqual({ nick: 'Bobby', role: 'moderator', affiliation: 'member', marks: 8, show: 'away', status: 'out' });
    expect(view.has('bob')).toBe(false);
    expect(view.rename('bobby', 'BOBBY')).toMatchObject({ nick: 'BOBBY', marks: 8 });
    expect(view.get('bobby')!.nick).toBe('BOBBY');
    expect(view.rename('nobody', 'x')).toBeUndefined();
    expect(slots.size).toBe(1);
    view.delete('bobby');
    expect(slots.size).toBe(0);
  });

  test('renaming onto a nick the view already has leaves one occupant and no leaked slot', () => {
    const slots = new OccupantSlots('t');
    const view = new OccupantView(slots);
    view.set(plain('a', { marks: 1 }));
    view.set(plain('b'));
    expect(view.rename('a', 'b')).toEqual(plain('b', { marks: 1 }));
    expect(view.size).toBe(1);
    expect(slots.size).toBe(1);
    view.delete('b');
    expect(slots.size).toBe(0);
  });

  test('grows past its first allocation', () => {
    const slots = new OccupantSlots('t');
    const view = new OccupantView(slots);
    for (let i = 0; i < 1000; i++) view.set(plain(`n${i}`));
    expect(view.size).toBe(1000);
    expect(view.get('n999')).toEqual(plain('n999'));
    expect([...view.values()]).toHaveLength(1000);
  });
});

describe('OccupantDirectory', () => {
  test('one table per room while a view is open on it', () => {
    const directory = new OccupantDirectory();
    const a = directory.open('#c%irc.example.net');
    const b = directory.open('#c%irc.example.net');
    const other = directory.open('#d%irc.example.net');
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(directory.size).toBe(2);
    directory.close(a);
    expect(directory.size).toBe(2);
    directory.close(b);
    expect(directory.size).toBe(1);
    expect(directory.open('#c%irc.example.net')).not.toBe(a);
  });
});
