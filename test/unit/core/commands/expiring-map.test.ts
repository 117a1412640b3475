import { ExpiringMap } from '../../../../src/core/commands/expiring-map';

describe('ExpiringMap', () => {
  test('entries expire after their time to live; a write refreshes it', () => {
    let now = 1000;
    const map = new ExpiringMap<string, number>(10, 100, () => now);
    map.set('a', 1);
    map.set('b', 2);
    now = 1050;
    map.set('a', 3);
    now = 1120;
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(3);
    expect(map.size).toBe(1);
    now = 1200;
    expect(map.has('a')).toBe(false);
    expect(map.size).toBe(0);
  });

  test('never holds more than its bound: the oldest entry makes room', () => {
    const map = new ExpiringMap<number, number>(3, 60000);
    for (let i = 0; i < 100; i++) map.set(i, i);
    expect(map.size).toBe(3);
    expect([map.get(97), map.get(98), map.get(99)]).toEqual([97, 98, 99]);
    expect(map.get(96)).toBeUndefined();
  });
});
