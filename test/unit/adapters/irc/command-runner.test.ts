import { CommandRunner } from '../../../../adapters/irc/command-runner';

function runner(online = true) {
  const sent: string[][] = [];
  const r = new CommandRunner({ online: () => online, send: (lines) => { sent.push(lines); return true; }, lower: (s) => s.toLowerCase() });
  return { r, sent };
}

const tokenOf = (lines: string[]) => lines[lines.length - 1].replace('PING :', '');

describe('IRC commands the user waits for', () => {
  test('each command is followed by a PING; its PONG settles it', async () => {
    const { r, sent } = runner();
    const done = r.run(['KICK #c bob'], '#C', 'bob');
    await Promise.resolve();
    expect(sent[0][0]).toBe('KICK #c bob');
    expect(sent[0][1]).toMatch(/^PING :xgw\d+$/);
    expect(r.pong('other')).toBe(false);
    expect(r.pong(tokenOf(sent[0]))).toBe(true);
    await expect(done).resolves.toBeUndefined();
  });

  test('a refusal about its channel or nick, or a bare numeric, rejects it in the server\'s words; others are left alone', async () => {
    const { r, sent } = runner();
    const kick = r.run(['KICK #c bob'], '#c', 'bob');
    await Promise.resolve();
    expect(r.refused({ error: 'chanop_privs_needed', channel: '#other', reason: 'no' })).toBe(false);
    expect(r.refused({ error: 'cannot_send_to_channel', channel: '#c', reason: 'no' })).toBe(false);
    expect(r.refused({ error: 'chanop_privs_needed', channel: '#C', reason: 'You\'re not channel operator' })).toBe(true);
    await expect(kick).rejects.toMatchObject({ condition: 'forbidden', message: '#C: You\'re not channel operator' });
    // irc-framework puts 441's nick where the channel should be.
    const op = r.run(['MODE #c +o ghost'], '#c', 'ghost');
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.refused({ error: 'user_not_in_channel', channel: 'ghost', nick: 'me', reason: 'They aren\'t on that channel' })).toBe(true);
    await expect(op).rejects.toMatchObject({ condition: 'item-not-found' });
    const mode = r.run(['MODE #c +Z'], '#c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.refused({ error: '472', reason: 'Z is unknown mode char to me' })).toBe(true);
    await expect(mode).rejects.toMatchObject({ condition: 'not-acceptable', message: 'Z is unknown mode char to me' });
    expect(sent).toHaveLength(3);
  });

  test('commands run one at a time; offline or a lost connection is an error', async () => {
    const { r, sent } = runner();
    const a = r.run(['MODE #c +m'], '#c');
    const b = r.run(['MODE #c +i'], '#c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(1);
    r.lost();
    await expect(a).rejects.toMatchObject({ condition: 'remote-server-timeout' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(2);
    r.pong(tokenOf(sent[1]));
    await expect(b).resolves.toBeUndefined();
    await expect(runner(false).r.run(['MODE #c +m'], '#c')).rejects.toMatchObject({ condition: 'remote-server-timeout' });
    await expect(r.run([], '#c')).resolves.toBeUndefined();
  });
});
