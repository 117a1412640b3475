import type { Client } from 'irc-framework';
import { ChatHistory } from '../../../../adapters/irc/chathistory';

/** irc-framework's network state as ChatHistory reads it, and the caps it was asked to request. */
function client(caps: string[], options: Record<string, unknown> = {}) {
  const requested: string[] = [];
  const c = {
    network: { cap: { isEnabled: (name: string) => caps.includes(name) }, options },
    requestCap: (more: string[]) => requested.push(...more),
  };
  return { client: c as unknown as Client, requested };
}

function history(lines = 50) {
  const sent: string[] = [];
  const h = new ChatHistory({ lines, lower: (n) => n.toLowerCase(), send: (line) => sent.push(line) });
  return { h, sent };
}

const T0 = Date.parse('2024-01-01T00:00:00.000Z');

describe('IRCv3 chathistory backfill', () => {
  test('the capability is asked for only when history is wanted', () => {
    const on = client([]);
    history(50).h.prepare(on.client);
    expect(on.requested).toEqual(['draft/chathistory', 'chathistory']);
    const off = client([]);
    history(0).h.prepare(off.client);
    expect(off.requested).toEqual([]);
  });

  test('nothing is asked without the capability and batch', () => {
    const { h, sent } = history();
    h.joined(client(['batch']).client, '#a');
    h.joined(client(['draft/chathistory']).client, '#a');
    h.joined(undefined, '#a');
    expect(sent).toEqual([]);
  });

  test('the limit is the lower of the option and the server\'s CHATHISTORY; 0 there means no limit', () => {
    const caps = ['batch', 'draft/chathistory'];
    const { h, sent } = history(50);
    h.joined(client(caps, { CHATHISTORY: '20' }).client, '#a');
    h.joined(client(caps, { CHATHISTORY: '0' }).client, '#b');
    h.joined(client(['batch', 'chathistory']).client, '#c');
    expect(sent).toEqual(['CHATHISTORY LATEST #a * 20', 'CHATHISTORY LATEST #b * 50', 'CHATHISTORY LATEST #c * 50']);
  });

  test('a re-join starts after the newest line seen, by msgid, or by time where msgids are not taken', () => {
    const caps = ['batch', 'draft/chathistory'];
    const { h, sent } = history(10);
    h.seen('#A', 'm1', T0);
    h.seen('#a', 'm2', T0 + 1000);
    // An older replayed line does not move the start back.
    expect(h.replay('#a', 'm0', T0 - 1000)).toBe(true);
    h.joined(client(caps).client, '#a');
    h.joined(client(caps, { MSGREFTYPES: 'timestamp' }).client, '#a');
    h.seen('#b', undefined, T0);
    h.joined(client(caps, { MSGREFTYPES: 'msgid' }).client, '#b');
    expect(sent).toEqual([
      'CHATHISTORY LATEST #a msgid=m2 10',
      `CHATHISTORY LATEST #a timestamp=${new Date(T0 + 1000).toISOString()} 10`,
      'CHATHISTORY LATEST #b * 10',
    ]);
  });

  test('lines relayed live while the replay is on its way are left out of it, until the batch is over', () => {
    const { h } = history();
    h.joined(client(['batch', 'draft/chathistory']).client, '#a');
    h.seen('#a', 'live1', T0 + 5000);
    expect(h.replay('#a', 'old', T0)).toBe(true);
    expect(h.replay('#a', 'live1', T0 + 5000)).toBe(false);
    // Later than the first live line: it was relayed live too.
    expect(h.replay('#a', 'unseen-id', T0 + 6000)).toBe(false);
    h.done('#A');
    expect(h.replay('#a', 'live1', T0 + 5000)).toBe(true);
  });
});
