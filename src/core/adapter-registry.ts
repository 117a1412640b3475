import { isAbsolute, resolve } from 'node:path';
import type { AdapterModule } from './adapter';

/** The adapters shipped with the gateway, loaded on first use so a deployment loads only what it runs. */
const BUILT_IN: Record<string, () => AdapterModule> = {
  irc: () => require('../../adapters/irc').default,
  sms: () => require('../../adapters/sms').default,
  email: () => require('../../adapters/email').default,
};

export function isBuiltInAdapter(name: string): boolean {
  return name in BUILT_IN;
}

/**
 * An adapter by built-in name, from the extra modules given by the embedder (tests), or by a
 * module path relative to the config file (third-party adapters).
 */
export function loadAdapterModule(name: string, extra: Record<string, AdapterModule> = {}, baseDir = process.cwd()): AdapterModule {
  if (extra[name]) return extra[name];
  if (BUILT_IN[name]) return BUILT_IN[name]();
  if (name.startsWith('.') || isAbsolute(name)) {
    const loaded = require(isAbsolute(name) ? name : resolve(baseDir, name));
    return (loaded.default ?? loaded) as AdapterModule;
  }
  throw new Error(`unknown adapter "${name}" (built in: ${Object.keys(BUILT_IN).join(', ')})`);
}
