/**
 * The gateway patches or reaches into private parts of irc-framework, xmpp.js and twilio (their
 * versions are pinned exactly in package.json). The tests in this folder check, one per patch,
 * that the private parts still look and behave the way the patch assumes, so that an upgrade
 * fails here with a sentence naming the internal instead of somewhere deep in an integration test.
 */

export function installedVersion(pkg: string): string {
  return (require(`${pkg}/package.json`) as { version: string }).version;
}

/**
 * Throws (failing the test) with a message naming the package, its installed version, the
 * internal and the gateway file that depends on it.
 */
export function assertInternal(ok: unknown, pkg: string, internal: string, usedBy: string): void {
  if (ok) return;
  throw new Error(`${pkg} ${installedVersion(pkg)}: ${internal} is not what ${usedBy} relies on. `
    + `Re-check that patch against the new version before changing the pin in package.json.`);
}

/** A prototype method: present, a function, taking `arity` declared parameters. */
export function assertMethod(proto: object, name: string, arity: number, pkg: string, owner: string, usedBy: string): void {
  const fn = (proto as Record<string, unknown>)[name];
  assertInternal(typeof fn === 'function', pkg, `${owner}.prototype.${name}() (missing)`, usedBy);
  const actual = (fn as (...args: unknown[]) => unknown).length;
  assertInternal(actual === arity, pkg, `${owner}.prototype.${name}() (takes ${actual} parameters, expected ${arity})`, usedBy);
}

/** Resolves once `check()` holds; rejects naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
