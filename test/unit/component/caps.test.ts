import { capsVer } from '../../../src/component/caps';

describe('XEP-0115 verification string', () => {
  test('the simple example of XEP-0115 section 5.2', () => {
    const ver = capsVer([{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }], [
      'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc', 'http://jabber.org/protocol/caps',
    ]);
    expect(ver).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  test('order and repetition of features do not change it', () => {
    const a = capsVer([{ category: 'client', type: 'pc' }], ['b', 'a', 'a']);
    expect(capsVer([{ category: 'client', type: 'pc' }], ['a', 'b'])).toBe(a);
  });
});
