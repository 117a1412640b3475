/**
 * Password handling with SASL. ngircd offers no SASL, so it is exercised against a small scripted
 * IRC server on loopback (scripted-server.ts); NickServ IDENTIFY is in nickserv.test.ts.
 */
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
