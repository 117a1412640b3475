/**
 * `xmpp-gateway check --config FILE`: what an admin runs after editing the configuration, before
 * (re)starting the service. It reads the configuration with the same loader as the gateway, tries
 * each component secret on the XMPP server, round-trips a probe key through the store, and says
 * on one line per check what works. It starts no transport and no legacy connection, and writes
 * nothing but the probe key (and the SQLite file, if it did not exist).
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { ComponentEntity } from './component/entity';
import { ConfigError, keyPolicyProblem, readConfig, ENCRYPTION_KEY_ENV, type AdapterOptionsSchema, type ConfigWithoutKey, type TransportConfig } from './config';
import { GatewayStore, deriveKey } from './store';
import { estimateEntropyBits, readKeyFile } from './store/crypto';

export interface CheckResult {
  ok: boolean;
  kind: 'config' | 'key' | 'store' | 'xmpp';
  subject: string;
  detail?: string;
  /** Further lines (every problem of an invalid configuration). */
  problems?: string[];
}

export interface CheckOptions {
  env?: NodeJS.ProcessEnv;
  adapterOptionsSchema?: AdapterOptionsSchema;
  /** How long one XMPP handshake or the whole store probe may take. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10000;

/** Runs every check; the results come in a fixed order: config, key, store, then one per transport. */
export async function runChecks(configPath: string, options: CheckOptions = {}): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let loaded;
  try {
    loaded = readConfig(configPath, options.env ?? process.env, options.adapterOptionsSchema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ ok: false, kind: 'config', subject: configPath, problems: error.message.split('\n') }];
  }
  const { config, keyFile, keyFromEnv } = loaded;
  const results: CheckResult[] = [{ ok: true, kind: 'config', subject: configPath }];

  const key = inspectKey(config, keyFile, keyFromEnv);
  const [store, ...xmpp] = await Promise.all([
    checkStore(config, key.value, timeoutMs),
    ...config.transports.map((transport) => checkComponent(config, transport, timeoutMs)),
  ]);
  results.push(keyVerdict(key, store), store.result, ...xmpp);
  return results;
}

/** One line per result (`ok   xmpp irc.example.org`, `FAIL store redis://…: connection refused`), problems indented below. */
export function formatResult(result: CheckResult): string {
  const head = `${result.ok ? 'ok  ' : 'FAIL'} ${result.kind} ${result.subject}${result.detail ? `: ${result.detail}` : ''}`;
  return [head, ...(result.problems ?? []).map((problem) => `     ${problem}`)].join('\n');
}

interface KeyInfo {
  subject: string;
  /** undefined: no usable key (missing key file, or a problem already reported). */
  value?: string;
  problem?: string;
  note?: string;
  missingFile?: boolean;
}

function inspectKey(config: ConfigWithoutKey, keyFile: string | undefined, keyFromEnv: boolean): KeyInfo {
  if (keyFile === undefined) {
    const value = config.storage.encryptionKey;
    const subject = keyFromEnv ? ENCRYPTION_KEY_ENV : 'storage.encryptionKey';
    // The policy does not apply to the environment variable (an older deployment's key), but the admin should know.
    const weak = keyFromEnv && value !== undefined && keyPolicyProblem(value) !== undefined;
    const note = weak ? `weak (about ${estimateEntropyBits(value)} bits of entropy); accepted because it comes from ${ENCRYPTION_KEY_ENV}` : undefined;
    return { subject, value, note };
  }
  try {
    const value = readKeyFile(keyFile);
    if (value === undefined) return { subject: keyFile, missingFile: true, note: 'does not exist yet; the gateway creates it on first start' };
    return { subject: keyFile, value };
  } catch (error) {
    return { subject: keyFile, problem: (error as Error).message };
  }
}

function keyVerdict(key: KeyInfo, store: StoreOutcome): CheckResult {
  if (key.problem) return { ok: false, kind: 'key', subject: key.subject, detail: key.problem };
  if (key.missingFile && store.registrations > 0) {
    return {
      ok: false, kind: 'key', subject: key.subject,
      detail: `does not exist, but the store holds ${store.registrations} registration(s) encrypted with a key: restore that key file, or set ${ENCRYPTION_KEY_ENV} to that key`,
    };
  }
  if (store.undecryptable) {
    return { ok: false, kind: 'key', subject: key.subject, detail: `cannot decrypt the secrets stored for ${store.undecryptable}: not the key they were stored with` };
  }
  return { ok: true, kind: 'key', subject: key.subject, detail: key.note };
}

interface StoreOutcome {
  result: CheckResult;
  registrations: number;
  /** A registration whose secrets the key does not decrypt. */
  undecryptable?: string;
}

