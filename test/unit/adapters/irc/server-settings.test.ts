import { randomBytes } from 'node:crypto';
import { ircOptionsSchema } from '../../../../adapters/irc/options';
import { configureFields, configureNode } from '../../../../adapters/irc/server-commands';
import { SERVERS_KEY, ServerSettings, type SecretBox } from '../../../../adapters/irc/server-settings';
import { decryptString, encryptString } from '../../../../src/store/crypto';
import { MemoryKeyValue } from '../../../harness/memory-kv';

/** The core's own AES-GCM sealing, as the gateway would hand it to the adapter. */
function box(key = randomBytes(32)): SecretBox {
  return { seal: (plain) => encryptString(key, plain), open: (sealed) => decryptString(key, sealed) };
}

const fixed = ircOptionsSchema.parse({ server: { host: 'irc.home.net' } });
const fixedAndOthers = ircOptionsSchema.parse({ server: { host: 'irc.home.net' }, allowedServers: ['irc.other.net', 'IRC.Third.net'] });
const open = ircOptionsSchema.parse({});

describe('IRC settings per server', () => {
  test('which servers a user may use: the fixed one alone, the fixed one plus the allowed list, or any', async () => {
    const state = new MemoryKeyValue();
    const alone = await ServerSettings.load({ nick: 'ann' }, fixed, state, undefined, false);
    expect(alone.allowedList()).toEqual(['irc.home.net']);
    expect(() => alone.checkAllowed('irc.other.net')).toThrow(expect.objectContaining({
      condition: 'not-allowed', message: 'This gateway connects you to irc.home.net only; irc.other.net is not one of them.',
    }));
    const listed = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, undefined, false);
    expect(listed.allowedList()).toEqual(['irc.home.net', 'irc.other.net', 'irc.third.net']);
    expect(() => listed.checkAllowed('irc.third.net')).not.toThrow();
    expect(() => listed.checkAllowed('irc.evil.net')).toThrow(/irc\.home\.net, irc\.other\.net, irc\.third\.net only/);
    const any = await ServerSettings.load({ nick: 'ann', server: 'irc.libera.chat' }, open, state, undefined, false);
    expect(any.first).toBe('irc.libera.chat');
    expect(any.allowedList()).toBeUndefined();
    expect(() => any.checkAllowed('irc.oftc.net')).not.toThrow();
  });

  test('the registration is the first server whole and the other servers\' nick, user name and real name', async () => {
    const registration = { nick: 'ann', username: 'annie', realname: 'Ann A', password: 'first-secret', channels: '#home', server: 'irc.libera.chat', port: '7000', tls: 'true' };
    const settings = await ServerSettings.load(registration, open, new MemoryKeyValue(), undefined, false);
    expect(settings.settingsFor('irc.libera.chat')).toMatchObject({ host: 'irc.libera.chat', port: 7000, nick: 'ann', password: 'first-secret', channels: [{ name: '#home' }] });
    const other = settings.settingsFor('irc.oftc.net');
    expect(other).toMatchObject({ host: 'irc.oftc.net', port: 6697, tls: true, nick: 'ann', username: 'annie', realname: 'Ann A', channels: [] });
    expect(other.password).toBeUndefined();
  });

  test('configured values override the defaults, are validated like a registration, and empty means default', async () => {
    const state = new MemoryKeyValue();
    const settings = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, undefined, false);
    const saved = await settings.save('irc.other.net', { nick: 'ann_o', port: '6667', tls: 'false', channels: '#a, #b key', persistent: 'true' });
    expect(saved).toMatchObject({ host: 'irc.other.net', port: 6667, tls: false, nick: 'ann_o', channels: [{ name: '#a' }, { name: '#b', key: 'key' }] });
    expect(settings.persistent('irc.other.net')).toBe(true);
    expect(settings.persistentServers()).toEqual(['irc.other.net']);
    expect(settings.known()).toEqual(['irc.home.net', 'irc.other.net', 'irc.third.net']);
    await expect(settings.save('irc.other.net', { nick: 'bad nick' })).rejects.toMatchObject({ condition: 'not-acceptable', message: expect.stringMatching(/not a valid IRC nickname/) });
    await expect(settings.save('irc.other.net', { port: '0x1A0B' })).rejects.toThrow(/not a port number/);
    await expect(settings.save('irc.evil.net', { nick: 'x' })).rejects.toMatchObject({ condition: 'not-allowed' });
    // A refused answer changed nothing.
    expect(settings.settingsFor('irc.other.net').nick).toBe('ann_o');
    await settings.save('irc.other.net', { nick: '', persistent: 'false' });
    expect(settings.settingsFor('irc.other.net').nick).toBe('ann');
    expect(settings.persistent('irc.other.net')).toBe(false);
    // Read back by the next login.
    const again = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, undefined, false);
    expect(again.settingsFor('irc.other.net')).toMatchObject({ port: 6667, tls: false, nick: 'ann' });
  });

  test('the fixed server\'s address is the operator\'s; the first server is never "persistent"', async () => {
    const settings = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, new MemoryKeyValue(), undefined, false);
    const saved = await settings.save('irc.home.net', { nick: 'ann2', port: '1', tls: 'false', persistent: 'true' });
    expect(saved).toMatchObject({ host: 'irc.home.net', port: 6697, tls: true, nick: 'ann2' });
    expect(settings.persistent('irc.home.net')).toBe(false);
    const vars = configureFields(settings, 'irc.home.net').map((f) => f.var);
    expect(vars).not.toContain('port');
    expect(vars).not.toContain('persistent');
    expect(configureFields(settings, 'irc.other.net').map((f) => f.var)).toEqual(expect.arrayContaining(['port', 'tls', 'verify_certificate', 'persistent']));
    expect(configureNode('irc.other.net')).toBe('irc-configure@irc.other.net');
  });

  test('passwords are sealed at rest, kept when the field is left empty, and can be forgotten', async () => {
    const state = new MemoryKeyValue();
    const sealer = box();
    const settings = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, sealer, false);
    await settings.save('irc.other.net', { password: 'hunter2-other' });
    const stored = await state.get<Record<string, Record<string, string>>>(SERVERS_KEY);
    expect(JSON.stringify(stored)).not.toContain('hunter2-other');
    expect(stored?.['irc.other.net'].password).toMatch(/^enc:v1:/);
    await settings.save('irc.other.net', { password: '', nick: 'ann_x' });
    expect(settings.settingsFor('irc.other.net').password).toBe('hunter2-other');
    const again = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, sealer, false);
    expect(again.settingsFor('irc.other.net').password).toBe('hunter2-other');
    expect(configureFields(again, 'irc.other.net').map((f) => f.var)).toContain('clear_password');
    await again.save('irc.other.net', { clear_password: 'true' });
    expect(again.settingsFor('irc.other.net').password).toBeUndefined();
  });

  test('without a key no password is stored, and one sealed with another key is dropped with a warning', async () => {
    const state = new MemoryKeyValue();
    const plain = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, undefined, false);
    await expect(plain.save('irc.other.net', { password: 'x' })).rejects.toMatchObject({ condition: 'not-allowed', message: expect.stringMatching(/cannot keep passwords/) });
    expect(await state.get(SERVERS_KEY)).toBeUndefined();
    const sealed = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, box(), false);
    await sealed.save('irc.other.net', { password: 'secret', nick: 'ann_o' });
    const warnings: string[] = [];
    const other = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, box(), false, (text) => warnings.push(text));
    expect(other.settingsFor('irc.other.net')).toMatchObject({ nick: 'ann_o', password: undefined });
    expect(warnings).toEqual([expect.stringMatching(/stored password for irc\.other\.net cannot be read.*wrong storage\.encryptionKey/)]);
  });

  test('a new registration takes over the first server: what was configured there gives way, except persistence of others', async () => {
    const state = new MemoryKeyValue();
    const settings = await ServerSettings.load({ nick: 'ann' }, fixedAndOthers, state, undefined, false);
    await settings.save('irc.home.net', { nick: 'configured' });
    await settings.save('irc.other.net', { persistent: 'true' });
    const registered = await ServerSettings.load({ nick: 'newnick' }, fixedAndOthers, state, undefined, true);
    expect(registered.settingsFor('irc.home.net').nick).toBe('newnick');
    expect(registered.persistent('irc.other.net')).toBe(true);
  });
});

describe('options.serverIdleMinutes', () => {
  test('defaults to 30 minutes, takes fractions and 0 (never), refuses negatives and more than a week', () => {
    expect(ircOptionsSchema.parse({}).serverIdleMinutes).toBe(30);
    expect(ircOptionsSchema.parse({ serverIdleMinutes: 0.5 }).serverIdleMinutes).toBe(0.5);
    expect(ircOptionsSchema.parse({ serverIdleMinutes: 0 }).serverIdleMinutes).toBe(0);
    for (const bad of [-1, 7 * 24 * 60 + 1, '10']) {
      const result = ircOptionsSchema.safeParse({ serverIdleMinutes: bad });
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.issues[0].path).toEqual(['serverIdleMinutes']);
    }
  });
});
