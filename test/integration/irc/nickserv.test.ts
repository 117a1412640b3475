/**
 * NickServ IDENTIFY without SASL (ngircd has no SASL): the password goes only to a NickServ the
 * server shows to be a network service. ngircd is real in every case; the services are linked to
 * it as a server, as Anope or Atheme would be (services-link.ts).
 */
import { Ngircd, ngircdAvailable } from '../../harness/ngircd';
import { RawIrcClient } from './raw-client';
import { NgircdWithServices } from './services-link';
import { fixedServerOptions, login, testAdapter } from './helpers';

const run = ngircdAvailable() ? describe : describe.skip;
const notSent = (m: { from: string; body: string }) => m.from === '127.0.0.1' && /password was not sent/.test(m.body);

run('NickServ IDENTIFY against ngircd', () => {
  test('an ordinary user holding the nick NickServ receives nothing; the user is told why, once', async () => {
    const ircd = await Ngircd.start();
    const impostor = await RawIrcClient.connect(ircd.port, 'NickServ');
    try {
      const adapter = testAdapter(fixedServerOptions(ircd.port));
      const tom = await login(adapter, 'tom', { password: 'hunter2' });
      const [warning] = await tom.waitFor('message', notSent);
      expect((warning as { body: string }).body).toMatch(/NickServ on 127\.0\.0\.1 is not a network service/);
      // Lines from one connection arrive in order: once this one is in, nothing was sent before it.
      await tom.session.sendMessage({ to: 'NickServ', body: 'marker', receiptRequested: false, fromResource: 'tom@example.org/r' });
      await impostor.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'marker');
      expect(impostor.lines.filter((l) => l.nick === 'tom' && l.command !== 'NOTICE').map((l) => l.raw)).toEqual([expect.stringMatching(/PRIVMSG NickServ :marker$/)]);
      expect(impostor.lines.some((l) => l.raw.includes('hunter2'))).toBe(false);
      // After a reconnect the check runs again, without telling the user a second time.
      await tom.session.reconnect!();
      await tom.waitFor('status', () => tom.log.filter((e) => e.kind === 'status' && (e.args[0] as { online: boolean }).online).length >= 2);
      await tom.session.sendMessage({ to: 'NickServ', body: 'marker2', receiptRequested: false, fromResource: 'tom@example.org/r' });
      await impostor.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === 'marker2');
      expect(impostor.lines.some((l) => l.raw.includes('hunter2'))).toBe(false);
      expect(tom.log.filter((e) => e.kind === 'message' && notSent(e.args[0] as never))).toHaveLength(1);
      await tom.session.logout();
    } finally {
      impostor.close();
      await ircd.stop();
    }
  });

  test('with services linked (ngircd ServiceMask), IDENTIFY reaches NickServ and the user hears no warning', async () => {
    const ircd = await NgircdWithServices.start({ serviceMask: true });
    try {
      const adapter = testAdapter(fixedServerOptions(ircd.port));
      const tom = await login(adapter, 'tom', { password: 'hunter2' });
      await ircd.waitFor((l) => l === ':tom PRIVMSG NickServ :IDENTIFY hunter2');
      expect(tom.log.some((e) => e.kind === 'message' && notSent(e.args[0] as never))).toBe(false);
      await tom.session.logout();
    } finally {
      await ircd.stop();
    }
  });

  test('NickServ from a server without the service mark: only when the operator lists that server', async () => {
    const ircd = await NgircdWithServices.start({ serviceMask: false });
    try {
      const plain = await login(testAdapter(fixedServerOptions(ircd.port)), 'ann', { password: 'secret-a' });
      await plain.waitFor('message', notSent);
      await plain.session.logout();

      const trusting = testAdapter(fixedServerOptions(ircd.port, { nickserv: { trustedServers: ['services.test.local'] } }));
      const bea = await login(trusting, 'bea', { password: 'secret-b' });
      await ircd.waitFor((l) => l === ':bea PRIVMSG NickServ :IDENTIFY secret-b');
      expect(ircd.received.some((l) => l.includes('secret-a'))).toBe(false);
      await bea.session.logout();
    } finally {
      await ircd.stop();
    }
  });

  test('with no NickServ online, the user is told so, and the WHOIS miss is not shown as an error', async () => {
    const ircd = await Ngircd.start();
    try {
      const uma = await login(testAdapter(fixedServerOptions(ircd.port)), 'uma', { password: 'pw' });
      const [warning] = await uma.waitFor('message', notSent);
      expect((warning as { body: string }).body).toMatch(/no NickServ is online on 127\.0\.0\.1/);
      expect(uma.log.filter((e) => e.kind === 'message' && /No such nick/i.test((e.args[0] as { body: string }).body))).toEqual([]);
      await uma.session.logout();
    } finally {
      await ircd.stop();
    }
  });
});
