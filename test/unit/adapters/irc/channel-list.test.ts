import { biggest, ChannelList, itemName } from '../../../../adapters/irc/channel-list';

function list(options = { max: 3, ttlMs: 1000, timeoutMs: 60000 }) {
  const sent: string[] = [];
  const l = new ChannelList({ online: () => true, send: (line) => { sent.push(line); return true; }, roomLocalpart: (c) => `${c}%srv` }, options);
  return { l, sent };
}

const ch = (channel: string, num_users: number, topic = '') => ({ channel, num_users, topic });

describe('the channel list (LIST)', () => {
  test('names say the size and the start of the topic, without formatting', () => {
    expect(itemName(ch('#a', 1))).toBe('#a (1 user)');
    expect(itemName(ch('#a', 12, '\x02Big\x02   news'))).toBe('#a (12 users): Big news');
    expect(Array.from(itemName(ch('#a', 2, 'x'.repeat(500))))).toHaveLength(120);
  });

  test('biggest first, then by name', () => {
    expect(biggest([ch('#b', 2), ch('#a', 2), ch('#c', 9)], 2).map((c) => c.channel)).toEqual(['#c', '#a']);
  });

  test('one LIST for everyone asking meanwhile; the biggest are kept; cached until the TTL', async () => {
    const { l, sent } = list();
    const a = l.list();
    const b = l.list();
    expect(sent).toEqual(['LIST']);
    l.listed([ch('#one', 1), ch('#five', 5), ch('bad name', 99), ch('#four', 4)]);
    l.listed([ch('#two', 2), ch('#nine', 9)]);
    l.ended();
    const items = await a;
    expect(await b).toBe(items);
    expect(items).toEqual([
      { localpart: '#nine%srv', name: '#nine (9 users)' },
      { localpart: '#five%srv', name: '#five (5 users)' },
      { localpart: '#four%srv', name: '#four (4 users)' },
    ]);
    expect(await l.list()).toBe(items);
    expect(sent).toHaveLength(1);
    const later = l.list(Date.now() + 2000);
    expect(sent).toHaveLength(2);
    l.ended();
    expect(await later).toEqual([]);
  });

  test('a lost connection fails the LIST in flight', async () => {
    const { l } = list();
    const pending = l.list();
    l.lost();
    await expect(pending).rejects.toMatchObject({ condition: 'remote-server-timeout' });
  });
});
