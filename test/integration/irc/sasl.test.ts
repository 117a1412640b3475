/**
 * Password handling. ngircd offers no SASL, so SASL is exercised against a small scripted IRC
 * server on loopback (scripted-server.ts); NickServ IDENTIFY against ngircd.
 */
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { ScriptedIrcServer } from './scripted-server';
import { fixedServerOptions, login, testAdapter } from './helpers';

describe('IRC passwords: SASL PLAIN', () => {
  const servers: ScriptedIrcServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  test('a wrong password refused by SASL fails registration with not-authorized', async () => {
    const scripted = await ScriptedIrcServer.start({ caps: ['sasl=PLAIN'], password: 'right' });
    servers.push(scripted);
    const adapter = testAdapter(fixedServerOptions(scripted.port));
    await expect(login(adapter, 'sam', { password: 'wrong' })).rejects.toMatchObject({ condition: 'not-authorized' });
  });

  test('the right password logs in with SASL and is not sent to NickServ', async () => {
    const scripted = await ScriptedIrcServer.start({ caps: ['sasl=PLAIN'], password: 'right' });
    servers.push(scripted);
    const adapter = testAdapter(fixedServerOptions(scripted.port));
    const s = await login(adapter, 'sam', { password: 'right' });
    await s.session.logout();
    expect(scripted.received).toContain(`AUTHENTICATE ${Buffer.from('sam\0sam\0right').toString('base64')}`);
    expect(scripted.received.some((l) => l.includes('IDENTIFY'))).toBe(false);
  });

  test('a server that never answers fails registration with remote-server-timeout', async () => {
    const scripted = await ScriptedIrcServer.start({ silent: true });
    servers.push(scripted);
    const adapter = testAdapter(fixedServerOptions(scripted.port, { connectTimeoutMs: 500 }));
    await expect(login(adapter, 'sam')).rejects.toMatchObject({ condition: 'remote-server-timeout' });
  });
});

const run = ngircdAvailable() ? describe : describe.skip;

run('IRC passwords: NickServ when the server has no SASL', () => {
  let ircd: Ngircd;
  beforeAll(async () => { ircd = await Ngircd.start(); });
  afterAll(async () => { await ircd?.stop(); });

  test('the password goes to NickServ as IDENTIFY after registration', async () => {
    const nickserv = await RawIrcClient.connect(ircd.port, 'NickServ');
    const adapter = testAdapter(fixedServerOptions(ircd.port));
    const s = await login(adapter, 'tom', { password: 'hunter2' });
    const identify = await nickserv.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'tom');
    expect(identify.params[1]).toBe('IDENTIFY hunter2');
    await s.session.logout();
    nickserv.close();
  });
});
