/**
 * The Debian packages of the demo's servers: the lines of .ci/packages.txt tagged "demo" (the
 * list .ci/run installs for CI), installed with apt-get when a server is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE_LIST = '.ci/packages.txt';

/** Package names from the list's text; with `tag`, only the lines carrying it. */
export function parsePackageList(text: string, tag?: string): string[] {
  return text.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/))
    .filter(([, ...tags]) => tag === undefined || tags.includes(tag))
    .map(([name]) => name);
}

export function demoPackages(root: string): string[] {
  const packages = parsePackageList(readFileSync(join(root, PACKAGE_LIST), 'utf8'), 'demo');
  if (packages.length === 0) throw new Error(`${PACKAGE_LIST} tags no package "demo"`);
  return packages;
}

/**
 * Installs the demo's packages unless every binary in `binaries` is there. Only root may: anyone
 * else gets the command to run.
 */
export function ensureInstalled(root: string, binaries: string[], log: (line: string) => void): void {
  const missing = binaries.filter((binary) => !existsSync(binary));
  if (missing.length === 0) return;
  const packages = demoPackages(root);
  const command = `apt-get install --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. Run the demo as root to have ${missing.length === 1 ? 'it' : 'them'} installed, or run: ${command}`);
  }
  log(`installing ${packages.join(', ')} from Debian's packages (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.error) throw new Error(`apt-get ${args[0]} could not run: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (exit ${result.status ?? result.signal})`);
  }
  const still = binaries.filter((binary) => !existsSync(binary));
  if (still.length) throw new Error(`${still.join(', ')} still missing after installing ${packages.join(' ')}`);
}
