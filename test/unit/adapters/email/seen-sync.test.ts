import { uidSet } from '../../../../adapters/email/seen-sync';

describe('uidSet', () => {
  test('collapses runs, sorts and drops duplicates', () => {
    expect(uidSet([9, 3, 4, 5, 6, 7, 5, 12, 11])).toBe('3:7,9,11:12');
    expect(uidSet([42])).toBe('42');
    expect(uidSet([])).toBe('');
  });
});
