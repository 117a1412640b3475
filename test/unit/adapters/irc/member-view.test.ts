import { NickSlots } from '../../../../adapters/irc/channel-directory';
import { MemberView } from '../../../../adapters/irc/member-view';

describe('MemberView over shared NickSlots', () => {
  test('set, modes, away and delete', () => {
    const view = new MemberView(new NickSlots('t'));
    view.set('alice', 'Alice', ['v']);
    expect(view.get('alice')).toEqual({ nick: 'Alice', modes: 'v' });
    expect(view.setMode('alice', 'o', true)).toEqual({ nick: 'Alice', modes: 'ov' });
    expect(view.setAway('alice', 'lunch')).toEqual({ nick: 'Alice', modes: 'ov', away: 'lunch' });
    expect(view.setAway('alice', 'lunch')).toBeUndefined(); // no change, nothing to report
    expect(view.setMode('nobody', 'o', true)).toBeUndefined();
    expect(view.size).toBe(1);
    expect(view.delete('alice')).toEqual({ nick: 'Alice', modes: 'ov', away: 'lunch' });
    expect(view.size).toBe(0);
    expect(view.get('alice')).toBeUndefined();
    expect(view.slots.size).toBe(0);
  });

  test('a slot stays while any view holds it and is reused after', () => {
    const slots = new NickSlots('t');
    const a = new MemberView(slots);
    const b = new MemberView(slots);
    a.set('x', 'x');
    b.set('x', 'x');
    a.delete('x');
    expect(slots.find('x')).toBeDefined();
    expect(b.has('x')).toBe(true);
    expect(a.has('x')).toBe(false);
    b.delete('x');
    expect(slots.size).toBe(0);
    a.set('y', 'y');
    expect(b.has('y')).toBe(false); // the reused slot is not present in b
    expect(a.has('y')).toBe(true);
  });

  test('a NAMES list replaces members and keeps the away state of those who stay', () => {
    const slots = new NickSlots('t');
    const view = new MemberView(slots);
    view.set('a', 'a');
    view.set('b', 'b');
    view.setAway('a', 'brb');
    view.replaceAll([{ key: 'a', nick: 'a', modes: ['o'] }, { key: 'c', nick: 'c', modes: [] }, { key: 'c', nick: 'c', modes: [] }]);
    expect([...view.values()]).toEqual([{ nick: 'a', modes: 'o', away: 'brb' }, { nick: 'c', modes: '' }]);
    expect(view.size).toBe(2);
    expect(slots.size).toBe(2);
    view.clear();
    expect(slots.size).toBe(0);
  });

  test('rename keeps modes and away; a case-only change updates the display nick', () => {
    const slots = new NickSlots('t');
    const view = new MemberView(slots);
    view.set('bob', 'bob', ['h']);
    view.setAway('bob', 'out');
    expect(view.rename('bob', 'bobby', 'Bobby')).toEqual({ nick: 'Bobby', modes: 'h', away: 'out' });
    expect(view.has('bob')).toBe(false);
    expect(view.rename('bobby', 'bobby', 'BOBBY')).toEqual({ nick: 'BOBBY', modes: 'h', away: 'out' });
    expect(slots.size).toBe(1);
    view.delete('bobby');
    expect(slots.size).toBe(0);
  });

  test('grows past its first allocation', () => {
    const slots = new NickSlots('t');
    const view = new MemberView(slots);
    for (let i = 0; i < 1000; i++) view.set(`n${i}`, `n${i}`);
    expect(view.size).toBe(1000);
    expect(view.get('n999')).toEqual({ nick: 'n999', modes: '' });
  });
});