async function checkStore(config: ConfigWithoutKey, key: string | undefined, timeoutMs: number): Promise<StoreOutcome> {
  const url = config.storage.url ?? 'sqlite://gateway.sqlite';
  const subject = withoutPassword(url);
  let store: GatewayStore | undefined;
  const work = async (): Promise<StoreOutcome> => {
    // Without a key yet (first start), the probe needs none: it stores nothing encrypted.
    store = await GatewayStore.open({ url, encryptionKey: key ? deriveKey(key) : randomBytes(32), operationTimeoutMs: timeoutMs });
    const probe = store.adapterStore('xmpp-gateway-check');
    const probeKey = `probe-${randomBytes(8).toString('hex')}`;
    const value = `written by check at ${new Date().toISOString()}`;
    await probe.set(probeKey, value, 60000);
    if ((await probe.get(probeKey)) !== value) throw new Error('the probe key read back differently from what was written');
    if (!(await probe.delete(probeKey))) throw new Error('the probe key could not be deleted');
    let registrations = 0;
    let undecryptable: string | undefined;
    for (const transport of config.transports) {
      const records = store.registrations(transport.domain);
      const jids = await records.list();
      registrations += jids.length;
      if (!key || undecryptable || jids.length === 0) continue;
      // One registration per transport is enough to tell whether this is the key the store was written with.
      try {
        await records.get(jids[0]);
      } catch (error) {
        if (/decrypt/.test((error as Error).message)) undecryptable = `${jids[0]} on ${transport.domain}`;
        else throw error;
      }
    }
    const detail = `get/set/delete work; ${registrations} registration(s)`;
    return { result: { ok: true, kind: 'store', subject, detail }, registrations, undecryptable };
  };
  try {
    return await withTimeout(work(), timeoutMs * 2, `no answer within ${(timeoutMs * 2) / 1000} s`);
  } catch (error) {
    return { result: { ok: false, kind: 'store', subject, detail: storeReason(error) }, registrations: 0 };
  } finally {
    await (store as GatewayStore | undefined)?.close().catch(() => undefined);
  }
}

/** XEP-0114: open a stream for the domain, send the handshake, and leave as soon as it is accepted or refused. */
async function checkComponent(config: ConfigWithoutKey, transport: TransportConfig, timeoutMs: number): Promise<CheckResult> {
  const { host, port } = config.xmpp;
  const subject = transport.domain;
  const entity = new ComponentEntity({ service: `xmpp://${host}:${port}`, domain: transport.domain });
  let opened = false;
  const outcome = new Promise<void>((resolve, reject) => {
    entity.on('error', reject);
    entity.on('open', (el: Element) => {
      opened = true;
      entity.authenticate(el.attrs.id ?? '', transport.secret).catch(reject);
    });
    entity.on('online', () => resolve());
    entity.on('disconnect', () => reject(new Error(opened ? 'the server closed the connection during the handshake' : 'the server closed the connection before opening a stream')));
    entity.start().catch(reject);
  });
  try {
    await withTimeout(outcome, timeoutMs, `no answer from ${host}:${port} within ${timeoutMs / 1000} s`);
    return { ok: true, kind: 'xmpp', subject, detail: 'component secret accepted' };
  } catch (error) {
    const e = error as Error & { condition?: string; code?: string; text?: string };
    // Prosody checks the secret before it looks for a live connection of the same domain.
    if (e.condition === 'conflict') return { ok: true, kind: 'xmpp', subject, detail: 'component secret accepted; the domain is already connected (is the gateway running?)' };
    return { ok: false, kind: 'xmpp', subject, detail: componentReason(e, host, port, transport.domain) };
  } finally {
    entity.removeAllListeners();
    entity.on('error', () => undefined);
    await withTimeout(entity.stop(), 2000, '').catch(() => entity.socket?.destroy());
  }
}

function componentReason(e: Error & { condition?: string; code?: string; text?: string }, host: string, port: number, domain: string): string {
  const text = e.text ? `: ${e.text}` : '';
  switch (e.condition) {
    case 'not-authorized':
      return `the XMPP server refused the component secret (not-authorized${text}): check transports[].secret against the server's config`;
    case 'host-unknown':
    case 'improper-addressing':
      return `the XMPP server has no component ${domain} (${e.condition}${text}): add it to the server's config`;
    case undefined:
      break;
    default:
      return `the XMPP server ended the stream (${e.condition}${text})`;
  }
  const network = networkReason(e.code);
  if (network) return `cannot reach the XMPP server at ${host}:${port}: ${network}`;
  return e.message;
}

function storeReason(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  const code = /\b(E[A-Z]{3,})\b/.exec(message)?.[1];
  const network = networkReason(code);
  // GatewayStore names the URL already; this line names it once.
  const bare = message.replace(/^cannot open the store at storage\.url \S+: /, '');
  return network && /^(connect )?E[A-Z]+\b/.test(bare) ? network : bare;
}

function networkReason(code: string | undefined): string | undefined {
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host name not found';
    case 'ETIMEDOUT': return 'connection timed out';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'no route to host';
    case 'ECONNRESET': return 'connection reset';
    default: return undefined;
  }
}

function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
