/**
 * An `npm update` must not swap a patched library under the gateway: the packages whose
 * internals it relies on are pinned to one version, and that version is the one installed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedVersion } from './internals';

const PATCHED = ['irc-framework', 'twilio', '@xmpp/component', '@xmpp/component-core', '@xmpp/connection', '@xmpp/connection-tcp', '@xmpp/xml'];

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(__dirname, '../../../package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };

test.each(PATCHED)('%s is pinned to an exact version, which the lock file and node_modules hold', (pkg) => {
  const pinned = manifest.dependencies[pkg];
  if (!pinned || !/^\d+\.\d+\.\d+$/.test(pinned)) {
    throw new Error(`package.json: "${pkg}" must be a dependency with an exact version (x.y.z), not "${pinned ?? 'missing'}": the gateway relies on its internals (test/unit/patches)`);
  }
  expect(lock.packages[`node_modules/${pkg}`]?.version).toBe(pinned);
  expect(installedVersion(pkg)).toBe(pinned);
});
